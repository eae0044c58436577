// Small square images in a grid (digits, reconstructions, filters, Gibbs chains): ``group``
// images side by side form one tile (2: an input and its reconstruction), ``cols`` tiles a row.
// scale "ink": 0 paper .. 1 ink; "signed": each image scaled by its own largest |value|, blue + / orange -.
// Its margins are mirrored by render.tiles_height (the height a page asks for a given tile size).
export default function (component) {
  const d = component.data;
  return paint(component, d.height, (ctx, width, height) => {
    const n = d.n, side = d.side, group = d.group || 1, cols = d.cols, tiles = Math.ceil(n / group);
    const rows = Math.ceil(tiles / cols), pad = 6, top = d.title ? 30 : 6, bottom = d.note ? 22 : 6;
    const cell = Math.max(4, Math.floor(Math.min(
      (width - pad - cols * ((group - 1) * 3 + pad)) / (cols * group),
      (height - top - bottom - rows * pad) / rows)));
    const tileW = group * cell + (group - 1) * 3 + pad;
    const x0 = Math.max(0, (width - cols * tileW - pad) / 2);
    const cells = bytes(d.cells), paper = [255, 255, 255], ink = [40, 40, 40];
    for (let k = 0; k < n; k++) {
      const t = Math.floor(k / group), g = k % group, r = Math.floor(t / cols), c = t % cols;
      const x = x0 + pad + c * tileW + g * (cell + 3), y = top + r * (cell + pad);
      const img = cells.subarray(k * side * side, (k + 1) * side * side);
      const colour = d.scale === "signed"
        ? (i, v) => { const s = signed(v[i]), a = Math.abs(s), e = s < 0 ? NEG : POS;
                      return [255 + (e[0] - 255) * a, 255 + (e[1] - 255) * a, 255 + (e[2] - 255) * a]; }
        : (i, v) => { const a = v[i] / 255; return [paper[0] + (ink[0] - paper[0]) * a, paper[1] + (ink[1] - paper[1]) * a,
                                                     paper[2] + (ink[2] - paper[2]) * a]; };
      gridImage(ctx, img, side, colour, x, y, cell, cell, false);
      if (group === 1) {  // each map framed, so neighbouring maps never run together
        ctx.strokeStyle = "#b4b4b4"; ctx.lineWidth = 1; ctx.strokeRect(x - 0.5, y - 0.5, cell + 1, cell + 1);
      } else if (g === group - 1) {
        ctx.strokeStyle = "#c8c8c8"; ctx.lineWidth = 1;
        ctx.strokeRect(x - (group - 1) * (cell + 3) - 1.5, y - 1.5, group * cell + (group - 1) * 3 + 3, cell + 3);
      }
    }
    ctx.fillStyle = INK; ctx.font = `600 15px ${FONT}`; ctx.textAlign = "left"; ctx.textBaseline = "top";
    if (d.title) ctx.fillText(d.title, x0 + pad, 8);
    if (d.note) {
      ctx.fillStyle = FAINT; ctx.font = `14px ${FONT}`; ctx.textAlign = "center"; ctx.textBaseline = "bottom";
      ctx.fillText(d.note, width / 2, height - 3);
    }
  });
}
