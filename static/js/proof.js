// Purchase certificates and statements: the print button, shown only where scripts run.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
