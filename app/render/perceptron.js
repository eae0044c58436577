// A perceptron on a 2-input truth table: its two regions (blue where it outputs 1), the line
// w1 x1 + w2 x2 + b = 0, and the corners coloured by their target, ringed red while misclassified.
export default function (component) {
  const d = component.data;
  return paint(component, d.height, (ctx, width, height) => {
    const lo = -0.5, hi = 1.5, pad = 40, top = 36;
    const side = Math.min(width - 2 * pad, height - top - pad - 10), x0 = (width - side) / 2, y0 = top;
    const px = (v) => x0 + (v - lo) / (hi - lo) * side, py = (v) => y0 + (hi - v) / (hi - lo) * side;
    const [w1, w2] = d.w, b = d.b, n = 120;
    const tint = (c) => [c[0] * 0.35 + 255 * 0.65, c[1] * 0.35 + 255 * 0.65, c[2] * 0.35 + 255 * 0.65];
    const pos = tint(POS), neg = tint(NEG), cells = new Uint8Array(n * n);
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
      const x1 = lo + (c + 0.5) / n * (hi - lo), x2 = hi - (r + 0.5) / n * (hi - lo);
      cells[r * n + c] = w1 * x1 + w2 * x2 + b >= 0 ? 1 : 0;
    }
    gridImage(ctx, cells, n, (i, v) => (v[i] ? pos : neg), x0, y0, side, side, false);
    ctx.save(); ctx.beginPath(); ctx.rect(x0, y0, side, side); ctx.clip();
    ctx.strokeStyle = "black"; ctx.lineWidth = 3; ctx.beginPath();
    if (Math.abs(w2) > 1e-12) { ctx.moveTo(px(lo), py(-(w1 * lo + b) / w2)); ctx.lineTo(px(hi), py(-(w1 * hi + b) / w2)); }
    else if (Math.abs(w1) > 1e-12) { ctx.moveTo(px(-b / w1), y0); ctx.lineTo(px(-b / w1), y0 + side); }
    ctx.stroke(); ctx.restore();
    const r = side / 30;
    d.points.forEach(([x1, x2, target, guess]) => {
      ctx.fillStyle = rgb(target === 1 ? POS : NEG); ctx.strokeStyle = guess === target ? "white" : "rgb(220,0,0)";
      ctx.lineWidth = 4; ctx.beginPath(); ctx.arc(px(x1), py(x2), r, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    });
    ctx.strokeStyle = "#787878"; ctx.lineWidth = 1; ctx.strokeRect(x0 + 0.5, y0 + 0.5, side, side);
    ctx.fillStyle = FAINT; ctx.font = `15px ${FONT}`;
    for (const t of [0, 1]) {
      ctx.textAlign = "center"; ctx.textBaseline = "top"; ctx.fillText(String(t), px(t), y0 + side + 6);
      ctx.textAlign = "right"; ctx.textBaseline = "middle"; ctx.fillText(String(t), x0 - 8, py(t));
    }
    ctx.textAlign = "center"; ctx.textBaseline = "top"; ctx.fillText("x1", x0 + side / 2, y0 + side + 22);
    ctx.textAlign = "right"; ctx.textBaseline = "middle"; ctx.fillText("x2", x0 - 22, y0 + side / 2);
    ctx.fillStyle = INK; ctx.font = `600 16px ${FONT}`; ctx.textAlign = "left"; ctx.textBaseline = "top";
    ctx.fillText(d.title || "", x0, 8);
  });
}
