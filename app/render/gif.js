// An animated GIF of a picture's last frames, made in the browser: every live picture keeps its
// last GIF_FRAMES frames (per view name, so a recording survives the picture being mounted anew
// when the learner pauses) (scaled to at most GIF_WIDTH px, kept as PNG blobs the browser encodes off
// the main thread), and its GIF button turns them into one file: a palette of 256 colours chosen
// from all the frames (median cut), each frame's pixels mapped to it, LZW-coded as GIF89a, looping,
// each frame shown as long as it was on screen. Nothing of this touches the server.
const GIF_FRAMES = 100, GIF_WIDTH = 480, GIF_GAP_MS = 45, GIF_FORGET_MS = 120000;

const gifRecordings = (window.__npRecs = window.__npRecs || {});

function gifRecord(view, canvas) {
  const rec = (gifRecordings[view] = gifRecordings[view] || []), now = performance.now();
  const last = rec[rec.length - 1];
  if (last && now - last.t < GIF_GAP_MS) return;           // ~20 frames a second at most
  const scale = Math.min(1, GIF_WIDTH / canvas.width);
  const w = Math.max(1, Math.round(canvas.width * scale)), h = Math.max(1, Math.round(canvas.height * scale));
  if (last && (last.w !== w || last.h !== h)) rec.length = 0;   // resized: a GIF has one size
  for (const [other, frames] of Object.entries(gifRecordings))   // pictures gone a while (another lab) let go
    if (other !== view && frames.length && now - frames[frames.length - 1].t > GIF_FORGET_MS) delete gifRecordings[other];
  const off = document.createElement("canvas");
  off.width = w; off.height = h;
  off.getContext("2d").drawImage(canvas, 0, 0, w, h);
  const entry = { t: now, w, h, blob: null };
  rec.push(entry);
  if (rec.length > GIF_FRAMES) rec.shift();
  off.toBlob((blob) => { entry.blob = blob; }, "image/png");
}

function gifFrameCount(view) { return (gifRecordings[view] || []).filter((f) => f.blob).length; }

// The frames' pixels: RGBA arrays of one size, and each frame's delay in hundredths of a second
async function gifPixels(frames) {
  const w = frames[0].w, h = frames[0].h, c = document.createElement("canvas");
  c.width = w; c.height = h;
  const ctx = c.getContext("2d", { willReadFrequently: true }), out = [];
  for (let i = 0; i < frames.length; i++) {
    const bmp = await createImageBitmap(frames[i].blob);
    ctx.clearRect(0, 0, w, h); ctx.drawImage(bmp, 0, 0);
    const next = frames[i + 1], ms = next ? next.t - frames[i].t : 1000;   // the last frame rests a second
    out.push({ rgba: ctx.getImageData(0, 0, w, h).data, delay: Math.max(2, Math.min(500, Math.round(ms / 10))) });
  }
  return { w, h, frames: out };
}

// Median cut over 15-bit colours counted in every frame: up to 256 colours, weighted by use
function gifPalette(frames) {
  const counts = new Uint32Array(32768);
  for (const f of frames) for (let i = 0; i < f.rgba.length; i += 4)
    counts[((f.rgba[i] >> 3) << 10) | ((f.rgba[i + 1] >> 3) << 5) | (f.rgba[i + 2] >> 3)]++;
  const used = [];
  for (let k = 0; k < 32768; k++) if (counts[k]) used.push(k);
  const chan = (k, c) => (k >> (10 - 5 * c)) & 31;
  let boxes = [used];
  while (boxes.length < 256) {
    let pick = -1, widest = 0, axis = 0;
    boxes.forEach((box, b) => {
      if (box.length < 2) return;
      for (let c = 0; c < 3; c++) {
        let lo = 31, hi = 0;
        for (const k of box) { const v = chan(k, c); lo = Math.min(lo, v); hi = Math.max(hi, v); }
        if (hi - lo > widest) { widest = hi - lo; pick = b; axis = c; }
      }
    });
    if (pick < 0) break;                                   // every box is one colour: exact
    const box = boxes[pick].sort((a, b) => chan(a, axis) - chan(b, axis));
    let total = 0, half = 0, cut = 1;
    for (const k of box) total += counts[k];
    for (let i = 0; i < box.length - 1; i++) { half += counts[box[i]]; if (half >= total / 2) { cut = i + 1; break; } }
    boxes.splice(pick, 1, box.slice(0, cut), box.slice(cut));
  }
  return boxes.map((box) => {
    let n = 0, r = 0, g = 0, b = 0;
    for (const k of box) { const m = counts[k]; n += m; r += chan(k, 0) * m; g += chan(k, 1) * m; b += chan(k, 2) * m; }
    return [r, g, b].map((v) => Math.min(255, Math.round((v / n) * 255 / 31)));
  });
}

// GIF's variable-length LZW over palette indices (codes of 9 to 12 bits, a clear when the table fills)
function gifLzw(indices, minSize) {
  const out = [], clear = 1 << minSize, eoi = clear + 1;
  let size = minSize + 1, next = eoi + 1, acc = 0, bits = 0, table = new Map();
  const emit = (code) => {
    acc |= code << bits; bits += size;
    while (bits >= 8) { out.push(acc & 255); acc >>>= 8; bits -= 8; }
  };
  emit(clear);
  let cur = indices[0];
  for (let i = 1; i < indices.length; i++) {
    const k = indices[i], key = (cur << 8) | k, hit = table.get(key);
    if (hit !== undefined) { cur = hit; continue; }
    emit(cur);
    if (next === 4096) { emit(clear); size = minSize + 1; next = eoi + 1; table = new Map(); }
    else { if (next >= (1 << size)) size++; table.set(key, next++); }
    cur = k;
  }
  emit(cur); emit(eoi);
  if (bits > 0) out.push(acc & 255);
  return out;
}

function gifEncode(w, h, frames, palette) {
  const bytes = [], word = (v) => bytes.push(v & 255, (v >> 8) & 255), text = (s) => { for (const ch of s) bytes.push(ch.charCodeAt(0)); };
  const colours = palette.concat(Array(256 - palette.length).fill([0, 0, 0]));
  text("GIF89a"); word(w); word(h);
  bytes.push(0xf7, 0, 0);                                          // global table of 256 colours
  for (const c of colours) bytes.push(c[0], c[1], c[2]);
  bytes.push(0x21, 0xff, 11); text("NETSCAPE2.0"); bytes.push(3, 1, 0, 0, 0);   // loop for ever
  const nearest = new Int16Array(32768).fill(-1);
  const lookup = (r, g, b) => {
    const key = ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3);
    if (nearest[key] < 0) {
      let best = 0, dist = Infinity;
      palette.forEach((c, i) => {
        const d = (c[0] - r) ** 2 + (c[1] - g) ** 2 + (c[2] - b) ** 2;
        if (d < dist) { dist = d; best = i; }
      });
      nearest[key] = best;
    }
    return nearest[key];
  };
  for (const f of frames) {
    bytes.push(0x21, 0xf9, 4, 0x04); word(f.delay); bytes.push(0, 0);  // delay, keep the frame
    bytes.push(0x2c); word(0); word(0); word(w); word(h); bytes.push(0);
    const idx = new Uint8Array(w * h);
    for (let i = 0, p = 0; p < idx.length; i += 4, p++) idx[p] = lookup(f.rgba[i], f.rgba[i + 1], f.rgba[i + 2]);
    const code = gifLzw(idx, 8);
    bytes.push(8);
    for (let i = 0; i < code.length; i += 255) {
      const block = code.slice(i, i + 255);
      bytes.push(block.length, ...block);
    }
    bytes.push(0);
  }
  bytes.push(0x3b);
  return new Uint8Array(bytes);
}

async function gifOf(view) {
  const frames = (gifRecordings[view] || []).filter((f) => f.blob);
  if (frames.length < 2) return null;
  const { w, h, frames: pixels } = await gifPixels(frames.filter((f) => f.w === frames[0].w && f.h === frames[0].h));
  return gifEncode(w, h, pixels, gifPalette(pixels));
}
