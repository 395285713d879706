// A study's overview: status and controls, best configuration, progress, failures,
// the search space with the priors in force, and forms to set priors and queue a configuration.
"use strict";
(() => {
  const { el, fmt, get, api, link, pairs, steer } = HP;

  // The first overview is asked for at once, while plotly.js (its basic bundle, 1.2 MB: the
  // one figure here is a scatter) downloads and runs: the two overlap instead of adding up.
  // The text is drawn without waiting for plotly.js, the figure once plotly.js has run.
  let first = get(api());
  first.catch(() => {});  // reported by the render that awaits it
  // plotly.js is the page's last script (async): the page's load event follows its run.
  const plotly = new Promise((resolve, reject) => window.addEventListener("load", () =>
    window.Plotly ? resolve(window.Plotly) : reject(new Error("plotly.js did not load"))));
  plotly.catch(() => {});  // reported by the figure that waits for it

  function choicesOf(param) {
    return param.choices || param.sequence || (param.type === "constant" ? [param.value] : null);
  }

  // An input for one value of a hyperparameter; read() gives the typed value or undefined.
  function valueInput(param, { blank = false } = {}) {
    const choices = choicesOf(param);
    if (choices) {
      const select = el("select", { name: param.name },
        blank ? el("option", { value: "" }, "(optimizer)") : null,
        choices.map((c, i) => el("option", { value: String(i) }, fmt(c))));
      return { node: select, read: () => select.value === "" ? undefined : choices[Number(select.value)] };
    }
    const input = el("input", { name: param.name, type: "number", step: "any", size: 10,
      placeholder: blank ? "(optimizer)" : `${fmt(param.low)} … ${fmt(param.high)}` });
    return { node: input, read: () => input.value === "" ? undefined : Number(input.value) };
  }

  function range(param) {
    const choices = choicesOf(param);
    if (choices) return `{${choices.map(fmt).join(", ")}}`;
    return `[${fmt(param.low)}, ${fmt(param.high)}]${param.log ? " log" : ""}`;
  }

  function controls(data) {
    const buttons = ["pause", "resume", "stop"].map(action =>
      el("button", { type: "button", id: "btn-" + action,
        onclick: async () => { if (await steer({ action })) render(true); } }, action));
    return el("p", {}, "status ", el("span", { id: "status", class: "status status-" + data.status }, data.status),
      " ", buttons, " ", el("span", { class: "muted" }, `optimizer ${data.optimizer}`));
  }

  function countsLine(data) {
    const counts = Object.entries(data.counts).filter(([, n]) => n)
      .map(([state, n]) => `${n} ${state}`).join(", ") || "no trials yet";
    const excluded = data.excluded.length ? el("span", { id: "excluded" }, "; kept out of the model: ",
      data.excluded.map(n => [el("a", { href: link("trials", n) }, `#${n}`), " "])) : null;
    return el("p", { id: "counts" }, counts, excluded);
  }

  function best(data) {
    if (!data.best) return el("p", { class: "muted" }, data.objectives.length > 1
      ? "Several objectives: see the trials table." : "No complete trial yet.");
    const trial = data.best;
    return el("div", {},
      el("p", {}, "trial ", el("a", { href: link("trials", trial.number) }, `#${trial.number}`), ": ",
        Object.entries(trial.values).map(([k, v]) => `${k} = ${fmt(v)}`).join(", ")),
      pairs(Object.entries(trial.config)));
  }

  function progressFigure(progress) {
    const box = el("div", { id: "progress", style: "height: 320px" });
    if (!progress.n) return el("p", { class: "muted" }, "No complete trial yet.");
    plotly.then(Plotly => box.isConnected && Plotly.react(box, [
      { x: progress.number, y: progress.value, mode: "markers", name: progress.objective,
        marker: { size: 5, color: "#98a2b3" } },
      { x: progress.number, y: progress.best, mode: "lines", name: "best so far",
        line: { shape: "hv", color: "#2f5fd0" } },
    ], { margin: { t: 10, r: 10, b: 40, l: 60 }, xaxis: { title: { text: "trial" } },
         yaxis: { title: { text: progress.objective } }, legend: { orientation: "h" } },
    { displaylogo: false, responsive: true }), error => HP.message(error.message, "error"));
    const note = progress.sampled ? el("p", { class: "muted" },
      `${progress.number.length} of ${progress.n} complete trials drawn (every improvement kept).`) : null;
    return el("div", {}, box, note);
  }

  function failures(data) {
    if (!data.failures.length) return el("p", { class: "muted" }, "No failed trials.");
    return el("table", { id: "failures" }, el("tr", {}, el("th", { class: "n" }, "trials"),
      el("th", {}, "error"), el("th", {}, "first")),
      data.failures.map(g => el("tr", {}, el("td", { class: "n" }, g.count), el("td", {}, g.error),
        el("td", {}, el("a", { href: link("trials", g.numbers[0]) }, `#${g.numbers[0]}`)))));
  }

  function space(data) {
    const rows = data.space.map(p => {
      const runtime = p.runtime_prior;
      const clear = runtime ? el("button", { type: "button", class: "clear-prior",
        onclick: async () => { if (await steer({ action: "clear_prior", name: p.name })) render(true); } },
        "clear") : null;
      const condition = p.active_if ? el("div", { class: "muted" }, "active if " + JSON.stringify(p.active_if)) : null;
      return el("tr", { "data-param": p.name }, el("td", {}, p.name, condition), el("td", {}, p.type),
        el("td", {}, range(p)),
        el("td", {}, p.prior === undefined ? "-" : `${fmt(p.prior)} (${p.confidence})`),
        el("td", { class: "runtime-prior" }, runtime
          ? `${fmt(runtime.value)} (${runtime.confidence}, since trial ${runtime.since}) ` : "-", clear),
        el("td", { class: "steering" },
          p.range ? [`narrowed to [${fmt(p.range[0])}, ${fmt(p.range[1])}] `,
            undo("restore_range", p.name, "restore")] : "",
          p.frozen !== null && p.frozen !== undefined ? [`frozen at ${fmt(p.frozen)} `,
            undo("release", p.name, "release")] : ""));
    });
    return el("table", { id: "space" }, el("tr", {}, ["name", "type", "range", "prior in space",
      "prior given while running", "steering"].map(h => el("th", {}, h))), rows);
  }

  // A button that undoes a narrowed range or a frozen value of one hyperparameter.
  function undo(action, name, label) {
    return el("button", { type: "button", class: action.replace("_", "-"),
      onclick: async () => { if (await steer({ action, name })) render(true); } }, label);
  }

  // Narrow a numeric hyperparameter's range; freeze any hyperparameter at one value.
  function narrowForm(data) {
    const params = data.space.filter(p => p.type === "float" || p.type === "int");
    if (!params.length) return el("p", { class: "muted" }, "No numeric hyperparameter to narrow.");
    const name = el("select", { name: "name" }, params.map(p => el("option", { value: p.name }, p.name)));
    const low = el("input", { name: "low", type: "number", step: "any", size: 10 });
    const high = el("input", { name: "high", type: "number", step: "any", size: 10 });
    const hint = () => {
      const p = params.find(q => q.name === name.value);
      low.placeholder = fmt(p.low); high.placeholder = fmt(p.high);
    };
    name.addEventListener("change", hint);
    hint();
    const number = input => input.value === "" ? null : Number(input.value);
    return el("form", { id: "narrow-form", class: "inline", onsubmit: async event => {
      event.preventDefault();
      const result = await steer({ action: "narrow", name: name.value, low: number(low), high: number(high) });
      if (result) render(true);
    } }, el("label", {}, "hyperparameter", name), el("label", {}, "low", low),
    el("label", {}, "high", high), el("button", { type: "submit" }, "narrow"));
  }

  function freezeForm(data) {
    const params = data.space.filter(p => p.type !== "constant");
    const name = el("select", { name: "name" }, params.map(p => el("option", { value: p.name }, p.name)));
    const slot = el("span", {});
    let value = null;
    const pick = () => {
      value = valueInput(params.find(p => p.name === name.value));
      slot.replaceChildren(value.node);
    };
    name.addEventListener("change", pick);
    pick();
    return el("form", { id: "freeze-form", class: "inline", onsubmit: async event => {
      event.preventDefault();
      const result = await steer({ action: "freeze", name: name.value, value: value.read() ?? null });
      if (result) render(true);
    } }, el("label", {}, "hyperparameter", name), el("label", {}, "value", slot),
    el("button", { type: "submit" }, "freeze"));
  }

  // Choose the acquisition function (and its exploration weight, where it has one).
  function acquisitionForm(data) {
    const name = el("select", { name: "acquisition" }, el("option", { value: "" }, "(the optimizer's own)"),
      data.acquisitions.map(a => el("option", { value: a.name }, a.name)));
    const weight = el("input", { name: "weight", type: "number", step: "any", min: "0", size: 8 });
    const label = el("span", {}, "exploration weight");
    const hint = () => {
      const chosen = data.acquisitions.find(a => a.name === name.value);
      weight.disabled = !chosen || !chosen.weight;
      if (weight.disabled) weight.value = "";
      label.textContent = chosen && chosen.weight ? `exploration weight (${chosen.weight})` : "exploration weight";
    };
    name.addEventListener("change", hint);
    hint();
    return el("form", { id: "acquisition-form", class: "inline", onsubmit: async event => {
      event.preventDefault();
      const body = { action: "set_acquisition", acquisition: name.value || null };
      if (weight.value !== "") body.weight = Number(weight.value);
      const result = await steer(body);
      if (result) render(true);
    } }, el("label", {}, "acquisition", name), el("label", {}, label, weight),
    el("button", { type: "submit" }, "use"));
  }

  function priorForm(data) {
    const params = data.space.filter(p => p.type !== "constant");
    const name = el("select", { name: "name" }, params.map(p => el("option", { value: p.name }, p.name)));
    const slot = el("span", {});
    let value = null;
    const pick = () => {
      value = valueInput(params.find(p => p.name === name.value));
      slot.replaceChildren(value.node);
    };
    name.addEventListener("change", pick);
    pick();
    const confidence = el("select", { name: "confidence" },
      ["low", "medium", "high"].map(c => el("option", { value: c, selected: c === "medium" }, c)));
    return el("form", { id: "prior-form", class: "inline", onsubmit: async event => {
      event.preventDefault();
      const result = await steer({ action: "set_prior", name: name.value, value: value.read(),
        confidence: confidence.value });
      if (result) render(true);
    } }, el("label", {}, "hyperparameter", name), el("label", {}, "value", slot),
    el("label", {}, "confidence", confidence), el("button", { type: "submit" }, "set prior"));
  }

  function enqueueForm(data) {
    const inputs = data.space.filter(p => p.type !== "constant")
      .map(p => ({ name: p.name, input: valueInput(p, { blank: true }) }));
    return el("form", { id: "enqueue-form", class: "inline", onsubmit: async event => {
      event.preventDefault();
      const config = {};
      for (const { name, input } of inputs) {
        const value = input.read();
        if (value !== undefined) config[name] = value;
      }
      const result = await steer({ action: "enqueue", config });
      if (result) HP.message(`queued as trial ${result.trial}`, "ok");
    } }, inputs.map(({ name, input }) => el("label", {}, name, input.node)),
    el("button", { type: "submit" }, "queue"));
  }

  let built = false;
  // Live updates skip a render while the prior form has focus; a write forces one.
  async function render(force = false) {
    const data = await (first || get(api()));
    first = null;
    const app = document.getElementById("app");
    document.title = `${data.name} · hyperpilot`;
    const progress = progressFigure(data.progress);
    const sections = [
      el("h1", {}, data.name), controls(data), countsLine(data),
      el("div", { class: "grid" },
        el("section", { class: "card" }, el("h2", {}, "Best configuration"), best(data)),
        el("section", { class: "card" }, el("h2", {}, "Progress"), progress)),
      el("section", { class: "card" }, el("h2", {}, "Failures by error"), failures(data)),
      el("section", { class: "card" }, el("h2", {}, "Search space and priors in force"), space(data),
        el("h2", {}, "Set a prior"), priorForm(data)),
    ];
    if (!built) {  // keep a half-filled form across live updates
      app.replaceChildren(...sections, el("section", { class: "card", id: "steer" },
        el("h2", {}, "Narrow a range"), narrowForm(data),
        el("h2", {}, "Freeze a value"), freezeForm(data),
        el("h2", {}, "Acquisition function"),
        el("p", { class: "muted", id: "acquisition" }, "in force: ",
          data.acquisition ? fmt(data.acquisition) : "the optimizer's own"),
        acquisitionForm(data)),
      el("section", { class: "card", id: "enqueue" },
        el("h2", {}, "Queue a configuration"),
        el("p", { class: "muted" }, "Fields left blank are chosen by the optimizer."), enqueueForm(data)));
      built = true;
    } else {
      const keep = document.getElementById("enqueue");
      const steering = document.getElementById("steer");
      document.getElementById("acquisition").textContent = "in force: " +
        (data.acquisition ? fmt(data.acquisition) : "the optimizer's own");
      const focused = document.activeElement && app.contains(document.activeElement)
        && document.activeElement.closest("#prior-form, #steer, #enqueue");
      if (focused && !force) return;  // do not replace a form the user is filling in
      app.replaceChildren(...sections, steering, keep);
    }
  }

  HP.live(async () => {
    try { await render(); } catch (error) { HP.message(error.message, "error"); }
  });
})();
