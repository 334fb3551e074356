// Live import progress: polls the job's JSON and updates the bar without reloading.
// Without JavaScript the page's meta refresh does the same, more coarsely.
(function () {
  const box = document.getElementById("job");
  if (!box || !["queued", "running"].includes(box.dataset.status)) return;
  document.querySelector('meta[http-equiv="refresh"]')?.remove();
  const bar = box.querySelector("progress");
  async function poll() {
    const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const job = await response.json();
    bar.max = job.total || 1;
    bar.value = job.processed;
    box.querySelector(".job-status").textContent = job.status;
    box.querySelector(".job-processed").textContent = job.processed;
    box.querySelector(".job-succeeded").textContent = job.succeeded;
    if (job.status === "queued" || job.status === "running") setTimeout(poll, 700);
    else window.location.reload();
  }
  setTimeout(poll, 500);
})();
