// One trial in full: values, configuration, budget, why it was proposed, error, events.
"use strict";
(() => {
  const { el, fmt, get, api, link, pairs, steer, time } = HP;
  const number = Number(location.pathname.split("/")[4]);

  function eventsTable(events) {
    if (!events.length) return el("p", { class: "muted" }, "No events around this trial.");
    return el("table", {}, el("tr", {}, ["at trial", "time", "origin", "kind", "payload"].map(h => el("th", {}, h))),
      events.map(e => el("tr", {}, el("td", {}, e.at_trial), el("td", {}, time(e.created_at)),
        el("td", {}, e.origin), el("td", {}, e.kind), el("td", {}, JSON.stringify(e.payload)))));
  }

  // The intermediate values the trial reported, as a line by step (none: a note).
  function learningCurve(curve) {
    const budget = curve.budget === null || curve.budget === undefined ? null
      : el("p", { class: "muted" }, `budget ${fmt(curve.budget)}`);
    if (!curve.step.length) return [budget, el("p", { class: "muted" }, "No intermediate values reported.")];
    const box = el("div", { id: "curve", style: "height: 300px" });
    requestAnimationFrame(() => Plotly.react(box, [
      { x: curve.step, y: curve.value, mode: "lines+markers", name: "reported",
        line: { color: "#2f5fd0" }, marker: { size: 5 } },
    ], { margin: { t: 10, r: 10, b: 40, l: 60 }, xaxis: { title: { text: "step" } },
         yaxis: { title: { text: "value" } } }, { displaylogo: false, responsive: true }));
    return [budget, box, el("p", { class: "muted" }, `${curve.step.length} values reported`)];
  }

  async function render() {
    const t = await get(api("trials", number));
    document.title = `trial ${number} · ${HP.study()}`;
    const exclude = el("button", { type: "button", id: "exclude",
      onclick: async () => { if (await steer({ action: t.excluded ? "include" : "exclude", trial: number })) render(); } },
    t.excluded ? "include in the model again" : "exclude from the model");
    const sections = [
      el("h1", {}, `Trial ${number} `, el("span", { class: "state-" + t.state }, t.state)),
      el("p", {}, number > 0 ? el("a", { href: link("trials", number - 1) }, "‹ previous") : null, " ",
        el("a", { href: link("trials", number + 1) }, "next ›"), " ", exclude,
        t.excluded ? el("span", { class: "muted" }, " (excluded)") : null),
      el("div", { class: "grid" },
        el("section", { class: "card" }, el("h2", {}, "Values"),
          pairs([...Object.entries(t.values), ...Object.entries(t.constraints).map(([k, v]) => [`${k} (constraint)`, v]),
            ["budget", t.budget], ["seed", t.seed], ["instance", t.instance], ["worker", t.worker],
            ["created", time(t.created_at)], ["finished", time(t.finished_at)], ["seconds", t.duration]])),
        el("section", { class: "card", id: "config" }, el("h2", {}, "Configuration"), pairs(Object.entries(t.config)))),
      el("section", { class: "card", id: "learning-curve" }, el("h2", {}, "Learning curve"),
        learningCurve(t.intermediate)),
      el("section", { class: "card", id: "why" }, el("h2", {}, "Why this configuration"),
        t.why.length ? el("ul", {}, t.why.map(line => el("li", {}, line))) : el("p", { class: "muted" }, "Not recorded.")),
      t.error ? el("section", { class: "card" }, el("h2", {}, "Error"), el("pre", { id: "error" }, t.error)) : null,
      t.stdout ? el("section", { class: "card" }, el("h2", {}, "Standard output"), el("pre", {}, t.stdout)) : null,
      t.stderr ? el("section", { class: "card" }, el("h2", {}, "Standard error"), el("pre", {}, t.stderr)) : null,
      Object.keys(t.user_attrs).length ? el("section", { class: "card" }, el("h2", {}, "User attributes"),
        pairs(Object.entries(t.user_attrs))) : null,
      el("section", { class: "card" }, el("h2", {}, "Events around it"), eventsTable(t.events)),
    ];
    document.getElementById("app").replaceChildren(...sections.filter(Boolean));
  }

  HP.live(async () => {
    try { await render(); } catch (error) { HP.message(error.message, "error"); }
  });
})();
