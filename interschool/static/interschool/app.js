// Small behaviours without inline scripts (the Content-Security-Policy allows only files from this site).
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.requestSubmit();
  }
});
// Progress bars take their width from a data attribute, since inline styles are not allowed.
function applyProgress(root) {
  root.querySelectorAll("[data-progress]").forEach((bar) => {
    bar.style.inlineSize = `${bar.dataset.progress}%`;
  });
}
document.addEventListener("DOMContentLoaded", () => applyProgress(document));
document.addEventListener("htmx:afterSwap", (event) => applyProgress(event.target));
// Forms marked data-confirm ask before a destructive action.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
