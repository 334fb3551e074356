// Buttons marked data-copy="<field id>" copy that field's text and say "Copied" in the
// status beside them. They stay hidden until this script shows them: without JavaScript
// the page offers only the selectable link.
document.querySelectorAll("[data-copy]").forEach((button) => {
  const field = document.getElementById(button.dataset.copy);
  const status = document.querySelector(`[data-copied="${button.dataset.copy}"]`);
  if (!field || !status) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = "Copied";
    } catch {
      // No clipboard access (an old browser, plain HTTP): the link is selected to copy by hand.
      status.textContent = document.execCommand("copy") ? "Copied" : "Press Ctrl+C to copy";
    }
  });
});
