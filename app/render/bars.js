// One bar per item on a log axis (gradient size per layer): tiny bars at the front = vanishing.
export default function (component) {
  const d = component.data;
  return paint(component, d.height, (ctx, width, height) => {
  const left = 64, right = 14, top = 34, bottom = 42, vals = d.values;
  // zero, NaN or infinite (diverged) values get no bar and a label saying so, never a full bar
  const logs = vals.map((v) => (Number.isFinite(v) && v > 0 ? Math.log10(v) : null));
  const ok = logs.filter((v) => v !== null);
  const lo = ok.length ? Math.floor(Math.min(...ok)) - 1 : -3, hi = ok.length ? Math.ceil(Math.max(...ok)) + 0.5 : 0;
  const py = (t) => top + (1 - (t - lo) / (hi - lo)) * (height - top - bottom);
  ctx.font = `14px ${FONT}`;
  for (let t = lo; t <= hi; t++) {
    ctx.strokeStyle = "#e8e8e8"; ctx.beginPath(); ctx.moveTo(left, py(t)); ctx.lineTo(width - right, py(t)); ctx.stroke();
    ctx.fillStyle = FAINT; ctx.textAlign = "right"; ctx.textBaseline = "middle"; ctx.fillText(`1e${t}`, left - 6, py(t));
  }
  const slot = (width - left - right) / Math.max(vals.length, 1);
  vals.forEach((v, i) => {
    const x = left + i * slot + slot * 0.2, top_ = logs[i] === null ? py(lo) : py(logs[i]);
    ctx.fillStyle = rgb(POS);
    if (logs[i] !== null) ctx.fillRect(x, top_, slot * 0.6, py(lo) - top_);
    ctx.fillStyle = INK; ctx.textAlign = "center"; ctx.textBaseline = "bottom";
    ctx.fillText(Number.isFinite(v) ? (v > 0 ? v.toExponential(1) : "0") : "n/a", x + slot * 0.3, top_ - 3);
    ctx.textBaseline = "top"; ctx.fillText(d.labels[i], x + slot * 0.3, height - bottom + 6);
  });
  ctx.fillStyle = INK; ctx.textAlign = "left"; ctx.textBaseline = "top";
  ctx.fillText(d.title || "", left, 8);
  });
}
