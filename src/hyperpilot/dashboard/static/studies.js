// The studies list: status, trials per state, best value, workers alive, last activity;
// studies ticked are compared on /compare.
"use strict";
(() => {
  const { el, fmt, get, time } = HP;
  const STATES = ["complete", "failed", "pruned", "running", "pending"];
  const chosen = new Set();  // names ticked for a comparison, kept across re-renders

  // ?studies=a,b, or ?study=a&study=b when a name holds a comma
  function compareLink(names) {
    const query = new URLSearchParams();
    if (names.some(n => n.includes(","))) names.forEach(n => query.append("study", n));
    else query.set("studies", names.join(","));
    return "/compare?" + query;
  }

  function compareButton() {
    const names = [...chosen];
    return el("p", {}, el("button", {
      type: "button", id: "compare", disabled: names.length < 2,
      onclick: () => { location.href = compareLink(names); },
    }, `Compare${names.length ? ` (${names.length})` : ""}`),
    el("span", { class: "muted" }, " tick two or more studies to compare them"));
  }

  function tick(name) {
    return el("input", { type: "checkbox", class: "pick", value: name, checked: chosen.has(name),
      "aria-label": "compare " + name,
      onchange: event => {
        if (event.target.checked) chosen.add(name); else chosen.delete(name);
        document.getElementById("compare").replaceWith(compareButton().firstChild);
      } });
  }

  async function render() {
    const studies = await get("/api/studies");
    const app = document.getElementById("app");
    if (!studies.length) {
      app.replaceChildren(el("h1", {}, "Studies"), el("p", { class: "muted" }, "No studies in this storage yet."));
      return;
    }
    const names = new Set(studies.map(s => s.name));
    [...chosen].filter(n => !names.has(n)).forEach(n => chosen.delete(n));
    const head = el("tr", {}, el("th", {}), el("th", {}, "study"), el("th", {}, "status"),
      STATES.map(s => el("th", { class: "n" }, s)), el("th", { class: "n" }, "best"),
      el("th", {}, "optimizer"), el("th", { class: "n" }, "workers"), el("th", {}, "last activity"));
    const rows = studies.map(s => {
      if (s.error) {
        return el("tr", { "data-study": s.name }, el("td", {}), el("td", {}, s.name),
          el("td", { colspan: STATES.length + 5, class: "state-failed" }, s.error));
      }
      const objective = s.objectives[0];
      const best = s.objectives.length > 1 ? `${s.objectives.length} objectives`
        : s.best === null ? "-" : `${fmt(s.best.value)} (${objective.direction === "maximize" ? "max" : "min"})`;
      return el("tr", { "data-study": s.name }, el("td", {}, tick(s.name)),
        el("td", {}, el("a", { href: "/study/" + encodeURIComponent(s.name) }, s.name)),
        el("td", {}, el("span", { class: "status status-" + s.status }, s.status)),
        STATES.map(state => el("td", { class: "n" }, s.counts[state] || 0)),
        el("td", { class: "n" }, best), el("td", {}, s.optimizer),
        el("td", { class: "n workers", title: s.worker_names.join("\n") || null }, s.workers),
        el("td", {}, time(s.last_activity)));
    });
    app.replaceChildren(el("h1", {}, "Studies"), el("table", { id: "studies" }, head, rows), compareButton());
  }

  async function loop() {
    try { await render(); } catch (error) { HP.message(error.message, "error"); }
    setTimeout(loop, 2000);
  }
  loop();
})();
