// The studies list: status, trials per state, best value, last activity.
"use strict";
(() => {
  const { el, fmt, get, time } = HP;
  const STATES = ["complete", "failed", "pruned", "running", "pending"];

  async function render() {
    const studies = await get("/api/studies");
    const app = document.getElementById("app");
    if (!studies.length) {
      app.replaceChildren(el("h1", {}, "Studies"), el("p", { class: "muted" }, "No studies in this storage yet."));
      return;
    }
    const head = el("tr", {}, el("th", {}, "study"), el("th", {}, "status"),
      STATES.map(s => el("th", { class: "n" }, s)), el("th", { class: "n" }, "best"),
      el("th", {}, "optimizer"), el("th", {}, "last activity"));
    const rows = studies.map(s => {
      if (s.error) {
        return el("tr", { "data-study": s.name }, el("td", {}, s.name),
          el("td", { colspan: STATES.length + 4, class: "state-failed" }, s.error));
      }
      const objective = s.objectives[0];
      const best = s.objectives.length > 1 ? `${s.objectives.length} objectives`
        : s.best === null ? "-" : `${fmt(s.best.value)} (${objective.direction === "maximize" ? "max" : "min"})`;
      return el("tr", { "data-study": s.name },
        el("td", {}, el("a", { href: "/study/" + encodeURIComponent(s.name) }, s.name)),
        el("td", {}, el("span", { class: "status status-" + s.status }, s.status)),
        STATES.map(state => el("td", { class: "n" }, s.counts[state] || 0)),
        el("td", { class: "n" }, best), el("td", {}, s.optimizer), el("td", {}, time(s.last_activity)));
    });
    app.replaceChildren(el("h1", {}, "Studies"), el("table", { id: "studies" }, head, rows));
  }

  async function loop() {
    try { await render(); } catch (error) { HP.message(error.message, "error"); }
    setTimeout(loop, 2000);
  }
  loop();
})();
