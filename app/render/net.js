// A map on 2-D data drawn in the data plane, as an elastic net: the data points, each unit as a
// node at its weights joined to its grid neighbours, filled by how far the last update pulled it
// (blue towards the sample, orange away), the last sample as a red star and its BMU ringed.
export default function (component) {
  const d = component.data;
  return paint(component, d.height, (ctx, width, height) => {
    const nodes = floats(d.nodes), edges = floats(d.edges), pts = bytes(d.points), labs = d.labels ? bytes(d.labels) : null;
    const [lo0, lo1, span] = d.frame, pad = 24, top = 34;
    const side = Math.min(width - 2 * pad, height - top - pad);
    const x0 = (width - side) / 2;
    const px = (a, b) => [x0 + (a - lo0) / span * side, top + side - (b - lo1) / span * side];
    for (let i = 0; i < pts.length / 2; i++) {
      const [x, y] = px(lo0 + pts[2 * i] / 255 * span, lo1 + pts[2 * i + 1] / 255 * span);
      const c = labs ? CLASSES[labs[i] % CLASSES.length].map((v) => v * 0.6 + 100) : [160, 160, 160];
      ctx.fillStyle = rgb(c); ctx.beginPath(); ctx.arc(x, y, 2.5, 0, 2 * Math.PI); ctx.fill();
    }
    ctx.strokeStyle = "#3c3c3c"; ctx.lineWidth = 2; ctx.beginPath();
    for (let k = 0; k + 1 < edges.length; k += 2) {
      const a = edges[k], b = edges[k + 1];
      const [xa, ya] = px(nodes[2 * a], nodes[2 * a + 1]), [xb, yb] = px(nodes[2 * b], nodes[2 * b + 1]);
      ctx.moveTo(xa, ya); ctx.lineTo(xb, yb);
    }
    ctx.stroke();
    const pull = d.pull ? bytes(d.pull) : null;
    for (let u = 0; u < nodes.length / 2; u++) {
      const [x, y] = px(nodes[2 * u], nodes[2 * u + 1]);
      const v = pull ? signed(pull[u]) : 0, e = v < 0 ? NEG : POS, a = Math.min(1, Math.abs(v));
      ctx.fillStyle = rgb([255 + (e[0] - 255) * a, 255 + (e[1] - 255) * a, 255 + (e[2] - 255) * a]);
      ctx.strokeStyle = "#282828"; ctx.lineWidth = 1;
      ctx.beginPath(); ctx.arc(x, y, 4, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    }
    if (d.bmu !== null && d.bmu !== undefined) {
      const [x, y] = px(nodes[2 * d.bmu], nodes[2 * d.bmu + 1]);
      ctx.strokeStyle = "black"; ctx.lineWidth = 3; ctx.beginPath(); ctx.arc(x, y, 8, 0, 2 * Math.PI); ctx.stroke();
    }
    if (d.sample) {
      const [x, y] = px(d.sample[0], d.sample[1]);
      ctx.fillStyle = "rgb(214,39,40)"; ctx.strokeStyle = "black"; ctx.lineWidth = 1; ctx.beginPath();
      for (let k = 0; k < 10; k++) {
        const r = k % 2 ? 4 : 9, t = (90 + 36 * k) * Math.PI / 180;
        (k ? ctx.lineTo : ctx.moveTo).call(ctx, x + r * Math.cos(t), y - r * Math.sin(t));
      }
      ctx.closePath(); ctx.fill(); ctx.stroke();
    }
    ctx.fillStyle = INK; ctx.font = `600 16px ${FONT}`; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    ctx.fillText(d.title || "", width / 2, 16);
  });
}
