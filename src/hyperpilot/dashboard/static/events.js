// The events timeline: interventions (python, cli, dashboard) and the optimizer's verdicts.
"use strict";
(() => {
  const { el, get, api, time } = HP;

  function describe(e) {
    const p = e.payload;
    switch (e.kind) {
      case "set_prior": return `prior on ${p.name}: ${HP.fmt(p.value)} (${p.confidence})`;
      case "clear_prior": return `priors on ${p.name} cleared`;
      case "exclude": case "include": return `trial ${p.trial} ${e.kind}d`;
      case "enqueue": return `trial ${p.trial} queued: ` +
        Object.entries(p.config).map(([k, v]) => `${k}=${HP.fmt(v)}`).join(", ");
      case "prior_verdict": return `prior on ${p.name} ${p.verdict === "rejected" ? "judged misleading" : "trusted"} at trial ${p.trial}`;
      default: return Object.keys(p).length ? JSON.stringify(p) : "";
    }
  }

  async function render() {
    const events = await get(api("events"));
    const app = document.getElementById("app");
    if (!events.length) {
      app.replaceChildren(el("h1", {}, "Events"), el("p", { class: "muted" }, "Nobody has steered this study yet."));
      return;
    }
    app.replaceChildren(el("h1", {}, "Events"), el("table", { id: "events" },
      el("tr", {}, ["#", "at trial", "time", "origin", "author", "kind", "what"].map(h => el("th", {}, h))),
      events.slice().reverse().map(e => el("tr", { "data-kind": e.kind, "data-origin": e.origin },
        el("td", {}, e.id), el("td", {}, e.at_trial), el("td", { class: "time" }, time(e.created_at)), el("td", {}, e.origin),
        el("td", {}, e.author || "-"), el("td", {}, e.kind), el("td", {}, describe(e))))));
  }

  HP.live(async () => {
    try { await render(); } catch (error) { HP.message(error.message, "error"); }
  });
})();
