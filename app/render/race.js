// Optimizers racing on a loss surface: the surface as banded colours (drawn once per surface and
// width, then reused), each racer's path up to step t, its current point (an X where it
// diverged), the known minima as stars and the common start as a black square. The paths arrive
// once; a frame carries only t.
const SURFACE_STOPS = [[0.0, [127, 159, 191]], [0.35, [198, 213, 227]], [1.0, [251, 251, 251]]];
function surfaceColour(level) {
  for (let k = 1; k < SURFACE_STOPS.length; k++) {
    const [s1, c1] = SURFACE_STOPS[k], [s0, c0] = SURFACE_STOPS[k - 1];
    if (level <= s1) { const a = (level - s0) / (s1 - s0); return c0.map((v, i) => v + (c1[i] - v) * a); }
  }
  return SURFACE_STOPS[SURFACE_STOPS.length - 1][1];
}
function surfaceImage(grid, n, w, h) {   // bilinear in the grid, 30 bands, band edges darkened
  const off = document.createElement("canvas"); off.width = w; off.height = h;
  const octx = off.getContext("2d"), img = octx.createImageData(w, h), band = new Int16Array(w * h);
  for (let py = 0; py < h; py++) for (let px = 0; px < w; px++) {
    const gx = px / (w - 1) * (n - 1), gy = (1 - py / (h - 1)) * (n - 1);   // grid row 0 = lowest y
    const x0 = Math.floor(gx), y0 = Math.floor(gy), x1 = Math.min(x0 + 1, n - 1), y1 = Math.min(y0 + 1, n - 1);
    const fx = gx - x0, fy = gy - y0, v = (a, b) => grid[b * n + a] / 255;
    const value = (v(x0, y0) * (1 - fx) + v(x1, y0) * fx) * (1 - fy) + (v(x0, y1) * (1 - fx) + v(x1, y1) * fx) * fy;
    band[py * w + px] = Math.min(29, Math.floor(value * 30));
  }
  for (let i = 0; i < w * h; i++) {
    const x = i % w, y = (i / w) | 0, b = band[i];
    const edge = (x > 0 && band[i - 1] !== b) || (y > 0 && band[i - w] !== b);
    const c = surfaceColour(b / 29).map((v) => (edge ? v * 0.78 : v));
    img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
  }
  octx.putImageData(img, 0, 0);
  return off;
}
export default function (component) {
  const d = component.data, host = component.parentElement;
  return paint(component, d.height, (ctx, width, height) => {
    const left = 56, right = 16, top = d.title ? 30 : 20, bottom = 44, w = width - left - right, h = height - top - bottom;
    const grid = bytes(d.grid), [x0, x1, y0, y1] = d.window;
    let cache = host.__npSurface;
    if (!cache || cache.grid !== grid || cache.w !== w || cache.h !== h) {
      cache = host.__npSurface = { grid, w, h, image: surfaceImage(grid, d.n, w, h) };
    }
    ctx.drawImage(cache.image, left, top);
    ctx.strokeStyle = "#969696"; ctx.lineWidth = 1; ctx.strokeRect(left + 0.5, top + 0.5, w, h);
    const px = (x, y) => [left + (x - x0) / (x1 - x0) * w, top + (1 - (y - y0) / (y1 - y0)) * h];
    ctx.fillStyle = FAINT; ctx.font = `14px ${FONT}`;
    const xt = ticks(x0, x1, Math.max(2, Math.floor(w / 80))), yt = ticks(y0, y1, Math.max(2, Math.floor(h / 60)));
    for (const t of xt) {
      ctx.textAlign = "center"; ctx.textBaseline = "top"; ctx.fillText(fmt(t, xt.step), px(t, y0)[0], top + h + 5);
    }
    for (const t of yt) {
      ctx.textAlign = "right"; ctx.textBaseline = "middle"; ctx.fillText(fmt(t, yt.step), left - 6, px(x0, t)[1]);
    }
    ctx.textAlign = "center"; ctx.textBaseline = "bottom"; ctx.fillText(d.axis[0], left + w / 2, height - 2);
    const minima = d.minima || [];
    for (const [mx, my] of minima) {
      const [cx, cy] = px(mx, my);
      ctx.beginPath();
      for (let k = 0; k < 10; k++) {
        const r = k % 2 ? 4 : 9, a = k * Math.PI / 5;
        const X = cx + r * Math.sin(a), Y = cy - r * Math.cos(a);
        if (k) ctx.lineTo(X, Y); else ctx.moveTo(X, Y);
      }
      ctx.closePath(); ctx.fillStyle = "white"; ctx.fill(); ctx.strokeStyle = "black"; ctx.lineWidth = 1; ctx.stroke();
    }
    const [sx, sy] = px(d.start[0], d.start[1]);
    ctx.fillStyle = "black"; ctx.fillRect(sx - 5, sy - 5, 10, 10);
    const paths = floats(d.paths), S = d.steps, t = Math.min(d.t, S);
    ctx.save(); ctx.beginPath(); ctx.rect(left - 30, top - 30, w + 60, h + 60); ctx.clip();
    d.colours.forEach((colour, r) => {
      const dv = d.diverged[r], diverged = dv >= 0 && dv <= t, last = diverged ? dv - 1 : t;
      ctx.strokeStyle = colour; ctx.lineWidth = 3; ctx.beginPath();
      let end = null;
      for (let i = 0; i <= last; i++) {
        const o = 2 * (r * (S + 1) + i), x = paths[o], y = paths[o + 1];
        if (!Number.isFinite(x) || !Number.isFinite(y)) break;
        end = px(x, y);
        if (i) ctx.lineTo(end[0], end[1]); else ctx.moveTo(end[0], end[1]);
      }
      ctx.stroke();
      if (!end) return;
      const [ex, ey] = end;
      if (diverged) {
        ctx.lineWidth = 4; ctx.beginPath(); ctx.moveTo(ex - 9, ey - 9); ctx.lineTo(ex + 9, ey + 9);
        ctx.moveTo(ex - 9, ey + 9); ctx.lineTo(ex + 9, ey - 9); ctx.stroke();
        ctx.font = `15px ${FONT}`; ctx.textAlign = "left"; ctx.textBaseline = "middle";
        ctx.lineWidth = 3; ctx.strokeStyle = "white"; ctx.strokeText(`diverged at step ${dv}`, ex + 12, ey);
        ctx.fillStyle = colour; ctx.fillText(`diverged at step ${dv}`, ex + 12, ey);
      } else {
        ctx.fillStyle = colour; ctx.strokeStyle = "black"; ctx.lineWidth = 2;
        ctx.beginPath(); ctx.arc(ex, ey, 7, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
      }
    });
    ctx.restore();
    if (d.title) {  // the learning-rate explorer's panels: which rate, and its fate
      ctx.font = `600 15px ${FONT}`; ctx.textAlign = "left"; ctx.textBaseline = "middle";
      const dv = d.diverged[0], gone = dv >= 0 && dv <= Math.min(d.t, d.steps);
      ctx.fillStyle = gone ? "#c81e1e" : INK;
      ctx.fillText(d.title + (gone ? `: diverged at step ${dv}` : ""), left, 13);
    }
    ctx.save(); ctx.translate(14, top + h / 2); ctx.rotate(-Math.PI / 2);
    ctx.fillStyle = FAINT; ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.fillText(d.axis[1], 0, 0);
    ctx.restore();
  });
}
