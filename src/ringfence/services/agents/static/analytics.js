// An agent's or a campaign's figures, drawn as small SVG charts from the page's own JSON API
// (no library, no CDN): calls per day as bars, outcomes as horizontal bars, evaluation scores
// as a line. Each chart is an image with a text alternative that says what it shows.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const section = document.getElementById("analytics");
  if (!section) return;
  const words = JSON.parse(section.dataset.words || "{}");

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (parent) parent.appendChild(node);
    return node;
  }

  function chart(holder, label, width, height) {
    const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label,
                            width: "100%", class: "chart-svg" });
    el("title", {}, svg).textContent = label;
    holder.replaceChildren(svg);
    return svg;
  }

  function text(svg, x, y, value, anchor) {
    const t = el("text", { x, y, "text-anchor": anchor || "start", class: "chart-text" }, svg);
    t.textContent = value;
    return t;
  }

  function perDay(days) {
    const most = Math.max(1, ...days.map((d) => d.calls));
    const total = days.reduce((n, d) => n + d.calls, 0);
    const svg = chart(document.getElementById("chart-per-day"),
                      `Calls per day: ${total} in ${days.length} days, at most ${most} a day`,
                      600, 170);
    const step = 600 / days.length;
    days.forEach((d, i) => {
      const h = (d.calls / most) * 140;
      const bar = el("rect", { x: i * step + 1, y: 150 - h, width: Math.max(1, step - 2),
                               height: h, class: "chart-bar", "data-day": d.day,
                               "data-calls": d.calls }, svg);
      el("title", {}, bar).textContent = `${d.day}: ${d.calls}`;
    });
    text(svg, 0, 166, days[0].day);
    text(svg, 600, 166, days[days.length - 1].day, "end");
    text(svg, 0, 10, `${most}`);
  }

  function outcomes(counts) {
    const rows = Object.entries(counts);
    const holder = document.getElementById("chart-outcomes");
    if (!rows.length) { holder.textContent = "No calls yet."; return; }
    const most = Math.max(...rows.map(([, n]) => n));
    const svg = chart(holder, "Outcomes: " + rows.map(([k, n]) => `${words[k] || k} ${n}`)
                      .join(", "), 600, rows.length * 24);
    rows.forEach(([k, n], i) => {
      text(svg, 0, i * 24 + 16, words[k] || k);
      el("rect", { x: 240, y: i * 24 + 4, width: Math.max(2, (n / most) * 300), height: 16,
                   class: "chart-bar", "data-outcome": k, "data-count": n }, svg);
      text(svg, 600, i * 24 + 16, String(n), "end");
    });
  }

  function scores(points) {
    const holder = document.getElementById("chart-evaluations");
    if (!points.length) { holder.textContent = "No evaluation scored yet."; return; }
    const svg = chart(holder, "Evaluation scores: " + points.map((p) => p.score).join(", "),
                      600, 140);
    const x = (i) => (points.length === 1 ? 300 : 20 + (i * 560) / (points.length - 1));
    const y = (s) => 120 - (Math.max(0, Math.min(100, s)) / 100) * 110;
    el("polyline", { points: points.map((p, i) => `${x(i)},${y(p.score)}`).join(" "),
                     class: "chart-line", fill: "none" }, svg);
    points.forEach((p, i) => {
      const dot = el("circle", { cx: x(i), cy: y(p.score), r: 4, class: "chart-dot",
                                 "data-score": p.score }, svg);
      el("title", {}, dot).textContent = `${p.at.slice(0, 10)}: ${p.score}`;
    });
    text(svg, 0, 136, "0 to 100");
  }

  function summary(f) {
    const handle = f.average_handle_seconds === null ? "none answered"
      : `${Math.round(f.average_handle_seconds)} s on average`;
    const rate = f.calls ? Math.round((100 * f.resolved_without_transfer) / f.calls) : 0;
    document.getElementById("analytics-summary").textContent =
      `${f.calls} calls; handle time ${handle}; resolved without a transfer: ` +
      `${f.resolved_without_transfer} (${rate} %); opt-outs: ${f.opt_outs}.`;
  }

  fetch(section.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
    .then((f) => { summary(f); perDay(f.per_day); outcomes(f.outcomes); scores(f.evaluations);
                   section.dataset.ready = "yes"; })
    .catch(() => {
      document.getElementById("analytics-summary").textContent =
        "The figures could not be loaded. Reload the page to try again.";
    });
})();
