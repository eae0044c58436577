// Text drawn character by character, each on a background coloured by a value in -1..1 (``values``:
// uint8, one per character; blue +, orange -, as every picture here), or plain when there are none:
// what one recurrent unit does over a text (Karpathy's "practical intuition"), or sampled text.
export default function (component) {
  const d = component.data;
  return paint(component, d.height, (ctx, width, height) => {
    const text = d.text || "", values = d.values ? bytes(d.values) : null;
    const top = d.title ? 32 : 8, pad = 8, size = d.size || 16;
    ctx.font = `${size}px ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace`;
    const cw = Math.ceil(ctx.measureText("M").width), lh = Math.round(size * 1.45);
    const perLine = Math.max(8, Math.floor((width - 2 * pad) / cw));
    let x = 0, y = 0;
    ctx.textBaseline = "middle";
    for (let i = 0; i < text.length; i++) {
      const ch = text[i], newline = ch === "\n";
      if (top + (y + 1) * lh > height - (d.note ? 20 : 4)) break;
      const px = pad + x * cw, py = top + y * lh;
      if (values) { ctx.fillStyle = rgb(diverging(signed(values[i]))); ctx.fillRect(px, py, cw, lh - 2); }
      ctx.fillStyle = newline ? "#9a9a9a" : INK;
      ctx.textAlign = "left";
      ctx.fillText(newline ? "↵" : ch, px, py + lh / 2 - 1);
      x += 1;
      if (newline || x >= perLine) { x = 0; y += 1; }
    }
    ctx.fillStyle = INK; ctx.font = `600 15px ${FONT}`; ctx.textAlign = "left"; ctx.textBaseline = "top";
    if (d.title) ctx.fillText(d.title, 6, 6);
    if (d.note) { ctx.font = `13px ${FONT}`; ctx.fillStyle = FAINT; ctx.textBaseline = "bottom"; ctx.fillText(d.note, 6, height - 2); }
  });
}
