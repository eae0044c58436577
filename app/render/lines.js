// Curves over training (loss, errors): x values and one or more series, optional log axis.
export default function (component) {
  const d = component.data;
  return paint(component, d.height, (ctx, width, height) => {
  // a title takes the first line and the legend the lines below it (wrapped to the width), so
  // neither runs over the other or off the picture
  const left = 64, right = 14, bottom = 42, legendTop = d.title ? 36 : 16;
  ctx.font = `14px ${FONT}`;
  const spots = [];
  let lx = left, row = 0;
  for (const s of d.series) {
    const w = 44 + ctx.measureText(s.label).width;
    if (lx > left && lx + w - 16 > width - right) { lx = left; row += 1; }
    spots.push([lx, legendTop + 18 * row]);
    lx += w;
  }
  const top = legendTop + 18 * row + 18;
  // ``upto``: draw only the first upto + 1 points (a race revealed step by step from arrays sent once)
  const shown = (a) => (d.upto === undefined || d.upto === null ? a : a.subarray(0, d.upto + 1));
  const xs = floats(d.x), series = d.series.map((s) => ({ ...s, y: shown(floats(s.y)) }));
  const tr = d.log_y ? (v) => Math.log10(Math.max(v, 1e-300)) : (v) => v;
  let lo = Infinity, hi = -Infinity;
  for (const s of series) for (const v of s.y) if (Number.isFinite(v) && (!d.log_y || v > 0)) {
    lo = Math.min(lo, tr(v)); hi = Math.max(hi, tr(v));
  }
  // no point, or one, is no curve: no axes to invent, but the box and when the curve comes
  if (!Number.isFinite(lo) || Math.min(xs.length, ...series.map((s) => s.y.length)) < 2) {
    ctx.strokeStyle = "#aaaaaa"; ctx.lineWidth = 1;
    ctx.strokeRect(left + 0.5, top + 0.5, width - left - right, height - top - bottom);
    ctx.fillStyle = FAINT; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    const words = (d.empty || "The curve appears after the first steps.").split(" "), lines = [""];
    for (const word of words) {  // wrapped to the box: a narrow chart gets two or three lines
      const next = lines[lines.length - 1] ? `${lines[lines.length - 1]} ${word}` : word;
      if (ctx.measureText(next).width > width - left - right - 12 && lines[lines.length - 1]) lines.push(word);
      else lines[lines.length - 1] = next;
    }
    lines.forEach((line, k) => ctx.fillText(line, (left + width - right) / 2, (top + height - bottom) / 2 + (k - (lines.length - 1) / 2) * 18));
    drawLegend(ctx, series, spots);
    drawTitle(ctx, d.title, left);
    return;
  }
  if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
  const xlo = xs[0], xhi = Math.max(xs[xs.length - 1], xlo + 1, d.x_max || 0);
  const px = (v) => left + (v - xlo) / (xhi - xlo) * (width - left - right);
  const py = (v) => top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom);
  ctx.font = `14px ${FONT}`;
  const yt = d.log_y ? logTicks(lo, hi) : ticks(lo, hi);
  for (const t of yt) {
    ctx.strokeStyle = "#e8e8e8"; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(left, py(t)); ctx.lineTo(width - right, py(t)); ctx.stroke();
    ctx.fillStyle = FAINT; ctx.textAlign = "right"; ctx.textBaseline = "middle";
    ctx.fillText(d.log_y ? logLabel(t, yt.step) : fmt(t, yt.step), left - 6, py(t));
  }
  const xt = ticks(xlo, xhi, Math.max(2, Math.floor((width - left - right) / 70)));
  for (const t of xt) {
    ctx.fillStyle = FAINT; ctx.textAlign = "center"; ctx.textBaseline = "top";
    ctx.fillText(fmt(t, xt.step), px(t), height - bottom + 6);
  }
  ctx.textBaseline = "bottom";
  ctx.fillText(d.x_label || "", (left + width - right) / 2, height - 2);
  series.forEach((s, k) => {
    ctx.strokeStyle = s.colour; ctx.lineWidth = 3; ctx.setLineDash(lineStyle(s, k));
    ctx.beginPath();
    let started = false;
    for (let i = 0; i < s.y.length; i++) {
      const v = s.y[i];
      if (!Number.isFinite(v) || (d.log_y && v <= 0)) { started = false; continue; }
      const X = px(xs[i]), Y = py(tr(v));
      if (started) ctx.lineTo(X, Y); else { ctx.moveTo(X, Y); started = true; }
    }
    ctx.stroke();
    ctx.setLineDash([]);
  });
  drawLegend(ctx, series, spots);
  // dots along the curve (the ball on a curve): a ring per step up to ``dots_upto``, the last one
  // a filled ball; arrays sent once, a frame carries only the step
  for (const m of d.dots || []) {
    const mx = floats(m.x), my = floats(m.y);
    const n = d.dots_upto === undefined || d.dots_upto === null ? mx.length : Math.min(mx.length, d.dots_upto + 1);
    ctx.strokeStyle = m.colour; ctx.lineWidth = 2;
    const inside = (X, Y) => X >= left && X <= width - right && Y >= top && Y <= height - bottom;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(mx[i]) || !Number.isFinite(my[i])) break;
      const X = px(mx[i]), Y = py(tr(my[i]));
      if (!inside(X, Y)) continue;
      ctx.beginPath();
      if (i === n - 1) {
        ctx.arc(X, Y, 11, 0, 2 * Math.PI); ctx.fillStyle = m.colour; ctx.fill();
        ctx.strokeStyle = "black"; ctx.stroke(); ctx.strokeStyle = m.colour;
      } else { ctx.arc(X, Y, 5, 0, 2 * Math.PI); ctx.stroke(); }
    }
  }
  if (d.now !== undefined && d.now !== null) {  // where training stands on a schedule drawn for the whole run
    ctx.strokeStyle = "#555555"; ctx.lineWidth = 1.5; ctx.setLineDash([4, 4]);
    ctx.beginPath(); ctx.moveTo(px(d.now), top); ctx.lineTo(px(d.now), height - bottom); ctx.stroke();
    ctx.setLineDash([]);
  }
  drawTitle(ctx, d.title, left);
  ctx.strokeStyle = "#aaaaaa"; ctx.lineWidth = 1;
  ctx.strokeRect(left + 0.5, top + 0.5, width - left - right, height - top - bottom);
  });
}
// Each curve has its own line style as well as its colour (the legend shows both): solid, dashed,
// dash-dot, then long dashes; a series marked ``dash`` (a validation curve) is dotted.
function lineStyle(s, k) {
  if (s.dash) return [2, 4];
  return [[], [10, 5], [12, 4, 2, 4], [16, 6]][k % 4];
}
function drawTitle(ctx, title, left) {
  if (!title) return;
  ctx.fillStyle = INK; ctx.font = `600 15px ${FONT}`; ctx.textAlign = "left"; ctx.textBaseline = "middle";
  ctx.fillText(title, left, 14);
}
function drawLegend(ctx, series, spots) {
  ctx.font = `14px ${FONT}`;
  series.forEach((s, k) => {
    const [sx, sy] = spots[k];
    ctx.strokeStyle = s.colour; ctx.lineWidth = 3; ctx.setLineDash(lineStyle(s, k));
    ctx.beginPath(); ctx.moveTo(sx, sy); ctx.lineTo(sx + 22, sy); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = INK; ctx.textAlign = "left"; ctx.textBaseline = "middle";
    ctx.fillText(s.label, sx + 28, sy);
  });
}
// Ticks of a log10 axis (values are exponents): whole powers of ten where the span has two or
// more, else ordinary ticks labelled by their value (a step of 0.5 once wrote "1e1" twice).
function logTicks(lo, hi) {
  const first = Math.ceil(lo - 1e-9), last = Math.floor(hi + 1e-9);
  if (last - first < 1) return ticks(lo, hi);
  const step = Math.max(1, Math.ceil((last - first) / 5)), out = [];
  for (let k = first; k <= last; k += step) out.push(k);
  out.step = step;
  return out;
}

function logLabel(t, step) {
  if (Number.isInteger(step) && Math.abs(t - Math.round(t)) < 1e-9) return `1e${Math.round(t)}`;
  return Number(Math.pow(10, t).toPrecision(step < 0.05 ? 3 : 2)).toString();
}

// Round tick values about n apart (the array carries its spacing as .step, for their labels).
function ticks(lo, hi, n = 5) {
  const span = hi > lo ? hi - lo : 1;
  let step = Math.pow(10, Math.floor(Math.log10(span / n)));
  for (const m of [1, 2, 5, 10]) if (span / (step * m) <= n) { step *= m; break; }
  const out = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(k * step);
  out.step = step;
  return out;
}
// A tick label with as many decimals as the spacing needs (-44.35 and -44.30 never both "-44.3").
function fmt(t, step = 0) {
  const a = Math.abs(t), decimals = (s) => Math.min(6, Math.max(0, -Math.floor(Math.log10(s) + 1e-9)));
  if (step && a < step * 1e-6) return "0";
  if (a >= 1e6 || (a && a < 1e-3)) {
    const digits = step ? Math.floor(Math.log10(a)) - Math.floor(Math.log10(step) + 1e-9) : 0;
    return t.toExponential(Math.min(3, Math.max(0, digits)));
  }
  if (!step) return String(+t.toPrecision(3));
  if (a >= 1e3 && step >= 100) return `${(t / 1e3).toFixed(decimals(step / 1e3))}k`;
  return t.toFixed(decimals(step));
}
