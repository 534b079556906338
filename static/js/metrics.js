// The metrics page's charts. The figures come from the JSON the page carries in
// <script id="metrics-data" type="application/json"> (Django's json_script); the same
// numbers are in the tables under each chart. Needs Chart.js (static/vendor/chart.js, a
// classic script the page loads first).

const palette = ["#0b57d0", "#b35900", "#116329", "#a40e26", "#6f42c1", "#0a7d8c", "#7d4e00", "#57606a", "#1b1f24"];

function options(extra = {}) {
  const base = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: "index", intersect: false },
    plugins: { legend: { position: "bottom" } },
    scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
  };
  return { ...base, ...extra };
}

const stacked = () =>
  options({ scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } });

function series(label, data, index, extra = {}) {
  const colour = palette[index % palette.length];
  return { label, data, borderColor: colour, backgroundColor: colour, pointRadius: 0, borderWidth: 2, ...extra };
}

function draw(id, type, labels, datasets, chartOptions) {
  const canvas = document.getElementById(id);
  if (canvas) new window.Chart(canvas, { type, data: { labels, datasets }, options: chartOptions });
}

function drawAll(figures) {
  const hashes = figures.hashes;
  draw("chart-hashes", "line", hashes.labels, [series("Hashes protected", hashes.protected, 0, { fill: false })],
    options({ plugins: { legend: { display: false } }, scales: { y: { beginAtZero: false, ticks: { precision: 0 } } } }));

  draw("chart-cases", "bar", figures.cases.labels, [series("Cases created", figures.cases.created, 2)],
    options({ plugins: { legend: { display: false } } }));

  draw("chart-reports", "bar", figures.reports.labels,
    figures.reports.series.map((s, i) => series(s.label, s.data, i)), stacked());

  const outcomes = figures.outcomes;
  draw("chart-outcomes", "bar", outcomes.labels, [
    series("Confirmed", outcomes.confirmed, 2),
    series("Dismissed", outcomes.dismissed, 7),
  ], stacked());

  const times = figures.decision_times;
  draw("chart-decision-times", "line", times.labels, [
    series("p50 (hours)", times.p50, 0, { pointRadius: 3, spanGaps: true }),
    series("p90 (hours)", times.p90, 1, { pointRadius: 3, spanGaps: true }),
  ], options({ scales: { y: { beginAtZero: true } } }));

  const backlog = figures.backlog;
  draw("chart-backlog", "bar", backlog.labels, [
    series("Pending", backlog.pending, 0),
    series("Escalated", backlog.escalated, 1),
  ], stacked());

  const reveals = figures.reveals;
  draw("chart-reveals", "bar", reveals.labels, [series("Reveals", reveals.values, 3)],
    options({ indexAxis: "y", plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }));
}

const source = document.getElementById("metrics-data");
if (source && typeof window.Chart !== "undefined") drawAll(JSON.parse(source.textContent));
// else the tables still show every number
