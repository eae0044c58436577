// A caption under a live picture whose words change every frame (the SOM's "sample #k → BMU"),
// drawn like st.caption and updated in place by the frame's one message. Plain DOM in the page.
export default function (component) {
  const d = component.data, line = ownElement(component.parentElement, "np-caption");
  if (line.textContent !== d.text) line.textContent = d.text;
  return null;
}
