// Points in a plane (an autoencoder's 2-D code, PCA's projection): ``xy`` float32 pairs, one
// class per point (``labels``: uint8, coloured and shaped as every class picture here), the axes
// from ``box`` [x0, x1, y0, y1] (else the points' own range; a point outside is drawn at its edge);
// ``mark``: [x, y] ringed (the code being decoded; at the box's edge, dashed, when it lies outside).
// ``legend``: class names. ``lines`` (float32 pairs, ``line_len`` points a line): polylines under
// the points (the playground's input grid warped by a hidden layer).
export default function (component) {
  const d = component.data;
  return paint(component, d.height, (ctx, width, height) => {
    const xy = floats(d.xy), labels = d.labels ? bytes(d.labels) : null, n = xy.length >> 1;
    const left = 46, right = 12, top = d.title ? 32 : 10, bottom = 36;
    let [x0, x1, y0, y1] = d.box || [Infinity, -Infinity, Infinity, -Infinity];
    if (!d.box) {
      for (let i = 0; i < n; i++) {
        const x = xy[2 * i], y = xy[2 * i + 1];
        if (Number.isFinite(x) && Number.isFinite(y)) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
      }
      if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
      if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
      const px = (x1 - x0) * 0.05, py = (y1 - y0) * 0.05;
      x0 -= px; x1 += px; y0 -= py; y1 += py;
    }
    const w = width - left - right - (d.legend ? 80 : 0), h = height - top - bottom, side = Math.min(w, h * 1.6);
    const ox = left + (w - side) / 2;
    const X = (v) => ox + (v - x0) / (x1 - x0) * side, Y = (v) => top + (y1 - v) / (y1 - y0) * h;
    const inX = (v) => Math.max(x0, Math.min(x1, v)), inY = (v) => Math.max(y0, Math.min(y1, v));   // to the box
    component.parentElement.__npScatter = { d, ox, top, side, h, x0, x1, y0, y1 };   // where a click lands
    ctx.strokeStyle = "#c8c8c8"; ctx.lineWidth = 1; ctx.strokeRect(ox - 0.5, top - 0.5, side + 1, h + 1);
    if (x0 < 0 && x1 > 0) { ctx.strokeStyle = "#e6e6e6"; ctx.beginPath(); ctx.moveTo(X(0), top); ctx.lineTo(X(0), top + h); ctx.stroke(); }
    if (y0 < 0 && y1 > 0) { ctx.strokeStyle = "#e6e6e6"; ctx.beginPath(); ctx.moveTo(ox, Y(0)); ctx.lineTo(ox + side, Y(0)); ctx.stroke(); }
    if (d.lines) {   // polylines of ``line_len`` points each (a grid's lines as a layer sees them), clipped
      const ls = floats(d.lines), m = d.line_len;
      ctx.save(); ctx.beginPath(); ctx.rect(ox, top, side, h); ctx.clip();
      ctx.strokeStyle = "rgba(120,120,120,0.55)"; ctx.lineWidth = 1;
      for (let s0 = 0; s0 + 2 * m <= ls.length; s0 += 2 * m) {
        ctx.beginPath();
        for (let i = 0; i < m; i++) {
          const x = X(ls[s0 + 2 * i]), y = Y(ls[s0 + 2 * i + 1]);
          if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
        }
        ctx.stroke();
      }
      ctx.restore();
    }
    const r = Math.max(2.2, Math.min(4, side / 140));
    ctx.globalAlpha = 0.85;
    for (let i = 0; i < n; i++) {
      const x = xy[2 * i], y = xy[2 * i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const cls = labels ? labels[i] : 1;
      ctx.fillStyle = rgb(CLASSES[cls % CLASSES.length]);
      markerPath(ctx, labels ? cls : 0, X(inX(x)), Y(inY(y)), r);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    if (d.mark) {   // a code outside the box is ringed at its edge, dashed: off the plot that way
      const mx = inX(d.mark[0]), my = inY(d.mark[1]);
      ctx.strokeStyle = INK; ctx.lineWidth = 2.5;
      if (mx !== d.mark[0] || my !== d.mark[1]) ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.arc(X(mx), Y(my), 9, 0, 2 * Math.PI); ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.fillStyle = FAINT; ctx.font = `12px ${FONT}`; ctx.textBaseline = "top"; ctx.textAlign = "center";
    ctx.fillText(x0.toPrecision(2), ox, top + h + 4); ctx.fillText(x1.toPrecision(2), ox + side, top + h + 4);
    if (d.x_label) ctx.fillText(d.x_label, ox + side / 2, top + h + 18);
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    ctx.fillText(y1.toPrecision(2), ox - 4, top + 6); ctx.fillText(y0.toPrecision(2), ox - 4, top + h - 6);
    if (d.legend) {   // class names down the right edge
      ctx.textAlign = "left"; ctx.font = `12px ${FONT}`;
      d.legend.forEach((name, i) => {
        const y = top + 8 + i * 16;
        if (y > top + h) return;
        ctx.fillStyle = rgb(CLASSES[i % CLASSES.length]);
        markerPath(ctx, i, ox + side + 8, y, 4); ctx.fill();
        ctx.fillStyle = FAINT; ctx.fillText(name, ox + side + 15, y);
      });
    }
    ctx.fillStyle = INK; ctx.font = `600 15px ${FONT}`; ctx.textAlign = "left"; ctx.textBaseline = "top";
    if (d.title) ctx.fillText(d.title, 6, 6);
    if (d.clickable) scatterListen(component.parentElement);
  });
}

// A click in a clickable plot sends its coordinates to the page (the edits channel, as the
// playground's plane): the autoencoder decodes the code clicked.
function scatterListen(host) {
  if (host.__npScatterListening) return;
  host.__npScatterListening = true;
  const at = (event) => {
    const p = host.__npScatter, canvas = host.querySelector("canvas");
    if (!p || !p.d.clickable || event.target !== canvas) return null;
    const r = canvas.getBoundingClientRect(), x = event.clientX - r.left, y = event.clientY - r.top;
    if (x < p.ox || x > p.ox + p.side || y < p.top || y > p.top + p.h) return null;
    return [p.x0 + (x - p.ox) / p.side * (p.x1 - p.x0), p.y1 - (y - p.top) / p.h * (p.y1 - p.y0)];
  };
  host.addEventListener("mousemove", (event) => {
    const canvas = host.querySelector("canvas");
    if (canvas && event.target === canvas) canvas.style.cursor = at(event) ? "crosshair" : "default";
  });
  host.addEventListener("click", (event) => {
    const point = at(event), send = (window.__netplayEdit || {})[host.__npScatter ? host.__npScatter.d.view : ""];
    if (point && send) send({ kind: "code", x: +point[0].toFixed(2), y: +point[1].toFixed(2) });
  });
}
