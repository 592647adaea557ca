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
