// Disables a submit button once its form is sent, so a double click sends one request.
document.querySelectorAll("form").forEach((form) => {
  form.addEventListener("submit", () => {
    form.querySelectorAll("[data-prevent-double-submit]").forEach((button) => {
      window.setTimeout(() => { button.disabled = true; }, 0);
    });
  });
});
// Move focus to an error summary so screen-reader and keyboard users land on it.
const summary = document.querySelector("[data-autofocus]");
if (summary) { summary.focus(); }
// A link in the error summary puts the cursor in the field itself (for a group of fields, the first one in
// error), with its label or legend scrolled into view, instead of only scrolling to it.
document.querySelectorAll(".error-summary a[href^='#']").forEach((link) => {
  link.addEventListener("click", (event) => {
    const target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target) { return; }
    const field = target.matches("input, select, textarea")
      ? target
      : (target.querySelector("[aria-invalid='true'], .is-invalid")
         || target.querySelector("input:not([type='hidden']):not([tabindex='-1']), select, textarea"));
    const focusTarget = field || target;
    event.preventDefault();
    const heading = (focusTarget.closest("fieldset") && focusTarget.closest("fieldset").querySelector("legend"))
      || document.querySelector("label[for='" + focusTarget.id + "']") || focusTarget;
    focusTarget.focus({ preventScroll: true });
    heading.scrollIntoView({ block: "start" });
  });
});
