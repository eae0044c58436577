// A row of thumbnails to pick one from (the playground's datasets): each a real button with a
// small drawing of its points and its name, the chosen one outlined and marked pressed. A click
// sends the choice to the page (setTriggerValue), which sets the matching select box. Prepended
// with colours.js, the pictures' palette.
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let grid = parentElement.querySelector(".np-picker");
  if (!grid) {
    grid = document.createElement("div");
    grid.className = "np-picker";
    grid.setAttribute("role", "group");
    grid.style.cssText = "display:grid; grid-template-columns:repeat(4, 1fr); gap:6px; margin:2px 0 4px;";
    parentElement.appendChild(grid);
  }
  grid.setAttribute("aria-label", data.label);
  grid.innerHTML = "";
  const colour = (item, v) => (item.regression ? diverging(signed(v)) : CLASSES[v % CLASSES.length]);
  for (const item of data.items) {
    const chosen = item.name === data.chosen;
    const b = document.createElement("button");
    b.type = "button";
    b.title = item.label;
    b.setAttribute("aria-label", item.label);
    b.setAttribute("aria-pressed", String(chosen));
    b.dataset.name = item.name;
    b.style.cssText = "display:flex; flex-direction:column; align-items:center; gap:2px; padding:3px 2px 2px;"
      + `background:white; cursor:pointer; border-radius:6px; border:${chosen ? "3px solid #1f77b4" : "1px solid #c8c8c8"};`
      + "font:11px/1.2 system-ui, sans-serif; color:#282828; min-width:0;";
    const c = document.createElement("canvas"), side = 44, ratio = window.devicePixelRatio || 1;
    c.width = side * ratio; c.height = side * ratio;
    c.style.cssText = `width:${side}px; height:${side}px; display:block;`;
    const ctx = c.getContext("2d");
    ctx.scale(ratio, ratio);
    if (item.points) {
      for (let i = 0; i + 1 < item.points.length; i += 2) {
        const col = colour(item, item.values[i / 2]);
        ctx.fillStyle = rgb(col);
        ctx.beginPath();
        ctx.arc(2 + item.points[i] / 255 * (side - 4), side - 2 - item.points[i + 1] / 255 * (side - 4), 1.8, 0, 2 * Math.PI);
        ctx.fill();
      }
    } else if (item.name === "draw") {   // your own points: a pencil over a few dots
      ctx.fillStyle = rgb(NEG); [[10, 30], [16, 36], [30, 12]].forEach(([x, y]) => { ctx.beginPath(); ctx.arc(x, y, 2.6, 0, 2 * Math.PI); ctx.fill(); });
      ctx.fillStyle = rgb(POS); [[34, 30], [26, 34]].forEach(([x, y]) => { ctx.beginPath(); ctx.arc(x, y, 2.6, 0, 2 * Math.PI); ctx.fill(); });
      ctx.strokeStyle = "#5a5a5a"; ctx.lineWidth = 3; ctx.beginPath(); ctx.moveTo(12, 14); ctx.lineTo(26, 28); ctx.stroke();
      ctx.lineWidth = 1.5; ctx.beginPath(); ctx.moveTo(26, 28); ctx.lineTo(30, 31); ctx.lineTo(28, 26); ctx.stroke();
    } else {   // your own file: an arrow into a tray
      ctx.strokeStyle = "#5a5a5a"; ctx.lineWidth = 2.5; ctx.beginPath();
      ctx.moveTo(22, 8); ctx.lineTo(22, 28); ctx.moveTo(14, 20); ctx.lineTo(22, 28); ctx.lineTo(30, 20);
      ctx.moveTo(9, 28); ctx.lineTo(9, 36); ctx.lineTo(35, 36); ctx.lineTo(35, 28); ctx.stroke();
    }
    const name = document.createElement("span");
    name.textContent = item.short;
    name.style.cssText = "max-width:100%; overflow:hidden; text-overflow:ellipsis; white-space:nowrap;";
    b.append(c, name);
    b.addEventListener("click", () => setTriggerValue("pick", item.name));
    grid.appendChild(b);
  }
}
