// The Pay button says what the card will be charged for the shipping method ticked now
// (the server renders each method's total on the button). Without JavaScript the hint
// beside the choice gives the express total, and a page sent back with errors is exact.
(function () {
  const pay = document.getElementById("pay");
  if (!pay) return;
  document.querySelectorAll('input[name="shipping_method"]').forEach((radio) => {
    radio.addEventListener("change", () => {
      if (radio.checked && pay.dataset[radio.value]) pay.textContent = pay.dataset[radio.value];
    });
  });
})();
