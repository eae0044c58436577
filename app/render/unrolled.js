// The recurrent network unrolled over time: one box per step (the same cell, the same weights),
// inputs x_t below, outputs above (at the last step, or at every step), the hidden state passed
// right. Each box and the arrow into it are shaded by |dL/dh_t| from the last backward pass
// (``dh``: uint8, 255 = the largest, on a log scale over ``decades``): the gradient fading (or
// growing) as it flows back through time is seen directly.
export default function (component) {
  const d = component.data;
  return paint(component, d.height, (ctx, width, height) => {
    const T = d.T, dh = bytes(d.dh), layers = d.layers || 1;
    const left = 30, right = 30, top = d.title ? 34 : 10, bottom = 34;
    const every = Math.max(1, Math.ceil(T / Math.max(4, Math.floor((width - left - right) / 16))));
    const steps = [];
    for (let t = 0; t < T; t += every) steps.push(t);
    if (steps[steps.length - 1] !== T - 1) steps.push(T - 1);
    const slot = (width - left - right) / steps.length, box = Math.max(6, Math.min(46, slot * 0.62));
    const midY = top + (height - top - bottom) / 2, boxH = Math.min(58, (height - top - bottom) * 0.42) / layers;
    const shade = (v) => { const a = v / 255; return [255 + (8 - 255) * a, 255 + (48 - 255) * a, 255 + (107 - 255) * a]; };
    ctx.lineCap = "round";
    steps.forEach((t, i) => {
      const cx = left + slot * (i + 0.5), v = dh[t] || 0;
      for (let l = 0; l < layers; l++) {
        const y = midY + (layers === 1 ? -boxH / 2 : (l === 0 ? 2 : -boxH - 2) + 0);
        if (i > 0) {  // h passed on from the step before, as thick as the gradient it carries back
          ctx.strokeStyle = rgb(shade(v)); ctx.lineWidth = 1 + 4 * v / 255;
          ctx.beginPath(); ctx.moveTo(cx - slot + box / 2, y + boxH / 2); ctx.lineTo(cx - box / 2, y + boxH / 2); ctx.stroke();
        }
        ctx.fillStyle = rgb(shade(l === layers - 1 ? v : v * 0.85));
        ctx.fillRect(cx - box / 2, y, box, boxH);
        ctx.strokeStyle = "#8a8a8a"; ctx.lineWidth = 1; ctx.strokeRect(cx - box / 2 + 0.5, y + 0.5, box - 1, boxH - 1);
        if (box >= 30 && l === layers - 1) {
          ctx.fillStyle = v > 140 ? "white" : INK; ctx.font = `12px ${FONT}`; ctx.textAlign = "center"; ctx.textBaseline = "middle";
          ctx.fillText(d.cell, cx, y + boxH / 2);
        }
      }
      const low = midY + (layers === 1 ? boxH / 2 : boxH + 2), high = midY - (layers === 1 ? boxH / 2 : boxH + 2);
      ctx.strokeStyle = "#9a9a9a"; ctx.lineWidth = 1;   // x_t in
      ctx.beginPath(); ctx.moveTo(cx, low + 16); ctx.lineTo(cx, low + 2); ctx.stroke();
      if (d.many || t === T - 1) {   // an output (a loss term) here
        ctx.strokeStyle = "#d62728"; ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.moveTo(cx, high - 2); ctx.lineTo(cx, high - 14); ctx.stroke();
        ctx.fillStyle = "#d62728"; ctx.beginPath(); ctx.arc(cx, high - 17, 3, 0, 2 * Math.PI); ctx.fill();
      }
      if (i === 0 || t === T - 1 || (steps.length <= 12)) {
        ctx.fillStyle = FAINT; ctx.font = `12px ${FONT}`; ctx.textAlign = "center"; ctx.textBaseline = "top";
        ctx.fillText(`t=${t + 1}`, cx, low + 18);
      }
    });
    if (d.cell === "LSTM") {   // the cell state's own path along the top of the boxes
      const y = midY - (layers === 1 ? boxH / 2 : boxH + 2) - 4;
      ctx.strokeStyle = "rgba(44,160,44,0.7)"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(left + slot * 0.5, y); ctx.lineTo(left + slot * (steps.length - 0.5), y); ctx.stroke();
    }
    ctx.fillStyle = INK; ctx.font = `600 15px ${FONT}`; ctx.textAlign = "left"; ctx.textBaseline = "top";
    if (d.title) ctx.fillText(d.title, 6, 6);
    ctx.font = `13px ${FONT}`; ctx.fillStyle = FAINT; ctx.textBaseline = "bottom";
    ctx.fillText(d.note || "", 6, height - 2);
  });
}
