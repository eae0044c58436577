// Shared by every live picture (prepended to each kind's script, after colours.js).

function bytes(blob) {           // a frame's binary array (already a Uint8Array), or empty
  return blob instanceof Uint8Array ? blob : new Uint8Array(0);
}
function floats(blob) {          // little-endian float32 (copied: the frame's bytes are unaligned)
  const u = bytes(blob);
  return new Float32Array(u.slice().buffer, 0, u.length >> 2);
}
// A class's marker: the shape as well as the colour tells classes apart (for colour-blind eyes and
// grey print): class 0 a circle, 1 a square, 2 a triangle, 3 a diamond, then round again (as
// app/charts/som.py's MARKERS and Pillow markers).
function markerPath(ctx, cls, x, y, r) {
  ctx.beginPath();
  const shape = cls % 4;
  if (shape === 0) ctx.arc(x, y, r, 0, 2 * Math.PI);
  else if (shape === 1) ctx.rect(x - r * 0.9, y - r * 0.9, r * 1.8, r * 1.8);
  else if (shape === 2) { ctx.moveTo(x, y - r * 1.15); ctx.lineTo(x + r * 1.1, y + r * 0.85); ctx.lineTo(x - r * 1.1, y + r * 0.85); ctx.closePath(); }
  else { ctx.moveTo(x, y - r * 1.2); ctx.lineTo(x + r * 1.2, y); ctx.lineTo(x, y + r * 1.2); ctx.lineTo(x - r * 1.2, y); ctx.closePath(); }
}

// The element of class ``className`` a picture keeps in its host across frames (made, and set up
// by ``setup``, on the first).
function ownElement(host, className, setup) {
  let el = host.querySelector("." + className);
  if (!el) {
    el = document.createElement("div");
    el.className = className;
    if (setup) setup(el);
    host.appendChild(el);
  }
  return el;
}

// Each mount draws its own canvas, synchronously when the mount point is laid out (else on the
// next animation frame), so a live frame (a fresh mount: Streamlit gives each frame's element an
// id of its own) replaces the last one without a blank in between. A ResizeObserver redraws at
// a new column width (window resized, presentation mode). Returns the mount's cleanup.
function paint(component, height, draw) {
  // ``height``: pixels, or a function of the width (a picture whose shape follows its column)
  const { data, parentElement } = component;
  let holder = parentElement.querySelector(".np-holder");
  if (!holder) {
    holder = document.createElement("div");
    holder.className = "np-holder";
    holder.style.cssText = "width: 100%; line-height: 0; position: relative;";
    parentElement.appendChild(holder);
    // every picture can be saved as drawn: a PNG button, and a GIF button for its last frames once
    // it has moved; both show on hover (and to the keyboard)
    const button = (label, tip, right) => {
      const b = document.createElement("a");
      b.className = `np-save np-save-${label.toLowerCase()}`;
      b.textContent = label;
      b.title = tip;
      b.setAttribute("role", "button");
      b.tabIndex = 0;
      b.style.cssText = `position:absolute; top:2px; right:${right}px; font:600 12px sans-serif; line-height:18px;`
        + "padding:0 6px; border:1px solid #bbb; border-radius:4px; background:#fff; color:#333;"
        + "opacity:0; cursor:pointer; text-decoration:none; z-index:4;";
      b.addEventListener("focus", () => { b.style.opacity = "0.9"; });
      holder.appendChild(b);
      return b;
    };
    const save = button("PNG", "Save this picture as a PNG file", 2);
    const gif = button("GIF", "Save the last frames of this picture (up to 5 seconds) as an animated GIF", 48);
    gif.style.display = "none";
    holder.addEventListener("mouseenter", () => {
      save.style.opacity = "0.9";
      gif.style.display = gifFrameCount(holder.querySelector("canvas").dataset.view) >= 2 ? "block" : "none";
      gif.style.opacity = "0.9";
    });
    holder.addEventListener("mouseleave", () => { save.style.opacity = "0"; gif.style.opacity = "0"; });
    save.addEventListener("click", () => {
      const c = holder.querySelector("canvas");
      save.href = c.toDataURL("image/png");
      save.download = `netplay-${c.dataset.view || "picture"}.png`;
    });
    const makeGif = async () => {
      if (gif.dataset.busy) return;
      gif.dataset.busy = "1"; gif.textContent = "GIF…";
      try {
        const file = await gifOf(holder.querySelector("canvas").dataset.view);
        if (file) {
          const a = document.createElement("a");
          a.href = URL.createObjectURL(new Blob([file], { type: "image/gif" }));
          a.download = `netplay-${holder.querySelector("canvas").dataset.view || "picture"}.gif`;
          holder.appendChild(a); a.click(); a.remove();
          setTimeout(() => URL.revokeObjectURL(a.href), 10000);
        }
      } finally { gif.textContent = "GIF"; delete gif.dataset.busy; }
    };
    gif.addEventListener("click", makeGif);
    gif.addEventListener("keydown", (event) => { if (event.key === "Enter") makeGif(); });
  }
  let canvas = holder.querySelector("canvas");
  if (!canvas) {
    canvas = document.createElement("canvas");
    canvas.style.display = "block";
    canvas.style.maxWidth = "100%";
    holder.appendChild(canvas);
  }
  canvas.dataset.kind = data.kind;
  canvas.dataset.frame = String(data.frame ?? "");
  canvas.dataset.view = data.view;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", data.alt || "");
  const heightFor = typeof height === "function" ? height : () => height;
  if (typeof height !== "function") canvas.style.height = height + "px";
  let drawnAt = -1, pending = 0;
  const go = () => {
    pending = 0;
    const width = Math.floor(holder.clientWidth);
    if (!width) { pending = requestAnimationFrame(go); return; }
    if (width === drawnAt) return;
    drawnAt = width;
    height = Math.round(heightFor(width));
    canvas.style.height = height + "px";
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = width + "px";
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = "white";
    ctx.fillRect(0, 0, width, height);
    draw(ctx, width, height);
    gifRecord(canvas.dataset.view, canvas);
    window.__netplayDraws = (window.__netplayDraws || 0) + 1;
  };
  go();
  const watch = typeof ResizeObserver === "function" ? new ResizeObserver(() => go()) : null;
  if (watch) watch.observe(holder);
  return () => { if (watch) watch.disconnect(); if (pending) cancelAnimationFrame(pending); };
}

// A scalar grid (n x n, or n across and ``rows`` down; uint8) or class grid drawn into a w x h box
// at (x, y), smoothed like the server-side picture (bilinear), through an offscreen canvas of one
// pixel a cell.
function gridImage(ctx, cells, n, colour, x, y, w, h, smooth = true, rows = n) {
  const off = document.createElement("canvas");
  off.width = n; off.height = rows;
  const octx = off.getContext("2d"), img = octx.createImageData(n, rows);
  for (let i = 0; i < n * rows; i++) {
    const c = colour(i, cells);
    img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
  }
  octx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = smooth;
  ctx.drawImage(off, x, y, w, h);
}
