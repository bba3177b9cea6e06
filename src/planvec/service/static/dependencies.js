// The dependencies view of the page (#dependencies): registered with the page's view switcher (app.js).
// A search box and the ecosystem / dev / direct / vulnerable filters drive two reads:
//   - /api/v1/search?kind=dependencies&filter=NAME=VALUE… (hits by meaning, when there is a query),
//   - /api/v1/dependencies?… (the table of every matching dependency, sorted),
// and a conflicts panel reads /api/v1/dependencies/conflicts ("not available" when it answers 404).
"use strict";

(() => {
  const TABLE_LIMIT = 200;
  const DEBOUNCE_MS = 200;
  const COLUMNS = ["ecosystem", "name", "specifier", "resolved", "type", "direct", "file:line", "advisory"];
  const STYLE = `
    .deps { max-width: 1200px; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
    .deps h2 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
    .deps .check { flex-direction: row; align-items: center; gap: .3rem; color: var(--fg); }
    .deps-table { width: 100%; border-collapse: collapse; background: var(--card); font-size: .85rem; }
    .deps-table th, .deps-table td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
    .deps-table th { color: var(--muted); font-weight: 600; }
    .deps-table td.file, .deps-table td.spec { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
    .deps-wrap { overflow-x: auto; }
    .badge.adv-affected { color: #fff; background: #b00020; }
    .badge.adv-possibly_affected { color: #7a4b00; background: #fff1d6; }
    .badge.adv-none { color: var(--done); background: var(--done-bg); }
    .badge.adv-unknown { color: var(--muted); background: #eee; }
    .deps-conflicts li { margin: .25rem 0; font-size: .85rem; }
  `;

  const state = { seq: 0, timer: null, built: false };
  const pv = () => window.planvec;
  const $ = (sel) => document.querySelector(sel);

  function select(id, label, options) {
    const wrap = pv().el("label", "", label);
    const sel = document.createElement("select");
    sel.id = id;
    for (const [value, text] of options) sel.append(new Option(text, value));
    wrap.append(sel);
    return wrap;
  }

  function build(root) {
    const style = document.createElement("style");
    style.textContent = STYLE;
    document.head.append(style);
    const el = pv().el;
    const box = el("section", "deps");
    box.setAttribute("aria-label", "Dependencies");
    const search = el("div", "searchbox");
    const q = document.createElement("input");
    Object.assign(q, { id: "deps-q", type: "search", autocomplete: "off", spellcheck: false });
    q.placeholder = "Search dependencies by what they do… (http client, testing, yaml)";
    q.setAttribute("aria-label", "Search dependencies");
    search.append(q);
    const filters = el("div", "filters");
    filters.setAttribute("role", "group");
    filters.setAttribute("aria-label", "Dependency filters");
    filters.append(
      select("deps-eco", "Ecosystem", [["", "any"], ["pypi", "pypi"], ["npm", "npm"], ["go", "go"], ["cargo", "cargo"], ["maven", "maven"]]),
      select("deps-dev", "Dev", [["", "any"], ["true", "dev only"], ["false", "not dev"]]),
      select("deps-direct", "Direct", [["", "any"], ["true", "direct"], ["false", "transitive"]]),
    );
    const vuln = el("label", "check");
    const box2 = document.createElement("input");
    Object.assign(box2, { id: "deps-vuln", type: "checkbox" });
    vuln.append(box2, document.createTextNode("vulnerable only"));
    filters.append(vuln);
    const status = el("p", "status");
    status.id = "deps-status";
    status.setAttribute("aria-live", "polite");
    const hits = el("ol", "results");
    hits.id = "deps-hits";
    hits.setAttribute("aria-label", "Dependency search results");
    const wrap = el("div", "deps-wrap");
    const table = el("table", "deps-table");
    table.id = "deps-table";
    wrap.append(table);
    const count = el("p", "status");
    count.id = "deps-count";
    const conflicts = el("ul", "deps-conflicts");
    conflicts.id = "deps-conflicts";
    box.append(search, filters, status, hits, el("h2", "", "Dependencies"), wrap, count, el("h2", "", "Conflicts"), conflicts);
    root.append(box);
    q.addEventListener("input", () => { clearTimeout(state.timer); state.timer = setTimeout(refresh, DEBOUNCE_MS); });
    for (const id of ["#deps-eco", "#deps-dev", "#deps-direct", "#deps-vuln"]) $(id).addEventListener("change", refresh);
  }

  // The filters that are set, as [name, value] pairs (the kind's filter names).
  function chosen() {
    const out = [];
    if ($("#deps-eco").value) out.push(["ecosystem", $("#deps-eco").value]);
    if ($("#deps-dev").value) out.push(["dev", $("#deps-dev").value]);
    if ($("#deps-direct").value) out.push(["direct", $("#deps-direct").value]);
    if ($("#deps-vuln").checked) out.push(["vulnerable", "true"]);
    return out;
  }

  function advisoryBadge(d) {
    const state = d.advisory || "unknown";
    const ids = (d.advisory_ids || []).join(", ");
    const badge = pv().el("span", `badge adv-${state}`, state.replace("_", " "));
    if (ids) badge.title = ids;
    return badge;
  }

  function renderHits(data) {
    const ol = $("#deps-hits");
    ol.replaceChildren();
    for (const h of data.hits) {
      const f = h.fields || {};
      const li = pv().el("li", "hit");
      const head = pv().el("div", "head");
      head.append(pv().el("span", "score", h.score.toFixed(3)), pv().el("span", "title", h.title));
      head.append(pv().el("span", "badge field", f.ecosystem), pv().el("span", "badge field", f.dep_type));
      head.append(pv().el("span", "badge field", f.direct ? "direct" : "transitive"), advisoryBadge(f));
      const where = pv().el("div", "where");
      where.append(pv().el("span", "file", `${h.file}:${h.line}`));
      if (f.description) where.append(pv().el("span", "", f.description));
      li.append(head, where);
      ol.append(li);
    }
  }

  function cells(d) {
    return [
      d.ecosystem, d.name, d.specifier || "-", d.version || "-", d.dep_type,
      d.direct ? "direct" : "transitive", `${d.file}:${d.line}`,
    ];
  }

  function renderTable(data) {
    const table = $("#deps-table");
    table.replaceChildren();
    const head = document.createElement("tr");
    for (const c of COLUMNS) head.append(pv().el("th", "", c));
    table.append(head);
    for (const d of data.dependencies) {
      const tr = document.createElement("tr");
      tr.className = "dep";
      cells(d).forEach((text, i) => tr.append(pv().el("td", i === 2 ? "spec" : i === 6 ? "file" : "", text)));
      const adv = document.createElement("td");
      adv.append(advisoryBadge(d));
      tr.append(adv);
      table.append(tr);
    }
    $("#deps-count").textContent = !data.indexed
      ? "no dependencies indexed: planvec index PATH"
      : data.total > data.count ? `${data.count} of ${data.total} dependencies` : `${data.total} dependencies`;
  }

  async function refresh() {
    const seq = ++state.seq;
    const q = $("#deps-q").value.trim();
    const filters = chosen();
    const listing = new URLSearchParams([...filters, ["limit", String(TABLE_LIMIT)]]);
    $("#deps-status").textContent = q ? "searching…" : "";
    try {
      const reads = [pv().api(`/api/v1/dependencies?${listing}`)];
      if (q) {
        const p = new URLSearchParams({ q, kind: "dependencies", limit: "20" });
        for (const [k, v] of filters) p.append("filter", `${k}=${v}`);
        reads.push(pv().api(`/api/v1/search?${p}`));
      }
      const [table, found] = await Promise.all(reads);
      if (seq !== state.seq) return;
      renderTable(table);
      if (found) {
        renderHits(found);
        const n = found.hits.length;
        $("#deps-status").textContent = n ? `${n} result${n > 1 ? "s" : ""}` : "No results. Try other words or fewer filters.";
      } else {
        $("#deps-hits").replaceChildren();
      }
    } catch (err) {
      if (seq === state.seq) $("#deps-status").textContent = err.code === "collection_not_found"
        ? "no dependencies indexed: planvec index PATH" : err.message;
    }
  }

  function side(s) {
    const where = s.file ? `${s.file}${s.line ? `:${s.line}` : ""}` : "";
    return [s.specifier || s.version || "", where].filter(Boolean).join(" ");
  }

  async function loadConflicts() {
    const ul = $("#deps-conflicts");
    try {
      const data = await pv().api("/api/v1/dependencies/conflicts");
      const list = Array.isArray(data) ? data : (data.conflicts || []);
      ul.replaceChildren();
      if (!list.length) ul.append(pv().el("li", "muted", "No conflicts."));
      for (const c of list) {
        const sides = c.sides || c.declarations || c.entries || [];
        const text = `${c.level || c.kind || "conflict"}: ${c.ecosystem ? c.ecosystem + " " : ""}${c.name || ""}` +
          (sides.length ? ` — ${sides.map(side).join(" vs ")}` : c.message ? ` — ${c.message}` : "");
        ul.append(pv().el("li", c.level === "incompatible" ? "error" : "", text));
      }
    } catch (err) {
      ul.replaceChildren(pv().el("li", "muted", err.status === 404 && err.code !== "collection_not_found"
        ? "Conflicts: not available on this server." : err.message));
    }
  }

  window.addEventListener("DOMContentLoaded", () => {
    pv().views["dependencies"] = {
      show(root) {
        if (!state.built) { build(root); state.built = true; }
        refresh();
        loadConflicts();
        $("#deps-q").focus();
      },
    };
  });
})();
