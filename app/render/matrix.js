// A confusion matrix: rows the true class, columns the predicted one; each row coloured by its
// share (diagonal blue: right, elsewhere orange: mistaken), counts written in the cells.
export default function (component) {
  const d = component.data;
  return paint(component, d.height, (ctx, width, height) => {
    const counts = floats(d.counts), k = d.k, left = 44, top = 44;
    const cell = Math.floor(Math.min((width - left - 10) / k, (height - top - 24) / k));
    ctx.font = `14px ${FONT}`;
    for (let i = 0; i < k; i++) {
      let total = 0;
      for (let j = 0; j < k; j++) total += counts[i * k + j];
      ctx.fillStyle = FAINT; ctx.textAlign = "right"; ctx.textBaseline = "middle";
      ctx.fillText(String(i), left - 8, top + i * cell + cell / 2);
      ctx.textAlign = "center"; ctx.textBaseline = "bottom";
      ctx.fillText(String(i), left + i * cell + cell / 2, top - 6);
      for (let j = 0; j < k; j++) {
        const v = counts[i * k + j], share = total ? Math.min(1, (v / total) * 1.2) : 0, e = i === j ? POS : NEG;
        ctx.fillStyle = rgb([255 + (e[0] - 255) * share, 255 + (e[1] - 255) * share, 255 + (e[2] - 255) * share]);
        ctx.fillRect(left + j * cell, top + i * cell, cell - 1, cell - 1);
        if (v && cell >= 18) {
          ctx.fillStyle = share > 0.6 ? "white" : INK; ctx.textBaseline = "middle";
          ctx.fillText(String(v), left + j * cell + cell / 2, top + i * cell + cell / 2);
        }
      }
    }
    ctx.fillStyle = INK; ctx.textAlign = "left"; ctx.textBaseline = "top"; ctx.font = `600 15px ${FONT}`;
    ctx.fillText(d.title || "", 6, 4);
    ctx.font = `14px ${FONT}`; ctx.fillStyle = FAINT; ctx.textBaseline = "bottom";
    ctx.fillText("rows: true digit   columns: predicted", left, height - 2);
  });
}
