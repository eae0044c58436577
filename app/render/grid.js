// A matrix of values as coloured cells: rows down, columns across (time steps, units, updates).
// scale "signed": uint8 0..255 as -1..1, orange - / blue +; "magnitude": 0 paper .. 255 dark blue.
// ``bands``: optional [[label, first row, rows], ...] that name groups of rows (the gates).
// ``empty``: words written across the box instead of cells (nothing to show yet).
export default function (component) {
  const d = component.data;
  return paint(component, d.height, (ctx, width, height) => {
    const rows = d.rows, cols = d.cols, cells = bytes(d.cells), bands = d.bands || [];
    const left = bands.length ? 84 : 62, right = 12, top = (d.title ? 30 : 8) + (d.legend ? 18 : 0), bottom = 40;
    const w = Math.max(10, width - left - right), h = Math.max(10, height - top - bottom);
    const paper = [255, 255, 255], deep = [8, 48, 107];
    const colour = d.scale === "signed"
      ? (i, v) => diverging(signed(v[i]))
      : (i, v) => { const a = v[i] / 255; return [paper[0] + (deep[0] - paper[0]) * a, paper[1] + (deep[1] - paper[1]) * a,
                                                   paper[2] + (deep[2] - paper[2]) * a]; };
    if (d.empty) {
      ctx.fillStyle = FAINT; ctx.font = `14px ${FONT}`; ctx.textAlign = "center"; ctx.textBaseline = "middle";
      ctx.fillText(d.empty, left + w / 2, top + h / 2);
    } else gridImage(ctx, cells, cols, colour, left, top, w, h, false, rows);
    ctx.strokeStyle = "#b4b4b4"; ctx.lineWidth = 1; ctx.strokeRect(left - 0.5, top - 0.5, w + 1, h + 1);
    ctx.font = `13px ${FONT}`; ctx.fillStyle = FAINT;
    for (const [label, first, n] of bands) {  // a band's name beside it, a rule between bands
      const y0 = top + first / rows * h, y1 = top + (first + n) / rows * h;
      ctx.textAlign = "right"; ctx.textBaseline = "middle";
      ctx.fillText(label, left - 6, (y0 + y1) / 2);
      if (first > 0) { ctx.strokeStyle = "#fff"; ctx.lineWidth = 2; ctx.beginPath(); ctx.moveTo(left, y0); ctx.lineTo(left + w, y0); ctx.stroke(); }
    }
    ctx.fillStyle = FAINT; ctx.textBaseline = "top";
    const ticks = d.x_ticks || [];   // [[column, label], ...]
    for (const [c, label] of ticks) {
      const x = left + (c + 0.5) / cols * w;
      ctx.textAlign = "center";
      ctx.fillText(String(label), Math.min(width - 14, Math.max(left + 6, x)), top + h + 4);
    }
    if (d.x_label) { ctx.textAlign = "center"; ctx.fillText(d.x_label, left + w / 2, top + h + 21); }
    if (!bands.length && d.y_label) {
      ctx.save(); ctx.translate(14, top + h / 2); ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.fillText(d.y_label, 0, 0); ctx.restore();
    }
    if (!bands.length) {
      ctx.textAlign = "right"; ctx.textBaseline = "top";
      if (d.y_first !== undefined) ctx.fillText(String(d.y_first), left - 5, top);
      ctx.textBaseline = "bottom";
      if (d.y_last !== undefined) ctx.fillText(String(d.y_last), left - 5, top + h);
    }
    ctx.fillStyle = INK; ctx.font = `600 15px ${FONT}`; ctx.textAlign = "left"; ctx.textBaseline = "top";
    if (d.title) ctx.fillText(d.title, 6, 6);
    if (d.legend) {  // under the title: what the colours mean
      ctx.font = `13px ${FONT}`; ctx.fillStyle = FAINT;
      ctx.fillText(d.legend, 6, 28);
    }
  });
}
