// A caption under a live picture whose words change every frame (the SOM's "sample #k → BMU"),
// drawn like st.caption and updated in place by the frame's one message. Plain DOM in the page.
export default function (component) {
  const d = component.data, host = component.parentElement;
  let line = host.querySelector(".np-caption");
  if (!line) {
    line = document.createElement("div");
    line.className = "np-caption";
    host.appendChild(line);
  }
  if (line.textContent !== d.text) line.textContent = d.text;
  return null;
}
