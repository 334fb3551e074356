// Buttons marked data-print open the browser's print dialog (the page has a print stylesheet).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
