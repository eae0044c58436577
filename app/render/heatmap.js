// The output plane: a grid of the network's outputs with the data points on top.
export default function (component) {
  const d = component.data, host = component.parentElement;
  const drawn = paint(component, d.height, (ctx, width, height) => {
  const pad = 36, side = Math.max(60, Math.min(width - 2 * pad, height - 2 * pad - 10));
  const x0 = Math.round((width - side) / 2), y0 = pad + 6;
  host.__npPlane = { d, x0, y0, side, dom: d.domain || 6 };   // where a click lands (drawing your own points)
  const cells = bytes(d.grid), conf = d.mode === "classes" ? bytes(d.conf) : null, k = d.k || 2;
  const colour = d.mode === "classes"
    ? (i) => {
        const base = CLASSES[cells[i] % CLASSES.length];
        const c = d.discrete ? 1 : conf[i] / 255, w = Math.max(0, Math.min(1, (c - 1 / k) / (1 - 1 / k))) * 0.85;
        return [MID[0] + (base[0] - MID[0]) * w, MID[1] + (base[1] - MID[1]) * w, MID[2] + (base[2] - MID[2]) * w];
      }
    : d.mode === "magnitude" ? (i) => diverging(cells[i] / 255)   // 0 grey .. most blue (an uncertainty)
    : (i) => diverging(signed(cells[i]));
  gridImage(ctx, cells, d.n, colour, x0, y0, side, side);
  const dom = d.domain || 6, px = (v) => x0 + (v + dom) / (2 * dom) * side, py = (v) => y0 + (dom - v) / (2 * dom) * side;
  const r = Math.max(3, side / 110);
  for (const set of d.sets || []) {
    const xy = bytes(set.xy), lab = bytes(set.labels);
    ctx.lineWidth = 1.2;
    ctx.strokeStyle = set.outline;
    for (let i = 0; i < lab.length; i++) {
      const vx = xy[2 * i] / 255 * 2 * dom - dom, vy = xy[2 * i + 1] / 255 * 2 * dom - dom;
      ctx.fillStyle = rgb(set.regression ? diverging(signed(lab[i])) : CLASSES[lab[i] % CLASSES.length]);
      if (set.regression) { ctx.beginPath(); ctx.arc(px(vx), py(vy), r, 0, 2 * Math.PI); }
      else markerPath(ctx, lab[i], px(vx), py(vy), r);
      ctx.fill();
      ctx.stroke();
    }
  }
  ctx.strokeStyle = "#787878";
  ctx.lineWidth = 1;
  ctx.strokeRect(x0 + 0.5, y0 + 0.5, side, side);
  ctx.fillStyle = FAINT;
  ctx.font = `14px ${FONT}`;
  for (let t = -dom; t <= dom; t += 2) {
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    ctx.fillText(String(t), px(t), y0 + side + 5);
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    ctx.fillText(String(t), x0 - 6, py(t));
  }
  // the key: what each colour (and marker) means, in words; right-aligned on the title's line, or
  // on a line of its own under the title when both do not fit (eight classes)
  ctx.font = `14px ${FONT}`;
  const keyWidth = d.key === false ? 0 : d.mode === "classes" || !d.ends
    ? ctx.measureText("class").width + [...Array(k).keys()].reduce((s, c) => s + ctx.measureText(String(c)).width + 22, 0)
    : ctx.measureText(d.ends[0]).width + ctx.measureText(d.ends[1]).width + 68;
  ctx.font = `600 16px ${FONT}`;
  const titleWidth = d.title ? ctx.measureText(d.title).width + 16 : 0, apart = titleWidth + keyWidth > side;
  if (d.title) {
    ctx.fillStyle = INK; ctx.textAlign = "left"; ctx.textBaseline = "alphabetic";
    ctx.fillText(d.title, x0, apart ? 16 : y0 - 10);
  }
  if (d.key === false) return;   // small multiples: their page says what the colours mean
  ctx.font = `14px ${FONT}`; ctx.textBaseline = "middle";
  const ky = apart ? y0 - 11 : y0 - 16;
  let right = x0 + side;
  if (d.mode === "classes" || !d.ends) {
    for (let c = k - 1; c >= 0; c--) {
      const label = String(c), w = ctx.measureText(label).width;
      ctx.fillStyle = INK; ctx.textAlign = "right"; ctx.fillText(label, right, ky);
      ctx.fillStyle = rgb(CLASSES[c % CLASSES.length]); ctx.strokeStyle = "white"; ctx.lineWidth = 1;
      markerPath(ctx, c, right - w - 8, ky, 5); ctx.fill();
      right -= w + 22;
    }
    if (right - ctx.measureText("class").width >= 2) { ctx.fillStyle = FAINT; ctx.textAlign = "right"; ctx.fillText("class", right, ky); }
  } else {  // a signed scale: orange end, grey middle, blue end, each end named (a magnitude: grey to blue)
    const [lo, hi] = d.ends, wHi = ctx.measureText(hi).width, bar = 56;
    ctx.fillStyle = INK; ctx.textAlign = "right"; ctx.fillText(hi, right, ky);
    const bx = right - wHi - 6 - bar;
    const shade = d.mode === "magnitude" ? (t) => t : (t) => t * 2 - 1;
    for (let i = 0; i < bar; i++) { ctx.fillStyle = rgb(diverging(shade(i / (bar - 1)))); ctx.fillRect(bx + i, ky - 6, 1.5, 12); }
    ctx.strokeStyle = "#9a9a9a"; ctx.lineWidth = 1; ctx.strokeRect(bx + 0.5, ky - 6.5, bar, 13);
    ctx.fillStyle = INK; ctx.fillText(lo, bx - 6, ky);
  }
  });
  planeListen(host);
  return drawn;
}

// Drawing your own points: a click on the plane sends its data coordinates to the page (through
// the same channel as the network's edits), which adds or erases a point and retrains on the set.
function planeListen(host) {
  if (host.__npPlaneListening) return;
  host.__npPlaneListening = true;
  const at = (event) => {
    const p = host.__npPlane, canvas = host.querySelector("canvas");
    if (!p || !p.d.drawable || event.target !== canvas) return null;
    const r = canvas.getBoundingClientRect(), x = event.clientX - r.left, y = event.clientY - r.top;
    if (x < p.x0 || x > p.x0 + p.side || y < p.y0 || y > p.y0 + p.side) return null;
    return [(x - p.x0) / p.side * 2 * p.dom - p.dom, p.dom - (y - p.y0) / p.side * 2 * p.dom];
  };
  host.addEventListener("mousemove", (event) => {
    const canvas = host.querySelector("canvas");
    if (canvas && event.target === canvas) canvas.style.cursor = at(event) ? "crosshair" : "default";
  });
  host.addEventListener("click", (event) => {
    const point = at(event), send = (window.__netplayEdit || {})[host.__npPlane ? host.__npPlane.d.view : ""];
    if (point && send) send({ kind: "point", x: +point[0].toFixed(2), y: +point[1].toFixed(2) });
  });
}
