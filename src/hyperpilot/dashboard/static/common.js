// Shared helpers of the dashboard's pages: API calls, elements, numbers, polling.
"use strict";

const HP = (() => {
  // A token given in the address (#token=...) is kept for this tab's writes.
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("token")) {
    sessionStorage.setItem("hp-token", hash.get("token"));
    history.replaceState(null, "", location.pathname + location.search);
  }

  function message(text, kind) {
    const box = document.getElementById("message");
    if (!box) return;
    box.textContent = text;
    box.className = kind;
    clearTimeout(box.timer);
    box.timer = setTimeout(() => { box.className = ""; }, 6000);
  }

  async function get(path) {
    const response = await fetch(path, { headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  async function post(path, data) {
    const headers = { "Content-Type": "application/json" };
    const token = sessionStorage.getItem("hp-token");
    if (token) headers["X-Hyperpilot-Token"] = token;
    const response = await fetch(path, { method: "POST", headers, body: JSON.stringify(data) });
    const body = await response.json();
    if (response.status === 401) {
      const given = prompt("This dashboard needs its token for changes:");
      if (given) { sessionStorage.setItem("hp-token", given); return post(path, data); }
    }
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  // el("a", {href: "/"}, "text", child...): an element with attributes and children.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function fmt(value) {
    if (value === null || value === undefined) return "-";
    if (typeof value === "number") {
      if (Number.isInteger(value)) return String(value);
      return Number(value.toPrecision(6)).toString();
    }
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function time(seconds) {
    return seconds ? new Date(seconds * 1000).toLocaleString() : "-";
  }

  function study() {
    const parts = location.pathname.split("/");
    return decodeURIComponent(parts[2] || "");
  }

  function api(...parts) {
    return "/api/studies/" + encodeURIComponent(study()) + parts.map(p => "/" + p).join("");
  }

  function link(...parts) {
    return "/study/" + encodeURIComponent(study()) + parts.map(p => "/" + p).join("");
  }

  function nav() {
    const header = document.querySelector("header nav");
    if (!header || !study()) return;
    header.replaceChildren(
      el("a", { href: link() }, "overview"), el("a", { href: link("trials") }, "trials"),
      el("a", { href: link("events") }, "events"), el("a", { href: link("analysis") }, "analysis"),
      el("span", { class: "muted" }, "study ", el("b", {}, study())));
  }

  // Call render() now and again whenever the study changes (new trials or events).
  function live(render, interval = 1500) {
    let seen = null;
    async function tick() {
      try {
        const state = await get(api("poll"));
        const key = JSON.stringify(state);
        if (key !== seen) { seen = key; await render(); }
      } catch (error) {
        message(error.message, "error");
      }
      setTimeout(tick, interval);
    }
    tick();
  }

  // Render a list of {label, value} cells as a two-column table.
  function pairs(rows) {
    return el("table", {}, rows.map(([key, value]) =>
      el("tr", {}, el("th", {}, key), el("td", {}, value instanceof Node ? value : fmt(value)))));
  }

  async function steer(data) {
    try {
      const result = await post(api("steer"), data);
      message(`stored: ${result.event ? result.event.kind : "done"}`, "ok");
      return result;
    } catch (error) {
      message(error.message, "error");
      return null;
    }
  }

  document.addEventListener("DOMContentLoaded", nav);
  return { get, post, el, fmt, time, study, api, link, live, pairs, steer, message };
})();
