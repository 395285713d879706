// Several studies side by side (/compare?studies=a,b or ?study=a&study=b; #fanova, #ped_anova
// or #lpi computes that importance view at once): a table, the best
// value so far by trial number or wall time, the distributions of the values, and one
// importance view of each study side by side. Everything arrives aggregated by the server.
"use strict";
(() => {
  const { el, fmt, get } = HP;
  const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf"];
  const address = new URLSearchParams(location.search);
  const query = new URLSearchParams();  // what the API is asked: the page's own choices
  for (const key of ["studies", "study", "objective"]) address.getAll(key).forEach(v => query.append(key, v));
  const options = { axis: "number", log: false };
  let data = null;

  const studyLink = name => el("a", { href: "/study/" + encodeURIComponent(name) }, name);
  const color = k => COLORS[k % COLORS.length];
  const config = { displaylogo: false, responsive: true };

  function draw(id, traces, layout) {
    const box = document.getElementById(id);
    requestAnimationFrame(() => Plotly.react(box, traces, Object.assign(
      { margin: { t: 30, r: 20, b: 50, l: 70 }, legend: { orientation: "h", y: -0.2 } }, layout), config));
  }

  function configText(values) {
    return Object.entries(values).map(([k, v]) => `${k}=${fmt(v)}`).join(", ");
  }

  function table() {
    const head = el("tr", {}, ["study", "optimizer", "objective", "trials", "complete", "failed",
      "best", "best configuration", "status"].map(h => el("th", { class: ["trials", "complete", "failed", "best"].includes(h) ? "n" : null }, h)));
    return el("table", { id: "compare-table" }, head, data.studies.map((s, k) => el("tr", { "data-study": s.name },
      el("td", {}, el("span", { style: `color: ${color(k)}` }, "■ "), studyLink(s.name)),
      el("td", {}, s.optimizer), el("td", {}, `${s.objective} (${s.direction === "maximize" ? "max" : "min"})`),
      el("td", { class: "n" }, s.n_trials), el("td", { class: "n" }, s.counts.complete || 0),
      el("td", { class: "n" }, s.counts.failed || 0),
      el("td", { class: "n" }, s.best ? el("a", { href: "/study/" + encodeURIComponent(s.name) + "/trials/" + s.best.number },
        fmt(s.best.value)) : "-"),
      el("td", { class: "config" }, s.best ? configText(s.best.config) : "-"),
      el("td", {}, el("span", { class: "status status-" + s.status }, s.status)))));
  }

  function curves() {
    const byTime = options.axis === "time";
    const traces = data.studies.map((s, k) => {
      const x = byTime ? s.time.elapsed : s.curve.number.concat(s.curve.number.length ? [s.curve.last] : []);
      const y = byTime ? s.time.best : s.curve.best.concat(s.curve.best.length ? [s.curve.best.at(-1)] : []);
      return { x, y, name: s.name, type: "scatter", mode: "lines+markers", line: { shape: "hv", color: color(k) },
        marker: { size: 5 } };
    });
    draw("curves", traces, { xaxis: { title: { text: byTime ? "seconds since the study's first trial" : "trial number" } },
      yaxis: { title: { text: "best " + valueLabel() + " so far" }, type: options.log ? "log" : "linear" } });
  }

  // the compared objective's name, or "value" when the studies compare different ones
  function valueLabel() {
    const names = new Set(data.studies.map(s => s.objective));
    return names.size === 1 ? [...names][0] : "value";
  }

  function distributions() {
    const shown = data.studies.map((s, k) => [s, k]).filter(([s]) => s.distribution);
    draw("box", shown.map(([s, k]) => {
      const d = s.distribution;
      return { type: "box", name: s.name, x: [s.name], q1: [d.q1], median: [d.median], q3: [d.q3],
        lowerfence: [d.min], upperfence: [d.max], mean: [d.mean], marker: { color: color(k) }, showlegend: false };
    }), { yaxis: { title: { text: valueLabel() }, type: options.log ? "log" : "linear" } });
    draw("edf", shown.map(([s, k]) => {
      const q = s.distribution.quantiles;
      return { type: "scatter", mode: "lines", name: s.name, x: q, y: q.map((_, i) => i / (q.length - 1)),
        line: { shape: "hv", color: color(k) } };
    }), { xaxis: { title: { text: valueLabel() }, type: options.log ? "log" : "linear" },
      yaxis: { title: { text: "share of complete trials ≤ x" }, range: [0, 1] } });
  }

  function notes() {
    const limits = data.limits;
    return [
      ...data.notes.map(n => el("p", { class: "alert alert-caution" }, n)),
      el("p", { class: "muted" }, `Drawn from aggregates computed on the server: the best-so-far curves from the trials where `,
        `the best value improved (at most ${limits.curve_points.toLocaleString()} per study; by wall time at most `,
        `${limits.time_points.toLocaleString()}), the distributions from ${limits.quantiles} quantiles of the complete trials' `,
        `values (boxes: quartiles and median, whiskers: lowest and highest, dashed: mean). `,
        `Constraints and budgets are not considered in the curves.`)];
  }

  function render() {
    document.getElementById("summary").replaceChildren(table());
    document.getElementById("notes").replaceChildren(...notes());
    curves();
    distributions();
  }

  // ---- importance side by side: each study's analysis view, computed in the background
  let importanceTimer = null;

  function importanceStatus(s) {
    if (s.status === "running") {
      return el("li", { "data-study": s.name }, s.name, ": ", el("span", { class: "spinner" }),
        `${s.progress.stage} for ${fmt(s.progress.seconds)} s…`);
    }
    if (s.status === "error") return el("li", { "data-study": s.name, class: "state-failed" }, `${s.name}: ${s.error}`);
    const trust = s.trust.map(t => `surrogate R² ${t.cv_r2 === null ? "-" : t.cv_r2.toFixed(2)} on ${t.n_trials} trials — ${t.verdict}`);
    return el("li", { "data-study": s.name }, `${s.name}: `, trust.join("; ") || "done",
      s.stale ? el("span", { class: "muted" }, " (updating with the new trials…)") : null,
      s.notes.length ? el("span", { class: "muted" }, " — " + s.notes.join("; ")) : null);
  }

  function importanceWarnings(studies) {
    return studies.flatMap(s => (s.warnings || []).map(w =>
      el("p", { class: "alert alert-" + w.level }, `⚠ ${s.name}: ${w.text}`)));
  }

  async function pollImportance(view) {
    clearTimeout(importanceTimer);
    const body = document.getElementById("importance-body");
    let next = 1000;
    try {
      const result = await get("/api/compare/importance?" + query + "&view=" + encodeURIComponent(view));
      const figure = el("div", { id: "importance-figure", class: "figure", style: "min-height: 440px" });
      const key = JSON.stringify([result.status, result.studies.map(s => [s.status, s.stale, s.error, s.trust])]);
      if (body.dataset.key !== key || result.status === "running") {
        body.replaceChildren(el("ul", { id: "importance-status" }, result.studies.map(importanceStatus)),
          ...importanceWarnings(result.studies), result.figure ? figure : null);
        if (result.figure) {
          const layout = Object.assign({}, result.figure.layout || {}, { autosize: true });
          delete layout.width;
          requestAnimationFrame(() => Plotly.react(figure, result.figure.data, layout, config));
        }
        body.dataset.key = key;
      }
      if (result.status === "done" && !result.studies.some(s => s.stale)) next = 5000;  // watch for new trials
    } catch (error) {
      HP.message(error.message, "error");
      next = 5000;
    }
    importanceTimer = setTimeout(() => pollImportance(view), next);
  }

  function importanceCard() {
    const select = el("select", { id: "importance-view" },
      data.importance_views.map(v => el("option", { value: v.view }, v.title)));
    const button = el("button", { type: "button", id: "importance-compute",
      onclick: () => pollImportance(select.value) }, "compute");
    return el("section", { class: "card", id: "importance" },
      el("h2", {}, "Importance side by side"),
      el("p", { class: "muted" }, "Each study's analysis view, computed on the server in the background (shared with its ",
        "analysis page) and drawn once every study's is ready: main effects, at the highest budget."),
      el("p", {}, select, " ", button), el("div", { id: "importance-body" }));
  }

  // ---- the page, refreshed when a compared study changes
  async function load() {
    data = await get("/api/compare?" + query);
    render();
  }

  async function watch(seen) {
    let key = seen;
    try {
      const states = await Promise.all(data.studies.map(s =>
        get("/api/studies/" + encodeURIComponent(s.name) + "/poll")));
      key = JSON.stringify(states);
      if (seen !== null && key !== seen) await load();
    } catch (error) {
      HP.message(error.message, "error");
    }
    setTimeout(() => watch(key), 3000);
  }

  function controls() {
    const axis = el("select", { id: "axis", onchange: event => { options.axis = event.target.value; curves(); } },
      el("option", { value: "number" }, "by trial number"), el("option", { value: "time" }, "by wall time"));
    const log = el("input", { type: "checkbox", id: "log", onchange: event => { options.log = event.target.checked; curves(); distributions(); } });
    return el("p", {}, axis, " ", el("label", {}, log, " log scale for values"));
  }

  async function start() {
    const app = document.getElementById("app");
    try {
      data = await get("/api/compare?" + query);
    } catch (error) {
      app.replaceChildren(el("h1", {}, "Comparison"), el("p", { class: "alert alert-danger", id: "error" }, error.message),
        el("p", {}, el("a", { href: "/" }, "back to the studies")));
      return;
    }
    document.title = "compare · " + data.studies.map(s => s.name).join(", ");
    app.replaceChildren(
      el("h1", {}, `Comparison of ${data.studies.length} studies`),
      el("div", { id: "summary" }),
      el("div", { id: "notes" }),
      el("section", { class: "card" }, el("h2", {}, "Best value so far"), controls(),
        el("div", { id: "curves", class: "figure", style: "height: 380px" })),
      el("section", { class: "card" }, el("h2", {}, "Distribution of the values of complete trials"),
        el("div", { class: "grid" }, el("div", { id: "box", class: "figure", style: "height: 360px" }),
          el("div", { id: "edf", class: "figure", style: "height: 360px" }))),
      importanceCard());
    render();
    watch(null);
    const wanted = location.hash.slice(1);  // #fanova: computed at once
    if (data.importance_views.some(v => v.view === wanted)) {
      document.getElementById("importance-view").value = wanted;
      pollImportance(wanted);
    }
  }

  start().catch(error => HP.message(error.message, "error"));
})();
