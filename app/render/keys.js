// Keyboard shortcuts for a live view: Space = Play/Pause, S = Step, R = Reset, P = presentation
// mode (the button by the title, whose widget key is np_present_button). One listener per
// page; each mount says which view's buttons (Streamlit's st-key-<key> classes) the keys press.
export default function (component) {
  const keys = component.data;
  window.__netplayKeys = keys;
  if (!window.__netplayKeysInstalled) {
    window.__netplayKeysInstalled = true;
    document.addEventListener("keydown", (event) => {
      const k = window.__netplayKeys;
      const target = event.composedPath()[0];
      const typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
      if (!k || typing || event.ctrlKey || event.metaKey || event.altKey) return;
      const which = event.code === "Space" ? k.play : event.key === "s" || event.key === "S" ? k.step
        : event.key === "r" || event.key === "R" ? k.reset
        : event.key === "p" || event.key === "P" ? "np_present_button" : null;
      const button = which && document.querySelector(`.st-key-${which} button`);
      if (button && !button.disabled) {
        event.preventDefault();
        button.click();
      }
    });
  }
}
