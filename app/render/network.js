// The network: each neuron drawn as what it computes over the input plane, links by weight
// (colour: sign, thickness: size), dead ReLUs outlined in red.
export default function (component) {
  const d = component.data;
  return paint(component, d.height, (ctx, width, height) => {
  const sizes = d.sizes, L = sizes.length, res = d.res;
  const thumbs = bytes(d.thumbs), weights = bytes(d.weights), dead = d.dead || [];
  const top = 40, labelRoom = 64;
  const cell = Math.floor(Math.min(48, Math.max(18, (height - top - 14) / Math.max(...sizes) - 8)));
  const gap = L > 1 ? (width - labelRoom - cell - 16) / (L - 1) : 0;
  const centre = (l, j) => {
    const span = sizes[l] * (cell + 8), y = top + (height - top - 8 - span) / 2;
    return [labelRoom + cell / 2 + l * gap, y + j * (cell + 8) + cell / 2];
  };
  let w = 0;
  for (let l = 0; l + 1 < L; l++) {
    for (let a = 0; a < sizes[l]; a++) {
      const [xa, ya] = centre(l, a);
      for (let b = 0; b < sizes[l + 1]; b++, w++) {
        const v = signed(weights[w]), s = Math.abs(v), [xb, yb] = centre(l + 1, b);
        const c = diverging((v < 0 ? -1 : 1) * (0.35 + 0.65 * s));
        ctx.strokeStyle = rgb(c);
        ctx.lineWidth = 1 + 5 * s;
        ctx.beginPath(); ctx.moveTo(xa + cell / 2, ya); ctx.lineTo(xb - cell / 2, yb); ctx.stroke();
      }
    }
  }
  let u = 0;
  ctx.font = `15px ${FONT}`;
  for (let l = 0; l < L; l++) {
    const [lx] = centre(l, 0);
    ctx.fillStyle = INK; ctx.textAlign = "center"; ctx.textBaseline = "top";
    ctx.fillText(d.labels[l], lx, 8);
    for (let j = 0; j < sizes[l]; j++, u++) {
      const [cx, cy] = centre(l, j), off = u * res * res;
      gridImage(ctx, thumbs.subarray(off, off + res * res), res, (i, t) => diverging(signed(t[i])),
                cx - cell / 2, cy - cell / 2, cell, cell, false);
      const isDead = dead[u];
      ctx.strokeStyle = isDead ? "#c80000" : "#6e6e6e";
      ctx.lineWidth = isDead ? 3 : 1;
      ctx.strokeRect(cx - cell / 2, cy - cell / 2, cell, cell);
      if (l === 0) {
        ctx.fillStyle = INK; ctx.textAlign = "right"; ctx.textBaseline = "middle";
        ctx.fillText(d.inputs[j], cx - cell / 2 - 6, cy);
      }
    }
  }
  });
}
