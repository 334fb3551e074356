// Live subtotal of the wholesale size matrix: total pairs (sizes and prepacks together)
// pick the tier, exactly as the server prices the order. Without JavaScript the cart shows it.
(function () {
  const form = document.getElementById("matrix");
  if (!form) return;
  const tiers = [...document.querySelectorAll("#tiers tbody tr")].map((row) => ({
    row, min: Number(row.dataset.min), price: Number(row.dataset.price),
  }));
  const money = new Intl.NumberFormat(document.documentElement.lang || "en", { style: "currency", currency: "USD" });
  const moq = Number(form.dataset.moq);
  function update() {
    let pairs = 0;
    form.querySelectorAll("input.qty").forEach((input) => {
      pairs += (Number(input.value) || 0) * Number(input.dataset.pairs);
    });
    const reached = tiers.filter((tier) => tier.min <= pairs);
    const tier = reached[reached.length - 1];
    tiers.forEach((t) => t.row.classList.toggle("current", t === tier));
    document.getElementById("pairs").textContent = pairs;
    document.getElementById("unit").textContent = tier ? money.format(tier.price / 100) : "—";
    document.getElementById("subtotal").textContent = tier ? money.format((tier.price * pairs) / 100) : "—";
    const next = tiers.find((t) => t.min > pairs);
    const note = pairs < moq ? `${moq - pairs} more pairs to reach the minimum order.`
      : next ? `${next.min - pairs} more pairs for ${money.format(next.price / 100)} per pair.` : "";
    document.getElementById("moq-note").textContent = note;
  }
  form.addEventListener("input", update);
  update();
})();
