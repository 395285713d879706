// The analysis views of a study: each computed on the server in the background when opened,
// polled until done, then drawn with its trust line (the forest's R²) and its warnings on top.
"use strict";
(() => {
  const { el, fmt, get, api } = HP;
  const opened = new Map();  // view -> its card's body

  const num = x => x === null || x === undefined ? "-" : x.toFixed(2);

  function trustLine(trust) {
    if (!trust.length) return null;
    return el("p", { class: "trust-line" }, trust.map(t => el("span", { class: "verdict-" + t.verdict.replaceAll(" ", "-") },
      t.budget === null ? "" : `budget ${fmt(t.budget)}: `,
      `surrogate R² ${num(t.cv_r2)}, Spearman ${num(t.spearman)} on ${t.n_trials} trials — ${t.verdict}. `)));
  }

  function table(data) {
    const columns = data.columns.filter(c => c !== "hyperparameters" && c !== "warning");
    return el("details", {}, el("summary", {}, `table (${data.rows.length} of ${data.n_rows} rows)`),
      el("table", {}, el("tr", {}, columns.map(c => el("th", {}, c))),
        data.rows.map(r => el("tr", {}, columns.map(c => el("td", {}, fmt(r[c])))))));
  }

  function draw(body, data) {
    if (data.status === "error") {
      body.replaceChildren(el("p", { class: "alert alert-caution" }, data.error));
      return;
    }
    if (data.status === "running") {
      const p = data.progress;
      body.replaceChildren(el("p", { class: "running" }, el("span", { class: "spinner" }),
        `${p.stage} for ${fmt(p.seconds)} s…`));
      return;
    }
    const figure = el("div", { class: "figure", style: "min-height: 380px" });
    body.replaceChildren(...[
      ...data.warnings.map(w => el("p", { class: "alert alert-" + w.level }, "⚠ " + w.text)),
      trustLine(data.trust),
      data.stale ? el("p", { class: "muted" }, el("span", { class: "spinner" }), "updating with the new trials…") : null,
      figure,
      data.notes.length ? el("ul", { class: "muted" }, data.notes.map(n => el("li", {}, n))) : null,
      table(data)].filter(Boolean));
    const layout = Object.assign({}, data.figure.layout || {}, { autosize: true });
    delete layout.width;
    requestAnimationFrame(() => Plotly.react(figure, data.figure.data, layout,
      { displaylogo: false, responsive: true }));
  }

  async function poll(view) {
    const body = opened.get(view);
    let next = 1000;
    try {
      const data = await get(api("analysis", view));
      const key = data.status + (data.cache_key || "") + (data.stale ? "~" : "") + (data.error || "");
      if (data.status === "running" || body.dataset.key !== key) draw(body, data);
      body.dataset.key = key;
      if (data.status !== "running" && !data.stale) next = 5000;  // watch for new trials
    } catch (error) {
      HP.message(error.message, "error");
      next = 5000;
    }
    setTimeout(() => poll(view), next);
  }

  function open(view) {
    if (opened.has(view)) return;
    const card = document.getElementById("view-" + view);
    const body = card.querySelector(".body");
    card.querySelector("button").remove();
    opened.set(view, body);
    poll(view);
  }

  async function start() {
    const views = await get(api("analysis"));
    document.title = `analysis · ${HP.study()}`;
    document.getElementById("app").replaceChildren(
      el("h1", {}, "Analysis"),
      el("p", { class: "muted" }, "Each view is computed on the server in the background and kept until another trial finishes. ",
        "Importances carry the explanation forest's cross-validated R²: below 0.3 they are not to be trusted."),
      ...views.map(v => el("section", { class: "card", id: "view-" + v.view, "data-view": v.view },
        el("h2", {}, v.title, " ", el("button", { type: "button", class: "open", onclick: () => open(v.view) }, "compute")),
        el("div", { class: "body" }))));
    const wanted = location.hash.slice(1);
    if (wanted && views.some(v => v.view === wanted)) open(wanted);
  }

  start().catch(error => HP.message(error.message, "error"));
})();
