// The colours every browser-drawn picture uses (prepended to the renderers' library and to the
// dataset picker). They follow app/charts/theme.py: orange negative / class 0, blue positive /
// class 1, light grey zero.
const NEG = [245, 147, 34], POS = [8, 119, 189], MID = [232, 234, 235];
const CLASSES = [NEG, POS, [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75],
                 [227, 119, 194], [23, 190, 207], [188, 189, 34], [127, 127, 127]];
const INK = "#282828", FAINT = "#5a5a5a", FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif";

function signed(u) { return u / 127.5 - 1; }   // uint8 0..255 -> [-1, 1]
function diverging(v) {          // [-1, 1] -> [r, g, b]
  const t = Math.max(-1, Math.min(1, v)), end = t < 0 ? NEG : POS, a = Math.abs(t);
  return [MID[0] + (end[0] - MID[0]) * a, MID[1] + (end[1] - MID[1]) * a, MID[2] + (end[2] - MID[2]) * a];
}
function rgb(c) { return `rgb(${c[0] | 0},${c[1] | 0},${c[2] | 0})`; }
