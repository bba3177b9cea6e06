// The schemas view of the page (#schemas): a search over kind=schemas with element and format
// filters, the detail of an element (a table's columns and relations, an operation's parameters, a
// message's fields) from /api/v1/schemas/{name}, and the drift panel from /api/v1/schemas/drift.
// Registered with the page's view switcher (app.js: window.planvec.{api, el, views}).
"use strict";

(() => {
  const ELEMENTS = ["table", "view", "column", "index", "function", "operation", "schema", "property",
    "message", "field", "enum", "service", "rpc", "config_file", "config_section"];
  const FORMATS = ["sql", "jsonschema", "openapi", "proto", "config"];
  // A member's hit opens its container: a column shows its table, a field its message.
  const OPENS_PARENT = ["column", "property", "field", "rpc", "index"];
  const CSS = `
    .schemas { max-width: 1200px; margin: 0 auto; padding: 1rem 1.25rem 3rem; display: grid;
      grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.25rem; }
    .schemas h2 { font-size: 1.05rem; margin: 0 0 .5rem; }
    .schemas .panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; }
    .schemas table { border-collapse: collapse; width: 100%; font-size: .85rem; margin: .4rem 0; }
    .schemas th, .schemas td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
    .schemas td.mono, .schemas .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
    .schemas .rel { list-style: none; padding: 0; margin: .3rem 0; font-size: .85rem; }
    .schemas a.ref { color: var(--accent); cursor: pointer; text-decoration: underline; }
    .schemas .drift-item { border-top: 1px solid var(--line); padding: .5rem 0; font-size: .85rem; }
    @media (max-width: 760px) { .schemas { grid-template-columns: 1fr; padding: .75rem; } }`;

  const P = () => window.planvec;
  const el = (...a) => P().el(...a);
  const state = { seq: 0, timer: null };

  function select(id, label, values) {
    const wrap = el("label", "", label);
    const s = el("select");
    s.id = id;
    s.append(new Option("any", ""));
    for (const v of values) s.append(new Option(v, v));
    wrap.append(s);
    return wrap;
  }

  function build(root) {
    const style = document.createElement("style");
    style.textContent = CSS;
    document.head.append(style);
    root.classList.add("schemas");
    const left = el("section", "");
    left.setAttribute("aria-label", "Schema search");
    const box = el("div", "searchbox");
    const q = el("input");
    Object.assign(q, { id: "sch-q", type: "search", autocomplete: "off",
      placeholder: "Search tables, columns, endpoints, messages, config… (e.g. which table stores user emails?)" });
    q.setAttribute("aria-label", "Search schemas");
    box.append(q);
    const filters = el("div", "filters");
    filters.append(select("sch-element", "Element", ELEMENTS), select("sch-format", "Format", FORMATS));
    const status = el("p", "status");
    status.id = "sch-status";
    status.setAttribute("aria-live", "polite");
    const results = el("ol", "results");
    results.id = "sch-results";
    left.append(box, filters, status, results);
    const right = el("div", "");
    const detail = el("section", "panel");
    detail.id = "sch-detail";
    detail.append(el("p", "muted", "Pick a result to see its columns, keys and relations."));
    const drift = el("section", "panel");
    drift.id = "sch-drift";
    drift.style.marginTop = "1rem";
    right.append(detail, drift);
    root.append(left, right);
    q.addEventListener("input", () => { clearTimeout(state.timer); state.timer = setTimeout(search, 200); });
    for (const id of ["#sch-element", "#sch-format"]) root.querySelector(id).addEventListener("change", search);
  }

  async function search() {
    const q = document.querySelector("#sch-q").value.trim();
    const status = document.querySelector("#sch-status");
    const seq = ++state.seq;
    if (!q) { document.querySelector("#sch-results").replaceChildren(); status.textContent = ""; return; }
    const p = new URLSearchParams({ q, kind: "schemas", limit: "20" });
    const element = document.querySelector("#sch-element").value;
    const format = document.querySelector("#sch-format").value;
    if (element) p.append("filter", `element=${element}`);
    if (format) p.append("filter", `format=${format}`);
    status.textContent = "searching…";
    try {
      const data = await P().api(`/api/v1/search?${p}`);
      if (seq === state.seq) renderHits(data.hits);
    } catch (err) {
      if (seq === state.seq) status.textContent = err.code === "collection_not_found"
        ? "No schemas indexed yet: run planvec index PATH." : err.message;
    }
  }

  function renderHits(hits) {
    const ol = document.querySelector("#sch-results");
    ol.replaceChildren();
    for (const h of hits) {
      const f = h.fields || {};
      const li = el("li", "hit");
      const head = el("div", "head");
      head.append(el("span", "score", h.score.toFixed(3)), el("span", "badge field", f.element), el("span", "title", h.title));
      const where = el("div", "where");
      where.append(el("span", "file", `${h.file}:${h.line}`));
      const crumbs = el("span", "crumbs");
      for (const part of (h.section || "").split(" > ").filter(Boolean)) crumbs.append(el("span", "", part));
      where.append(crumbs);
      li.append(head, where);
      if (f.description) li.append(el("div", "muted", f.description));
      const target = OPENS_PARENT.includes(f.element) && f.parent ? f.parent : f.name;
      li.addEventListener("click", () => showDetail(target));
      ol.append(li);
    }
    document.querySelector("#sch-status").textContent = hits.length
      ? `${hits.length} result${hits.length > 1 ? "s" : ""}` : "No results. Try other words or fewer filters.";
  }

  function ref(name) {
    const a = el("a", "ref mono", name);
    a.addEventListener("click", (ev) => { ev.stopPropagation(); showDetail(name.split(".").slice(0, -1).join(".") || name); });
    return a;
  }

  function grid(headers, rows) {
    const t = el("table");
    const tr = el("tr");
    for (const h of headers) tr.append(el("th", "", h));
    t.append(tr);
    for (const row of rows) {
      const r = el("tr");
      for (const v of row) {
        const td = el("td", "mono");
        if (v instanceof Node) td.append(v); else td.textContent = v === null || v === undefined ? "" : String(v);
        r.append(td);
      }
      t.append(r);
    }
    return t;
  }

  const plain = (v) => v === null || v === undefined ? "" : typeof v === "object"
    ? (Array.isArray(v) ? v.map(plain).join(", ") : Object.entries(v).map(([k, x]) => `${k}: ${plain(x)}`).join(", "))
    : String(v);

  function definition(d) {
    const box = el("div", "definition");
    box.append(el("h2", "", `${d.element} ${d.name}`), el("div", "muted mono", `${d.format} · ${d.file}:${d.line}`));
    if (d.description) box.append(el("p", "", d.description));
    if (d.columns) {
      box.append(grid(["column", "type", "null", "default", "key"], d.columns.map((c) =>
        [c.name, c.type, c.nullable === false ? "no" : c.nullable === true ? "yes" : "", c.default, c.key])));
    }
    if (d.primary_key && d.primary_key.length) box.append(el("div", "", `primary key: ${d.primary_key.join(", ")}`));
    const rel = el("ul", "rel");
    for (const i of d.indexes || []) rel.append(el("li", "", `${i.unique ? "unique " : ""}index ${i.name} (${i.columns.join(", ")})`));
    for (const fk of d.foreign_keys_out || []) {
      const li = el("li", "", `foreign key ${fk.column} → `);
      li.append(ref(fk.references));
      rel.append(li);
    }
    for (const fk of d.foreign_keys_in || []) {
      const li = el("li", "", "referenced by ");
      li.append(ref(fk.column), document.createTextNode(` (${fk.file}:${fk.line})`));
      rel.append(li);
    }
    if (rel.childElementCount) box.append(rel);
    for (const k of ["summary", "operation_id", "path", "parameters", "request", "responses"]) {
      if (d[k] !== undefined && d[k] !== null && plain(d[k])) box.append(el("div", "", `${k}: ${plain(d[k])}`));
    }
    for (const key of ["fields", "properties", "rpcs", "sections", "members"]) {
      if (d[key] && d[key].length) box.append(grid(["name", "type", "details"], d[key].map((m) =>
        [m.name, m.type, plain(Object.fromEntries(["required", "number", "label", "enum", "default"].filter((x) => m[x] !== undefined && m[x] !== null).map((x) => [x, m[x]])))])));
    }
    if (d.keys && Object.keys(d.keys).length) box.append(grid(["key", "value"], Object.entries(d.keys)));
    return box;
  }

  async function showDetail(name) {
    const panel = document.querySelector("#sch-detail");
    panel.replaceChildren(el("p", "muted", `loading ${name}…`));
    try {
      const data = await P().api(`/api/v1/schemas/${encodeURIComponent(name)}`);
      panel.replaceChildren(...data.definitions.map(definition));
    } catch (err) {
      panel.replaceChildren(el("p", "error", err.message));
    }
  }

  async function loadDrift() {
    const panel = document.querySelector("#sch-drift");
    panel.replaceChildren(el("h2", "", "Drift"));
    try {
      const data = await P().api("/api/v1/schemas/drift");
      if (!data.drifts.length) { panel.append(el("p", "muted", "No drift: every element defined twice has the same members.")); return; }
      for (const d of data.drifts) {
        const item = el("div", "drift-item");
        item.append(el("strong", "", `${d.family} ${d.name}`));
        const sides = el("ol", "rel");
        for (const s of d.sides) sides.append(el("li", "mono", `${s.name}  ${s.file}:${s.line}  (${Object.keys(s.members).length} members)`));
        item.append(sides);
        for (const x of d.differences) {
          const parts = [];
          if (x.only_a.length) parts.push(`only in ${x.a + 1}: ${x.only_a.join(", ")}`);
          if (x.only_b.length) parts.push(`only in ${x.b + 1}: ${x.only_b.join(", ")}`);
          for (const c of x.changed) parts.push(`${c.name}: ${c.a} vs ${c.b}`);
          item.append(el("div", "diff", `${x.a + 1} vs ${x.b + 1}: ${parts.join("; ")}`));
        }
        panel.append(item);
      }
    } catch (err) {
      panel.append(el("p", "muted", err.code === "collection_not_found" ? "No schemas indexed yet." : err.message));
    }
  }

  window.addEventListener("DOMContentLoaded", () => {
    P().views["schemas"] = {
      show(root) {
        if (!root.dataset.ready) { build(root); root.dataset.ready = "1"; }
        loadDrift();
        document.querySelector("#sch-q").focus();
      },
    };
  });
})();
