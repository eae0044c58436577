// The network: each neuron drawn as what it computes over the input plane, links by weight
// (colour: sign, thickness: size; the sign is also the dash: solid +, dashed −, so it never rests
// on colour alone), dead ReLUs outlined in red. Hover a neuron: its picture large, with its bias.
// Hover a link: its weight. Click a link (or a neuron past the inputs) to type a new weight (bias):
// the page applies it to the engine's network and training goes on from there.
export default function (component) {
  const d = component.data;
  const host = component.parentElement;
  const drawn = paint(component, d.height, (ctx, width, height) => {
    const sizes = d.sizes, L = sizes.length, res = d.res;
    const thumbs = bytes(d.thumbs), w = floats(d.w), dead = d.dead || [];
    let most = 0;
    for (const v of w) if (Number.isFinite(v)) most = Math.max(most, Math.abs(v));
    most = most || 1;
    const top = 40, labelRoom = 64, pad = d.values ? 28 : 8;  // room under each unit for its value
    const cell = Math.floor(Math.min(48, Math.max(18, (height - top - 14) / Math.max(...sizes) - pad)));
    const gap = L > 1 ? (width - labelRoom - cell - 16) / (L - 1) : 0;
    const centre = (l, j) => {
      const span = sizes[l] * (cell + pad), y = top + (height - top - 8 - span) / 2;
      return [labelRoom + cell / 2 + l * gap, y + j * (cell + pad) + cell / 2];
    };
    const links = [], units = [];
    let k = 0;
    for (let l = 0; l + 1 < L; l++) {
      for (let a = 0; a < sizes[l]; a++) {
        const [xa, ya] = centre(l, a);
        for (let b = 0; b < sizes[l + 1]; b++, k++) {
          const v = Number.isFinite(w[k]) ? w[k] / most : 0, s = Math.abs(v), [xb, yb] = centre(l + 1, b);
          const c = diverging((v < 0 ? -1 : 1) * (0.35 + 0.65 * s));
          ctx.strokeStyle = rgb(c);
          ctx.lineWidth = 1 + 5 * s;
          ctx.setLineDash(v < 0 ? [7, 4] : []);
          ctx.beginPath(); ctx.moveTo(xa + cell / 2, ya); ctx.lineTo(xb - cell / 2, yb); ctx.stroke();
          links.push({ layer: l, from: a, to: b, index: k, x1: xa + cell / 2, y1: ya, x2: xb - cell / 2, y2: yb });
        }
      }
    }
    ctx.setLineDash([]);
    let u = 0;
    ctx.font = `15px ${FONT}`;
    for (let l = 0; l < L; l++) {
      const [lx] = centre(l, 0);
      ctx.fillStyle = INK; ctx.textAlign = "center"; ctx.textBaseline = "top";
      const room = L > 1 ? gap - 6 : width, label = d.labels[l];
      const put = (text, y) => {   // centred over its column, but never past the picture's edges
        const half = Math.min(ctx.measureText(text).width, room) / 2;
        ctx.fillText(text, Math.max(half + 2, Math.min(width - half - 2, lx)), y, room);
      };
      if (ctx.measureText(label).width <= room || !label.includes(" ")) put(label, 4);
      else {  // crowded (many layers): "8 relu" as two lines, so neighbours never run together
        const cut = label.indexOf(" ");
        put(label.slice(0, cut), 2); put(label.slice(cut + 1), 19);
      }
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
        if (d.values) {  // each unit's output written under it (the backprop walk-through's picture)
          ctx.fillStyle = INK; ctx.textAlign = "center"; ctx.textBaseline = "top";
          ctx.fillText(netNumber(d.values[u]), cx, cy + cell / 2 + 3);
        }
        units.push({ layer: l, unit: j, index: u, cx, cy, half: cell / 2 });
      }
    }
    host.__npNet = { d, links, units };   // what the pointer finds (the newest frame's layout)
  });
  netListen(host);
  return drawn;
}

// Names as a learner reads them: x1 (an input), h2,3 (layer 2's unit 3), out (an output)
function netUnitName(d, layer, unit) {
  if (d.names) return d.names[layer][unit];  // a page's own names (i1, h1, o1)
  if (layer === 0) return d.inputs[unit];
  if (layer === d.sizes.length - 1) return d.sizes[layer] > 1 ? `out ${unit + 1}` : "out";
  return `h${layer},${unit + 1}`;
}

function netBias(d, layer, unit) {   // biases are sent for every layer past the inputs, in order
  let off = 0;
  for (let l = 1; l < layer; l++) off += d.sizes[l];
  const b = floats(d.b);
  return b[off + unit];
}

function netNumber(v) {
  return Number.isFinite(v) ? (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4)) : String(v);
}

function netFind(net, x, y) {
  for (const u of net.units) if (Math.abs(x - u.cx) <= u.half + 2 && Math.abs(y - u.cy) <= u.half + 2) return { unit: u };
  let best = null, bestDist = 6;   // a link within 6 px of the pointer, the nearest
  for (const l of net.links) {
    const dx = l.x2 - l.x1, dy = l.y2 - l.y1, t = Math.max(0, Math.min(1, ((x - l.x1) * dx + (y - l.y1) * dy) / (dx * dx + dy * dy)));
    const dist = Math.hypot(x - (l.x1 + t * dx), y - (l.y1 + t * dy));
    if (dist < bestDist) { bestDist = dist; best = l; }
  }
  return best ? { link: best } : null;
}

function netListen(host) {
  if (host.__npNetListening) return;
  host.__npNetListening = true;
  const tip = document.createElement("div");
  tip.className = "np-tip";
  tip.setAttribute("role", "tooltip");
  tip.style.cssText = "position:absolute; display:none; z-index:5; pointer-events:none; background:white;"
    + "border:1px solid #999; border-radius:6px; padding:6px 8px; font:14px/1.35 " + FONT + "; color:" + INK
    + "; box-shadow:0 2px 8px rgba(0,0,0,.2); line-height:1.35; white-space:nowrap;";
  host.querySelector(".np-holder").appendChild(tip);
  const at = (event) => {
    const canvas = host.querySelector("canvas"), r = canvas.getBoundingClientRect();
    return [event.clientX - r.left, event.clientY - r.top];
  };
  const place = (el, x, y) => {
    const holder = host.querySelector(".np-holder"), room = holder.clientWidth;
    el.style.left = Math.max(0, Math.min(x + 14, room - el.offsetWidth - 2)) + "px";
    el.style.top = Math.max(0, y + 14) + "px";
  };
  const canvas = () => host.querySelector("canvas");
  host.addEventListener("mousemove", (event) => {
    const net = host.__npNet;
    if (!net || event.target !== canvas()) return;
    const [x, y] = at(event), hit = netFind(net, x, y), d = net.d;
    canvas().style.cursor = hit && (hit.link || hit.unit.layer > 0) && d.editable ? "pointer" : "default";
    if (!hit) { tip.style.display = "none"; return; }
    tip.innerHTML = "";
    if (hit.unit) {
      const u = hit.unit, big = document.createElement("canvas"), side = 168, res = d.res;
      big.width = side; big.height = side; big.style.cssText = "display:block; width:168px; height:168px; border:1px solid #6e6e6e;";
      const thumbs = bytes(d.thumbs), off = u.index * res * res;
      gridImage(big.getContext("2d"), thumbs.subarray(off, off + res * res), res, (i, t) => diverging(signed(t[i])), 0, 0, side, side, true);
      const text = document.createElement("div");
      text.textContent = u.layer === 0 ? `input ${netUnitName(d, 0, u.unit)}`
        : `${netUnitName(d, u.layer, u.unit)} · bias ${netNumber(netBias(d, u.layer, u.unit))}` + (d.editable ? " (click to edit)" : "");
      tip.append(big, text);
    } else {
      const l = hit.link;
      tip.textContent = `weight ${netUnitName(d, l.layer, l.from)} → ${netUnitName(d, l.layer + 1, l.to)}: ${netNumber(floats(d.w)[l.index])}`
        + (d.editable ? " (click to edit)" : "");
    }
    tip.style.display = "block";
    place(tip, x, y);
  });
  host.addEventListener("mouseleave", () => { tip.style.display = "none"; });
  host.addEventListener("click", (event) => {
    const net = host.__npNet;
    if (!net || !net.d.editable || event.target !== canvas()) return;
    const [x, y] = at(event), hit = netFind(net, x, y), d = net.d;
    if (!hit || (hit.unit && hit.unit.layer === 0)) return;
    tip.style.display = "none";
    const edit = hit.link
      ? { kind: "weight", layer: hit.link.layer, from: hit.link.from, to: hit.link.to, value: floats(d.w)[hit.link.index],
          name: `weight ${netUnitName(d, hit.link.layer, hit.link.from)} → ${netUnitName(d, hit.link.layer + 1, hit.link.to)}` }
      : { kind: "bias", layer: hit.unit.layer, unit: hit.unit.unit, value: netBias(d, hit.unit.layer, hit.unit.unit),
          name: `bias of ${netUnitName(d, hit.unit.layer, hit.unit.unit)}` };
    netEditor(host, d.view, edit, x, y, place);
  });
}

// A small form over the picture: the value now, a field for the new one. Enter sets it, Esc closes.
function netEditor(host, view, edit, x, y, place) {
  const holder = host.querySelector(".np-holder");
  let box = holder.querySelector(".np-edit");
  if (box) box.remove();
  box = document.createElement("form");
  box.className = "np-edit";
  box.style.cssText = "position:absolute; z-index:6; background:white; border:1px solid #777; border-radius:6px;"
    + "padding:8px; font:14px " + FONT + "; color:" + INK + "; box-shadow:0 2px 10px rgba(0,0,0,.25); line-height:1.4;";
  const label = document.createElement("label");
  label.textContent = `${edit.name} (now ${netNumber(edit.value)})`;
  label.style.display = "block";
  const input = document.createElement("input");
  input.type = "text"; input.inputMode = "decimal"; input.value = Number.isFinite(edit.value) ? String(+edit.value.toPrecision(6)) : "0";
  input.setAttribute("aria-label", `new ${edit.name}`);
  input.style.cssText = "width:9em; margin:4px 6px 0 0; font:14px " + FONT + "; padding:2px 4px;";
  const set = document.createElement("button");
  set.type = "submit"; set.textContent = "Set";
  const note = document.createElement("div");
  note.style.cssText = "color:#5a5a5a; font-size:13px;";
  note.textContent = "A number from -100 to 100. Enter sets it, Esc closes.";
  label.appendChild(document.createElement("br"));
  label.appendChild(input);
  box.append(label, set, note);
  holder.appendChild(box);
  place(box, x, y);
  input.focus(); input.select();
  const close = () => box.remove();
  box.addEventListener("keydown", (event) => { if (event.key === "Escape") { event.preventDefault(); close(); } });
  box.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = Number(input.value.trim().replace("−", "-"));
    if (!input.value.trim() || !Number.isFinite(value) || Math.abs(value) > 100) {
      note.textContent = "Type a number from -100 to 100.";
      note.style.color = "#c80000";
      return;
    }
    const send = (window.__netplayEdit || {})[view];
    if (send) {
      const { name, ...sent } = edit;
      send({ ...sent, value });
    }
    close();
  });
}
