// A row of metrics (label over value, as st.metric draws them) that a play run updates in place:
// during play the numbers travel in the frame's one message with the pictures, where six
// st.metric elements were six messages. Plain DOM in the page (not a shadow root), so the page's
// font, theme colours, presentation and phone styles apply to it as to st.metric.
export default function (component) {
  const d = component.data;
  const row = ownElement(component.parentElement, "np-metrics", (el) => {
    el.setAttribute("role", "group");
    el.setAttribute("aria-label", d.alt || "metrics");
  });
  row.style.setProperty("--np-metric-count", String(d.items.length));
  while (row.children.length > d.items.length) row.lastChild.remove();
  d.items.forEach((item, i) => {
    let cell = row.children[i];
    if (!cell) {
      cell = document.createElement("div");
      cell.className = "np-metric";
      const label = document.createElement("div"), value = document.createElement("div");
      label.className = "np-metric-label"; value.className = "np-metric-value";
      cell.append(label, value);
      row.appendChild(cell);
    }
    const [label, value] = cell.children;
    if (label.textContent !== item.label) label.textContent = item.label;
    if (value.textContent !== item.value) value.textContent = item.value;
    if (item.help !== undefined) {  // a fed frame leaves the help texts out: the row keeps them
      if (item.help) cell.title = item.help; else cell.removeAttribute("title");
    }
  });
  window.__netplayDraws = (window.__netplayDraws || 0) + 1;
  return null;
}
