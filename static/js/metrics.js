/* The metrics page's charts. The figures come from the JSON the page carries in
   <script id="metrics-data" type="application/json"> (Django's json_script); the same
   numbers are in the tables under each chart. Needs Chart.js (static/vendor/chart.js). */
(function () {
  "use strict";

  var source = document.getElementById("metrics-data");
  if (!source || typeof window.Chart === "undefined") {
    return; // the tables still show every number
  }
  var figures = JSON.parse(source.textContent);
  var palette = ["#0b57d0", "#b35900", "#116329", "#a40e26", "#6f42c1", "#0a7d8c", "#7d4e00", "#57606a", "#1b1f24"];

  function options(extra) {
    var base = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
    };
    return Object.assign(base, extra || {});
  }

  function stacked() {
    return options({ scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } });
  }

  function series(label, data, index, extra) {
    return Object.assign({ label: label, data: data, borderColor: palette[index % palette.length],
      backgroundColor: palette[index % palette.length], pointRadius: 0, borderWidth: 2 }, extra || {});
  }

  function draw(id, type, labels, datasets, chartOptions) {
    var canvas = document.getElementById(id);
    if (canvas) {
      new window.Chart(canvas, { type: type, data: { labels: labels, datasets: datasets }, options: chartOptions });
    }
  }

  var hashes = figures.hashes;
  draw("chart-hashes", "line", hashes.labels, [series("Hashes protected", hashes.protected, 0, { fill: false })],
    options({ plugins: { legend: { display: false } }, scales: { y: { beginAtZero: false, ticks: { precision: 0 } } } }));

  draw("chart-cases", "bar", figures.cases.labels, [series("Cases created", figures.cases.created, 2)],
    options({ plugins: { legend: { display: false } } }));

  draw("chart-reports", "bar", figures.reports.labels, figures.reports.series.map(function (s, i) {
    return series(s.label, s.data, i);
  }), stacked());

  var outcomes = figures.outcomes;
  draw("chart-outcomes", "bar", outcomes.labels, [
    series("Confirmed", outcomes.confirmed, 2),
    series("Dismissed", outcomes.dismissed, 7)
  ], stacked());

  var times = figures.decision_times;
  draw("chart-decision-times", "line", times.labels, [
    series("p50 (hours)", times.p50, 0, { pointRadius: 3, spanGaps: true }),
    series("p90 (hours)", times.p90, 1, { pointRadius: 3, spanGaps: true })
  ], options({ scales: { y: { beginAtZero: true } } }));

  var backlog = figures.backlog;
  draw("chart-backlog", "bar", backlog.labels, [
    series("Pending", backlog.pending, 0),
    series("Escalated", backlog.escalated, 1)
  ], stacked());

  var reveals = figures.reveals;
  draw("chart-reveals", "bar", reveals.labels, [series("Reveals", reveals.values, 3)],
    options({ indexAxis: "y", plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }));
})();
