// The analysis views of a study: each computed on the server in the background when opened,
// polled until done, then drawn with its trust line (the forest's R²) and its warnings on top.
// A view's choices (objective, budget, pair, game) are selects in its heading; changing one
// asks the server for that variant. The interaction graph loads the partial dependence of the
// pair clicked (or chosen) below it; the refined space has a form that starts a warm-started
// study on it.
"use strict";
(() => {
  const { el, fmt, get, api } = HP;
  const cards = new Map();  // view -> {choices: select elements by name, open: bool, panels}
  const PAIR = " × ";

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

  // Draw a view's answer into panel.body; returns the figure's element once drawn (or null).
  function draw(panel, data) {
    const body = panel.body;
    if (data.status === "error") {
      body.replaceChildren(el("p", { class: "alert alert-caution" }, data.error));
      return null;
    }
    if (data.status === "running") {
      const p = data.progress;
      body.replaceChildren(el("p", { class: "running" }, el("span", { class: "spinner" }),
        `${p.stage} for ${fmt(p.seconds)} s…`));
      return null;
    }
    const figure = el("div", { class: "figure", style: "min-height: 380px" });
    body.replaceChildren(...[
      ...data.warnings.map(w => el("p", { class: "alert alert-" + w.level }, "⚠ " + w.text)),
      trustLine(data.trust),
      data.stale ? el("p", { class: "muted" }, el("span", { class: "spinner" }), "updating with the new trials…") : null,
      data.summary ? el("p", { class: "summary" }, data.summary) : null,
      figure,
      data.notes.length ? el("ul", { class: "muted notes" }, data.notes.map(n => el("li", {}, n))) : null,
      table(data),
      panel.after ? panel.after(data) : null].filter(Boolean));
    const layout = Object.assign({}, data.figure.layout || {}, { autosize: true });
    delete layout.width;
    return new Promise(resolve => requestAnimationFrame(() =>
      Plotly.react(figure, data.figure.data, layout, { displaylogo: false, responsive: true })
        .then(() => resolve(figure))));
  }

  // The query string of a panel: its card's choices, and its own extras (the pair).
  function query(panel) {
    const params = new URLSearchParams();
    for (const [name, select] of Object.entries(cards.get(panel.card).choices))
      if (select.value !== "") params.set(name, select.value);
    for (const [name, value] of Object.entries(panel.extra ? panel.extra() : {}))
      if (value) params.set(name, value);
    const text = params.toString();
    return text ? "?" + text : "";
  }

  // Poll a panel until its view is done, then every 5 s for new trials; a new show() of the
  // panel (other choices) ends the older loop.
  async function poll(panel, generation) {
    if (panel.generation !== generation) return;
    let next = 1000;
    try {
      const data = await get(api("analysis", panel.view) + query(panel));
      if (panel.generation !== generation) return;
      const key = data.status + (data.cache_key || "") + (data.stale ? "~" : "") + (data.error || "");
      if (data.status === "running" || panel.body.dataset.key !== key) {
        panel.body.dataset.key = key;
        const figure = await draw(panel, data);
        if (figure && panel.drawn) panel.drawn(data, figure);
      }
      if (data.status !== "running" && !data.stale) next = 5000;  // watch for new trials
    } catch (error) {
      if (panel.generation !== generation) return;
      panel.body.replaceChildren(el("p", { class: "alert alert-caution" }, error.message));
      panel.body.dataset.key = "";
      next = 5000;
    }
    setTimeout(() => poll(panel, generation), next);
  }

  function show(panel) {
    panel.generation = (panel.generation || 0) + 1;
    panel.body.dataset.key = "";
    poll(panel, panel.generation);
  }

  function choiceSelect(name, values, onchange) {
    const label = value => name === "pair" ? (value === "" ? "top pair (fANOVA)" : value.split(",").join(PAIR)) : fmt(value);
    if (name === "pair") {  // every pair of the hyperparameters, "a,b"
      const pairs = [""];
      values.forEach((a, i) => values.slice(i + 1).forEach(b => pairs.push(`${a},${b}`)));
      values = pairs;
    }
    return el("label", {}, name,
      el("select", { name, onchange }, values.map(v => el("option", { value: String(v) }, label(v)))));
  }

  function open(view) {
    const card = cards.get(view);
    if (card.open) return;
    card.open = true;
    const section = document.getElementById("view-" + view);
    section.querySelector("button.open").remove();
    card.panels.filter(p => !p.lazy).forEach(show);
  }

  // The card's choices changed: every panel already shown asks for the new variant.
  function chosen(view) {
    const card = cards.get(view);
    if (card.open) card.panels.filter(p => p.generation).forEach(show);
  }

  // The interaction graph's card: the graph, then a pair select and that pair's partial
  // dependence, loaded when an edge is clicked or a pair chosen.
  function interactionPanels(section) {
    const pdpBody = el("div", { class: "body" });
    const pairSelect = el("select", { name: "pair" });
    const pdp = { view: "partial_dependence", card: "interactions", body: pdpBody, lazy: true,
                  extra: () => ({ pair: pairSelect.value }) };
    pdp.drawn = data => { pdpWrap.dataset.pair = data.choices.pair.join(","); };
    const pdpWrap = el("div", { class: "pdp" },
      el("h3", {}, "Partial dependence of a pair"),
      el("form", { class: "inline", onsubmit: e => e.preventDefault() },
        el("label", {}, "pair (strongest interaction first)", pairSelect)),
      pdpBody);
    pairSelect.addEventListener("change", () => show(pdp));
    const graphBody = el("div", { class: "body graph" });
    const graph = { view: "interactions", card: "interactions", body: graphBody };
    graph.drawn = (data, figure) => {
      const pairs = data.rows.filter(r => r.kind === "pair").map(r => r.hyperparameters.join(","));
      const before = Array.from(pairSelect.options).map(o => o.value);
      if (before.join(";") !== pairs.join(";")) {
        const keep = pairSelect.value;
        pairSelect.replaceChildren(...pairs.map(p => el("option", { value: p }, p.split(",").join(PAIR))));
        if (pairs.includes(keep)) pairSelect.value = keep;
        if (!pdpWrap.dataset.shown && pairs.length) { pdpWrap.dataset.shown = "1"; show(pdp); }
      }
      figure.on("plotly_click", event => {
        const point = event.points && event.points[0];
        if (!point || !Array.isArray(point.customdata) || point.customdata.length !== 3) return;
        const clicked = `${point.customdata[0]},${point.customdata[1]}`;
        if (!pairs.includes(clicked)) return;
        pairSelect.value = clicked;
        show(pdp);
      });
    };
    section.querySelector(".body").replaceWith(graphBody, pdpWrap);
    return [graph, pdp];
  }

  // Below the refined space: a form that starts a study on it with the trials that fit.
  function warmStartForm(optimizers) {
    return data => {
      if (!data.space) return null;
      const result = el("p", { id: "warm-start-result" });
      const form = el("form", { id: "warm-start-form", class: "inline" },
        el("label", {}, "new study name", el("input", { name: "name", required: true, value: `${HP.study()}-refined` })),
        el("label", {}, "seed (optional)", el("input", { name: "seed", type: "number", min: 0, step: 1 })),
        el("label", {}, "optimizer", el("select", { name: "optimizer" },
          el("option", { value: "" }, "this study's"), optimizers.map(o => el("option", { value: o }, o)))),
        el("button", { type: "submit" }, "start a warm-started study"));
      form.addEventListener("submit", async event => {
        event.preventDefault();
        const seed = form.elements.seed.value.trim();
        const choices = {};
        for (const [name, select] of Object.entries(cards.get("refine").choices))
          if (select.value !== "") choices[name] = select.value;
        result.replaceChildren(el("span", { class: "spinner" }), "carrying the trials over…");
        try {
          const made = await HP.post(api("warm-start"), {
            name: form.elements.name.value, seed: seed === "" ? null : Number(seed),
            optimizer: form.elements.optimizer.value, choices });
          result.replaceChildren("started ", el("a", { href: made.link }, made.study),
            ` with ${made.n_trials} of this study's trials that fit the refined space`);
          HP.message(`study ${made.study} started`, "ok");
        } catch (error) {
          result.replaceChildren(el("span", { class: "alert alert-caution" }, error.message));
        }
      });
      return el("div", { class: "warm-start" },
        el("h3", {}, "Start a warm-started study on this space"),
        el("p", { class: "muted" }, "A new study in the same storage, on the refined space, told every complete trial of this study whose configuration fits it."),
        form, result);
    };
  }

  async function start() {
    const views = await get(api("analysis"));
    document.title = `analysis · ${HP.study()}`;
    const sections = views.map(v => {
      const choices = {};
      const controls = Object.entries(v.choices).map(([name, values]) => {
        const label = choiceSelect(name, values, () => chosen(v.view));
        choices[name] = label.querySelector("select");
        return label;
      });
      const section = el("section", { class: "card", id: "view-" + v.view, "data-view": v.view },
        el("h2", {}, v.title, " ", el("button", { type: "button", class: "open", onclick: () => open(v.view) }, "compute")),
        controls.length ? el("form", { class: "inline choices", onsubmit: e => e.preventDefault() }, controls) : null,
        el("div", { class: "body" }));
      const card = { choices, open: false, panels: [] };
      cards.set(v.view, card);
      if (v.view === "interactions") card.panels = interactionPanels(section);
      else {
        const panel = { view: v.view, card: v.view, body: section.querySelector(".body") };
        if (v.view === "refine") panel.after = warmStartForm(v.optimizers || []);
        card.panels = [panel];
      }
      return section;
    });
    document.getElementById("app").replaceChildren(
      el("h1", {}, "Analysis"),
      el("p", { class: "muted" }, "Each view is computed on the server in the background and kept until another trial finishes. ",
        "Importances carry the explanation forest's cross-validated R²: below 0.3 they are not to be trusted."),
      ...sections);
    const follow = () => {  // #VIEW opens that view
      const wanted = location.hash.slice(1);
      if (!cards.has(wanted)) return;
      open(wanted);
      document.getElementById("view-" + wanted).scrollIntoView();
    };
    window.addEventListener("hashchange", follow);
    follow();
  }

  start().catch(error => HP.message(error.message, "error"));
})();
