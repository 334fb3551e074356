// Forms marked data-confirm (cancel, refund, archive...) ask before they are sent and stay
// put if the person declines. Without JavaScript they are sent at once, as before.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
