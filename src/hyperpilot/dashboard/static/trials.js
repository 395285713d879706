// The trials table: paged, sorted and filtered on the server; the query lives in the address.
"use strict";
(() => {
  const { el, fmt, get, api, link } = HP;
  const STATES = ["complete", "failed", "pruned", "running", "pending"];
  const query = new URLSearchParams(location.search);

  function setQuery(changes) {
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === "" || value === undefined) query.delete(key);
      else query.set(key, value);
    }
    history.replaceState(null, "", location.pathname + (query.toString() ? "?" + query : ""));
    render(true);
  }

  function header(label, order, numeric) {
    const current = (query.get("order") || "number") === order;
    const desc = query.get("desc") === "1";
    const arrow = current ? (desc ? " ▼" : " ▲") : "";
    return el("th", { class: "sortable" + (numeric ? " n" : ""), "data-order": order,
      onclick: () => setQuery({ order, desc: current && !desc ? "1" : null, offset: null }) },
      label + arrow);
  }

  function filters(data) {
    const chosen = new Set((query.get("state") || "").split(",").filter(Boolean));
    const boxes = STATES.map(state => el("label", {}, el("input", { type: "checkbox", name: "state",
      value: state, checked: chosen.has(state),
      onchange: event => {
        if (event.target.checked) chosen.add(state); else chosen.delete(state);
        setQuery({ state: [...chosen].join(","), offset: null });
      } }), state));
    const objective = el("select", { name: "objective" },
      data.objectives.map(o => el("option", { value: o, selected: o === query.get("objective") }, o)));
    const low = el("input", { name: "low", type: "number", step: "any", size: 8, value: query.get("low") || "" });
    const high = el("input", { name: "high", type: "number", step: "any", size: 8, value: query.get("high") || "" });
    return el("div", {},
      el("div", { class: "inline", id: "state-filter" }, "states: ", boxes),
      el("form", { class: "inline", id: "value-filter", onsubmit: event => {
        event.preventDefault();
        setQuery({ objective: objective.value, low: low.value, high: high.value, offset: null });
      } }, el("label", {}, "objective", objective), el("label", {}, "from", low),
      el("label", {}, "to", high), el("button", { type: "submit" }, "filter")));
  }

  function pager(data) {
    const pages = Math.max(1, Math.ceil(data.total / data.limit));
    const page = Math.floor(data.offset / data.limit) + 1;
    const go = offset => setQuery({ offset: offset ? String(offset) : null });
    return el("div", { class: "pager" },
      el("button", { type: "button", id: "prev", disabled: page <= 1,
        onclick: () => go(Math.max(0, data.offset - data.limit)) }, "‹ previous"),
      el("span", { id: "page" }, `page ${page} of ${pages}`),
      el("button", { type: "button", id: "next", disabled: page >= pages,
        onclick: () => go(data.offset + data.limit) }, "next ›"),
      el("span", { class: "muted", id: "total" }, `${data.total} trials match`),
      el("select", { name: "limit", onchange: e => setQuery({ limit: e.target.value, offset: null }) },
        [25, 50, 100, 250, 500].map(n => el("option", { value: n, selected: n === data.limit }, `${n} a page`))));
  }

  function table(data) {
    const head = el("tr", {}, header("#", "number", true), el("th", {}, "state"),
      data.objectives.map(o => header(o, "value:" + o, true)),
      data.params.map(p => header(p, "param:" + p, false)), el("th", { class: "n" }, "seconds"));
    const rows = data.trials.map(t => el("tr", { "data-number": t.number },
      el("td", { class: "n" }, el("a", { href: link("trials", t.number) }, t.number)),
      el("td", { class: "state-" + t.state }, t.state),
      data.objectives.map(o => el("td", { class: "n" }, fmt(t.values[o]))),
      data.params.map(p => el("td", {}, fmt(t.config[p]))),
      el("td", { class: "n" }, fmt(t.duration))));
    return el("table", { id: "trials" }, head, rows);
  }

  // Live updates wait while the value filter is being typed in; the user's changes force one.
  async function render(force = false) {
    if (!force && document.activeElement && document.activeElement.closest("#value-filter")) return;
    let data;
    try {
      data = await get(api("trials") + "?" + query);
    } catch (error) {
      HP.message(error.message, "error");
      return;
    }
    const app = document.getElementById("app");
    app.replaceChildren(el("h1", {}, "Trials"), filters(data), pager(data), table(data));
    app.dataset.loaded = JSON.stringify({ offset: data.offset, total: data.total, order: query.get("order") || "number" });
  }

  HP.live(render);
})();
