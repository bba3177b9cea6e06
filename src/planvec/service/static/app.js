// planvec search page: plain JS, no build step. Talks to /api/v1 with the key kept in sessionStorage.
"use strict";

const KEY_STORE = "planvec.apiKey";
const DEBOUNCE_MS = 200;
const $ = (sel) => document.querySelector(sel);

const PAGE = 20;  // results per page; "More results" asks for the next PAGE
const state = {
  key: sessionStorage.getItem(KEY_STORE) || "", selected: -1, hits: [], controller: null, seq: 0,
  limit: PAGE, open: "",  // open: "collection/point_id" of the result shown in full
};

function headers() {
  const h = { Accept: "application/json" };
  if (state.key) h["X-API-Key"] = state.key;
  return h;
}

async function api(path, opts = {}) {
  const resp = await fetch(path, { ...opts, headers: { ...headers(), ...(opts.headers || {}) } });
  let body = null;
  try { body = await resp.json(); } catch (_) { /* not JSON */ }
  if (!resp.ok) {
    const err = new Error((body && body.error && body.error.message) || `HTTP ${resp.status}`);
    err.status = resp.status;
    err.code = body && body.error && body.error.code;
    throw err;
  }
  return body;
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function needKey(message) {
  $("#key-form").hidden = false;
  $("#forget").hidden = !state.key;
  const e = $("#key-error");
  e.hidden = !message;
  e.textContent = message || "";
  $("#key-input").focus();
}

async function whoami() {
  try {
    const me = await api("/api/v1/whoami");
    $("#key-form").hidden = true;
    $("#forget").hidden = me.open_mode;
    $("#who").textContent = me.open_mode ? "open mode (localhost, no key needed)" : `key ${me.key_id} · ${me.scope}`;
    return true;
  } catch (err) {
    if (err.status === 401 || err.status === 403) {
      needKey(state.key ? `That key was refused: ${err.message}` : "");
      return false;
    }
    $("#status").textContent = `Server problem: ${err.message}`;
    return false;
  }
}

async function loadCollections() {
  const list = $("#collections");
  try {
    const data = await api("/api/v1/collections");
    list.replaceChildren();
    if (!data.collections.length) list.append(el("li", "muted", "No collections yet: run planvec index PATH."));
    for (const c of data.collections) {
      const li = el("li");
      li.append(el("div", "name", c.name));
      li.append(el("div", "num", `${c.points.toLocaleString()} points`));
      li.append(el("div", "muted", `${c.dimension}-d · ${c.model || "?"}`));
      li.append(el("div", "muted", c.last_sync ? `synced ${c.last_sync.replace("T", " ").replace("+00:00", " UTC")}` : "never synced"));
      list.append(li);
    }
  } catch (err) {
    list.replaceChildren(el("li", "error", err.message));
  }
}

async function loadKinds() {
  // The kind list comes from the server: every enabled kind is searchable from the page.
  try {
    const data = await api("/api/v1/kinds");
    const select = $("#f-kind");
    const current = select.value;
    select.replaceChildren();
    for (const k of data.kinds.filter((k) => k.enabled)) select.append(new Option(k.name, k.name));
    select.append(new Option("all kinds", "all"));
    select.value = [...select.options].some((o) => o.value === current) ? current : "plans";
  } catch (_) { /* keep the built-in list */ }
}

function params() {
  const q = $("#q").value.trim();
  const kind = $("#f-kind").value;
  const p = new URLSearchParams({ q, limit: String(state.limit), mode: $("#f-mode").value });
  if (kind !== "plans") p.set("kind", kind);
  if (planFiltersOff()) return p;  // the status, priority, MVP and file filters are the plans kind's
  if ($("#f-status").value) p.set("status", $("#f-status").value);
  if ($("#f-mvp").value) p.set("mvp", $("#f-mvp").value);
  if ($("#f-file").value.trim()) p.set("file", $("#f-file").value.trim());
  for (const box of document.querySelectorAll(".prios input:checked")) p.append("priority", box.value);
  return p;
}

const PLAN_FILTERS = ["#f-status", "#f-mvp", "#f-file", ".prios input"];

// -- every view is a URL: the query, filters, mode, kind, page size and the open result ----------
function pageUrl() {
  const p = params();
  if (!p.get("q")) p.delete("q");
  if (p.get("mode") === "hybrid") p.delete("mode");
  if (p.get("limit") === String(PAGE)) p.delete("limit");
  if (state.open) p.set("open", state.open);
  const qs = p.toString();
  return `${location.pathname}${qs ? "?" + qs : ""}${location.hash}`;
}

function writeUrl(push) {
  const url = pageUrl();
  if (url === `${location.pathname}${location.search}${location.hash}`) return;
  if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
}

function readUrl() {
  const p = new URLSearchParams(location.search);
  $("#q").value = p.get("q") || "";
  const kind = p.get("kind") || "plans";
  if (![...$("#f-kind").options].some((o) => o.value === kind)) $("#f-kind").append(new Option(kind, kind));
  $("#f-kind").value = kind;
  $("#f-mode").value = p.get("mode") || "hybrid";
  $("#f-status").value = p.get("status") || "";
  $("#f-mvp").value = p.get("mvp") || "";
  $("#f-file").value = p.get("file") || "";
  const prios = new Set(p.getAll("priority"));
  for (const box of document.querySelectorAll(".prios input")) box.checked = prios.has(box.value);
  state.limit = Math.min(1000, Math.max(PAGE, parseInt(p.get("limit") || String(PAGE), 10) || PAGE));
  state.open = p.get("open") || "";
  for (const sel of PLAN_FILTERS) for (const node of document.querySelectorAll(sel)) node.disabled = planFiltersOff();
}

function planFiltersOff() {
  return $("#f-kind").value !== "plans";
}

function onKindChange() {
  const off = planFiltersOff();
  for (const sel of PLAN_FILTERS) for (const node of document.querySelectorAll(sel)) node.disabled = off;
  newSearch();
}

function renderHits(data) {
  const ol = $("#results");
  // A search that answers again with the same hits (a late start-up search, a repeated query)
  // keeps the hit the keyboard selected.
  const kept = state.selected >= 0 && state.hits[state.selected] ? state.hits[state.selected].point_id : null;
  ol.replaceChildren();
  ol.dataset.query = data.query;  // which search the list shows (a later keystroke's may be in flight)
  state.hits = data.hits;
  state.selected = -1;
  data.hits.forEach((h, i) => {
    const li = el("li", "hit");
    li.id = `hit-${i}`;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", "false");
    li.tabIndex = -1;
    const head = el("div", "head");
    head.append(el("span", "score", h.score.toFixed(3)));
    if (h.status) head.append(el("span", `badge ${h.status}`, h.status));
    if (h.task_id) head.append(el("span", "tid", h.task_id));
    head.append(el("span", "title", h.title));
    if (h.priority) head.append(el("span", "badge prio", h.priority));
    if (h.is_mvp) head.append(el("span", "badge mvp", "MVP"));
    const where = el("div", "where");
    where.append(el("span", "file", `${h.file}:${h.line}`));
    const crumbs = el("span", "crumbs");
    for (const part of (h.section || "").split(" > ").filter(Boolean)) crumbs.append(el("span", "", part));
    where.append(crumbs);
    if (h.kind_name && h.kind_name !== "plans") {
      for (const [k, v] of Object.entries(h.fields || {})) {
        if (["title", "file", "line", "section"].includes(k) || v === null || v === "" || v === false) continue;
        head.append(el("span", "badge field", `${k} ${Array.isArray(v) ? v.join(", ") : v}`));
      }
    }
    const more = el("div", "more", `point ${h.point_id} · ${h.kind_name} · collection ${h.collection}`);
    const link = el("a", "permalink", "link");
    link.href = linkTo(h);
    link.title = "This result's own address";
    link.addEventListener("click", (ev) => { ev.preventDefault(); ev.stopPropagation(); openHit(i, true); });
    where.append(link);
    li.append(head, where, more, el("div", "detail"));
    li.addEventListener("click", (ev) => {
      if (ev.target.closest(".detail")) return;  // clicks inside the task view do not close it
      select(i);
      toggleHit(i);
    });
    ol.append(li);
  });
  const n = data.hits.length;
  $("#status").textContent = n
    ? `${n} result${n > 1 ? "s" : ""} · ${data.mode} · ${data.took_ms.toFixed(0)} ms`
    : "No results. Try other words or fewer filters.";
  $("#more").hidden = !(n >= state.limit && state.limit < 1000);
  const again = kept ? data.hits.findIndex((h) => h.point_id === kept) : -1;
  if (again >= 0) select(again);
  if (state.open) {
    const i = data.hits.findIndex((h) => `${h.collection}/${h.point_id}` === state.open);
    if (i >= 0) openHit(i, false);
  }
}

function linkTo(h) {
  const saved = state.open;
  state.open = `${h.collection}/${h.point_id}`;
  const url = pageUrl();
  state.open = saved;
  return url;
}

function toggleHit(i) {
  const li = document.querySelectorAll(".hit")[i];
  if (li.classList.contains("open")) {
    li.classList.remove("open");
    state.open = "";
    writeUrl(true);
  } else {
    openHit(i, true);
  }
}

async function openHit(i, push) {
  const li = document.querySelectorAll(".hit")[i];
  const h = state.hits[i];
  if (!li || !h) return;
  li.classList.add("open");
  state.open = `${h.collection}/${h.point_id}`;
  if (push) writeUrl(true);
  const box = li.querySelector(".detail");
  if (box.dataset.loaded) return;
  box.dataset.loaded = "1";
  box.replaceChildren(el("p", "muted", "loading…"));
  try {
    box.replaceChildren(taskView(await api(`/api/v1/points/${encodeURIComponent(h.collection)}/${h.point_id}`)));
  } catch (err) {
    box.replaceChildren(el("p", "error", err.message));
    delete box.dataset.loaded;
  }
}

// -- the task view: body, parent, siblings, children, status, priority, breadcrumb, path:line ----
function taskView(data) {
  const r = data.record;
  const view = el("div", "task-view");
  const where = el("div", "path-row");
  const loc = `${r.path || r.file}:${r.line}`;
  where.append(el("code", "path", loc));
  const copy = el("button", "link copy", "copy");
  copy.type = "button";
  copy.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(loc); copy.textContent = "copied"; } catch (_) { copy.textContent = "select and copy"; }
  });
  where.append(copy);
  view.append(where);
  const facts = el("div", "facts");
  if (r.status) facts.append(el("span", `badge ${r.status}`, r.status));
  if (r.priority) facts.append(el("span", "badge prio", r.priority));
  if (r.is_mvp) facts.append(el("span", "badge mvp", "MVP"));
  if (r.task_id) facts.append(el("span", "tid", r.task_id));
  for (const [k, v] of Object.entries(r.fields || {})) {
    if (["title", "file", "line", "section", "task_id", "status", "priority", "is_mvp", "kind"].includes(k)) continue;
    if (v === null || v === "" || v === false) continue;
    facts.append(el("span", "badge field", `${k} ${Array.isArray(v) ? v.join(", ") : v}`));
  }
  view.append(facts);
  if (r.section) {
    const crumbs = el("div", "crumbs");
    for (const part of r.section.split(" > ")) crumbs.append(el("span", "", part));
    view.append(crumbs);
  }
  if (data.parent) view.append(family("Parent", [data.parent]));
  if (r.body) view.append(el("pre", "body", r.body));
  else if (r.text && r.kind !== "task") view.append(el("pre", "body", r.text));
  if (data.children.length) view.append(family("Subtasks", data.children));
  if (data.siblings.length) view.append(family("Same level", data.siblings));
  return view;
}

function family(label, hits) {
  const box = el("div", "family");
  box.append(el("h4", "", `${label} (${hits.length})`));
  const ul = el("ul");
  for (const h of hits.slice(0, 30)) {
    const li = el("li");
    li.append(el("span", `mark ${h.status || ""}`, h.status === "completed" ? "☑" : "☐"));
    if (h.task_id) li.append(el("span", "tid", h.task_id));
    li.append(el("span", "", h.title));
    li.append(el("span", "muted", `:${h.line}`));
    ul.append(li);
  }
  if (hits.length > 30) ul.append(el("li", "muted", `… and ${hits.length - 30} more`));
  box.append(ul);
  return box;
}

function select(i) {
  const items = document.querySelectorAll(".hit");
  if (!items.length) return;
  i = Math.max(0, Math.min(items.length - 1, i));
  items.forEach((li, j) => li.setAttribute("aria-selected", String(i === j)));
  state.selected = i;
  items[i].scrollIntoView({ block: "nearest" });
  $("#q").setAttribute("aria-activedescendant", items[i].id);
}

async function search() {
  const q = $("#q").value.trim();
  const seq = ++state.seq;
  if (state.controller) state.controller.abort();
  $("#examples").hidden = Boolean(q);
  writeUrl(false);
  if (!q) {
    $("#results").replaceChildren();
    $("#status").textContent = "";
    $("#more").hidden = true;
    return;
  }
  state.controller = new AbortController();
  $("#status").textContent = "searching…";
  try {
    const data = await api(`/api/v1/search?${params()}`, { signal: state.controller.signal });
    if (seq === state.seq) renderHits(data);
  } catch (err) {
    if (err.name === "AbortError") return;
    if (err.status === 401 || err.status === 403) needKey(err.message);
    if (seq === state.seq) $("#status").textContent = err.message;
  }
}

let timer = null;
function searchSoon() {
  clearTimeout(timer);
  state.limit = PAGE;
  state.open = "";
  timer = setTimeout(search, DEBOUNCE_MS);
}

function newSearch() {
  state.limit = PAGE;
  state.open = "";
  search();
}

function onKey(ev) {
  const inField = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
  if (ev.key === "/" && !inField) { ev.preventDefault(); $("#q").focus(); $("#q").select(); return; }
  if (!state.hits.length) return;
  if (ev.key === "ArrowDown") { ev.preventDefault(); select(state.selected + 1); }
  else if (ev.key === "ArrowUp") { ev.preventDefault(); select(state.selected - 1); }
  else if (ev.key === "Enter" && state.selected >= 0) {
    ev.preventDefault();
    toggleHit(state.selected);
  } else if (ev.key === "Escape") {
    if (state.selected >= 0) { state.selected = -1; document.querySelectorAll(".hit").forEach((li) => li.setAttribute("aria-selected", "false")); }
    else { $("#q").value = ""; search(); }
    $("#q").focus();
  }
}

// Views: #search (default) and one per kind that has a view of its own. A view script registers
// itself with planvec.views[name] = { show(root) } and is shown when location.hash names it.
window.planvec = { api, el, views: {} };

function showView() {
  const name = (location.hash || "#search").slice(1);
  const known = name === "search" || name in window.planvec.views;
  const current = known ? name : "search";
  for (const node of document.querySelectorAll(".view")) node.hidden = node.id !== `view-${current}`;
  for (const a of document.querySelectorAll("nav.views a")) a.setAttribute("aria-current", String(a.dataset.view === current));
  if (current !== "search") window.planvec.views[current].show($(`#view-${current}`));
}

async function start() {
  window.addEventListener("hashchange", showView);
  window.addEventListener("popstate", () => { readUrl(); search(); });
  $("#q").addEventListener("input", searchSoon);
  for (const sel of ["#f-status", "#f-mvp", "#f-mode"]) $(sel).addEventListener("change", newSearch);
  $("#f-kind").addEventListener("change", onKindChange);
  $("#f-file").addEventListener("input", searchSoon);
  for (const box of document.querySelectorAll(".prios input")) box.addEventListener("change", newSearch);
  $("#more").addEventListener("click", () => { state.limit = Math.min(1000, state.limit + PAGE); search(); });
  for (const b of document.querySelectorAll(".example")) {
    b.addEventListener("click", () => { $("#q").value = b.textContent; newSearch(); $("#q").focus(); });
  }
  // On a phone the filters start folded: the results get the screen.
  if (window.matchMedia("(max-width: 760px)").matches) $("#filters-box").open = false;
  document.addEventListener("keydown", onKey);
  $("#key-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    state.key = $("#key-input").value.trim();
    sessionStorage.setItem(KEY_STORE, state.key);
    $("#key-input").value = "";
    if (await whoami()) {
      await loadKinds();
      readUrl();
      await loadCollections();
      $("#q").focus();
      search();
      showView();
    }
  });
  $("#forget").addEventListener("click", () => {
    sessionStorage.removeItem(KEY_STORE);
    state.key = "";
    $("#who").textContent = "";
    needKey("");
  });
  readUrl();
  if (await whoami()) {
    await loadKinds();
    readUrl();  // the kind list is the server's now
    await loadCollections();
    search();
  }
  showView();
}

document.addEventListener("DOMContentLoaded", start);
