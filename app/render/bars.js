// One bar per item on a log axis (gradient size per layer): tiny bars at the front = vanishing.
export default function (component) {
  const d = component.data;
  if (d.scale === "linear") return linearBars(component);
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

// Values in [0, 1] (probabilities) as bars on a linear axis, optional labels under them.
function linearBars(component) {
  const d = component.data;
  return paint(component, d.height, (ctx, width, height) => {
    const vals = floats(d.values), labels = d.labels || [];
    const left = 40, right = 10, top = 32, bottom = labels.length ? 26 : 12;
    const py = (v) => top + (1 - v) * (height - top - bottom);
    ctx.font = `14px ${FONT}`;
    for (const t of [0, 0.5, 1]) {
      ctx.strokeStyle = "#e1e1e1"; ctx.beginPath(); ctx.moveTo(left, py(t)); ctx.lineTo(width - right, py(t)); ctx.stroke();
      ctx.fillStyle = FAINT; ctx.textAlign = "right"; ctx.textBaseline = "middle"; ctx.fillText(String(t), left - 5, py(t));
    }
    const bw = (width - left - right) / Math.max(vals.length, 1);
    ctx.fillStyle = rgb(POS);
    vals.forEach((v, k) => {
      const c = Math.max(0, Math.min(1, v)), x = left + k * bw + bw * 0.12;
      ctx.fillRect(x, py(c), Math.max(1, bw * 0.76), py(0) - py(c));
    });
    ctx.fillStyle = INK; ctx.textAlign = "center"; ctx.textBaseline = "top";
    labels.forEach((l, k) => ctx.fillText(l, left + (k + 0.5) * bw, height - bottom + 5));
    ctx.textAlign = "left"; ctx.font = `600 15px ${FONT}`; ctx.fillText(d.title || "", left, 8);
  });
}
