// A self-organizing map drawn as its grid of units (squares, or hexagons for a hexagonal map):
// each cell in the colour the server chose (the map's own colours, the U-matrix, h(u)), the
// last best-matching unit ringed, the neighbourhood radius as a circle, label markers, numbers.
export default function (component) {
  const d = component.data;
  const W = d.w, H = d.h, pos = floats(d.centres), margin = 26, top = 40, bottom = d.legend ? 34 : 12;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let u = 0; u < W * H; u++) {
    minX = Math.min(minX, pos[2 * u]); maxX = Math.max(maxX, pos[2 * u]);
    minY = Math.min(minY, pos[2 * u + 1]); maxY = Math.max(maxY, pos[2 * u + 1]);
  }
  // as tall as the grid needs at this width (never taller than asked): no blank band under the map
  // (and, however wide the column, never taller than 62 % of the window: a projector's 720 rows)
  const fit = (width) => Math.min(d.height, Math.max(300, 0.62 * window.innerHeight),
                                  top + bottom + (maxY - minY + 1) * (width - 2 * margin) / (maxX - minX + 1));
  return paint(component, fit, (ctx, width, height) => {
    const cols = bytes(d.colours);
    const s = Math.min((width - 2 * margin) / (maxX - minX + 1), (height - bottom - top) / (maxY - minY + 1));
    const x0 = (width - (maxX - minX + 1) * s) / 2;
    const centre = (u) => [x0 + (pos[2 * u] - minX + 0.5) * s, top + (maxY - pos[2 * u + 1] + 0.5) * s];
    const cell = (u) => {
      const [cx, cy] = centre(u);
      if (d.hex) {
        const r = s / Math.sqrt(3);
        return [...Array(6).keys()].map((k) => [cx + r * Math.cos((30 + 60 * k) * Math.PI / 180),
                                               cy + r * Math.sin((30 + 60 * k) * Math.PI / 180)]);
      }
      const h = s / 2;
      return [[cx - h, cy - h], [cx + h, cy - h], [cx + h, cy + h], [cx - h, cy + h]];
    };
    const path = (pts) => { ctx.beginPath(); pts.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y))); ctx.closePath(); };
    const numbers = d.numbers ? floats(d.numbers) : null;
    ctx.font = `${Math.min(14, Math.floor(s * 0.42))}px ${FONT}`;  // 14 px where a cell has room
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    for (let u = 0; u < W * H; u++) {
      path(cell(u));
      ctx.fillStyle = rgb([cols[3 * u], cols[3 * u + 1], cols[3 * u + 2]]);
      ctx.fill();
      if (s > 8) { ctx.strokeStyle = d.outline || "white"; ctx.lineWidth = 1; ctx.stroke(); }
      if (numbers && s >= 30 && Math.abs(numbers[u]) >= 0.005) {
        const [cx, cy] = centre(u);
        ctx.fillStyle = numbers[u] > 0.6 ? "white" : INK;
        ctx.fillText(numbers[u].toFixed(2), cx, cy);
      }
    }
    const palette = d.palette || CLASSES.map(rgb);
    if (d.markers) {  // label markers: (unit index, 2 bytes little-endian; label, 1 byte) per marker
      const m = bytes(d.markers), r = Math.max(3, s * 0.22), byCell = {};
      for (let k = 0; k + 2 < m.length; k += 3) (byCell[m[k] | (m[k + 1] << 8)] = byCell[m[k] | (m[k + 1] << 8)] || []).push(m[k + 2]);
      for (const [u, labels] of Object.entries(byCell)) drawMarkers(+u, labels, r);
    }
    function drawMarkers(u, labels, r) {
      const [cx, cy] = centre(u);
      labels.forEach((label, n) => {
        const x = cx + (n - (labels.length - 1) / 2) * r * 1.6;
        ctx.strokeStyle = palette[label % palette.length]; ctx.lineWidth = 3;
        markerPath(ctx, label, x, cy, r);
        ctx.stroke();
      });
    }
    if (d.bmu !== null && d.bmu !== undefined) {
      path(cell(d.bmu)); ctx.strokeStyle = "black"; ctx.lineWidth = 4; ctx.stroke();
      if (d.sigma) {  // the radius circle, cut at the map's edge (it runs on over the page otherwise)
        const [cx, cy] = centre(d.bmu), r = d.sigma * s;
        ctx.save(); ctx.beginPath(); ctx.rect(x0 - 4, top - 4, (maxX - minX + 1) * s + 8, (maxY - minY + 1) * s + 8); ctx.clip();
        ctx.beginPath(); ctx.arc(cx, cy, r, 0, 2 * Math.PI); ctx.strokeStyle = "black"; ctx.lineWidth = 3; ctx.stroke();
        ctx.beginPath(); ctx.arc(cx, cy, r + 3, 0, 2 * Math.PI); ctx.strokeStyle = "white"; ctx.lineWidth = 2; ctx.stroke();
        ctx.restore();
      }
    }
    // the sample's and the BMU's colours as swatches on the title's line, right-aligned: never over the map
    ctx.font = `14px ${FONT}`; ctx.textBaseline = "middle";
    let right = width - 4;
    [...(d.swatches || [])].reverse().forEach((c, k) => {
      const name = k ? "sample" : "BMU";
      ctx.fillStyle = rgb(c); ctx.fillRect(right - 30, 7, 30, 22);
      ctx.strokeStyle = "#3c3c3c"; ctx.lineWidth = 1; ctx.strokeRect(right - 29.5, 7.5, 29, 21);
      ctx.fillStyle = INK; ctx.textAlign = "right"; ctx.fillText(name, right - 36, 18);
      right -= 48 + ctx.measureText(name).width;
    });
    ctx.fillStyle = INK; ctx.font = `600 15px ${FONT}`; ctx.textAlign = "left"; ctx.textBaseline = "middle";
    ctx.fillText(d.title || "", 4, 18, right - 12);
    if (d.legend) {
      let x = margin;
      ctx.font = `14px ${FONT}`; ctx.textAlign = "left"; ctx.textBaseline = "middle";
      d.legend.forEach((name, k) => {
        ctx.strokeStyle = palette[k % palette.length]; ctx.lineWidth = 3; markerPath(ctx, k, x + 6, height - 12, 5.5); ctx.stroke();
        ctx.fillStyle = INK; ctx.fillText(name, x + 16, height - 12);
        x += 30 + ctx.measureText(name).width;
      });
    }
  });
}
