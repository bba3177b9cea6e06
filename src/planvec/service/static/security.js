// The security view of the page (#security): registered with the page's view switcher (app.js).
//   - a policies search: /api/v1/search?kind=security with the category / severity / format filters,
//   - the findings of /api/v1/security/scan (admin; "needs an admin key" on 403),
//   - the anomalies of /api/v1/security/anomalies (admin).
"use strict";

(() => {
  const DEBOUNCE_MS = 200;
  const SEVERITIES = ["critical", "high", "medium", "low", "info"];
  const STYLE = `
    .sec { max-width: 1200px; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
    .sec h2 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
    .sec-table { width: 100%; border-collapse: collapse; background: var(--card); font-size: .85rem; }
    .sec-table th, .sec-table td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
    .sec-table th { color: var(--muted); font-weight: 600; }
    .sec-table td.where { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
    .sec-wrap { overflow-x: auto; }
    .badge.sev-critical { color: #fff; background: #b00020; }
    .badge.sev-high { color: #fff; background: #d9480f; }
    .badge.sev-medium { color: #7a4b00; background: #fff1d6; }
    .badge.sev-low, .badge.sev-info { color: var(--muted); background: #eee; }
    .sec .row { display: flex; gap: .6rem; align-items: center; }
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

  function badge(severity) {
    return pv().el("span", `badge sev-${severity || "none"}`, severity || "-");
  }

  function table(headers, rows) {
    const t = pv().el("table", "sec-table");
    const head = t.createTHead().insertRow();
    for (const h of headers) head.append(pv().el("th", "", h));
    const body = t.createTBody();
    for (const cells of rows) {
      const tr = body.insertRow();
      for (const c of cells) {
        const td = tr.insertCell();
        if (c instanceof Node) td.append(c); else td.textContent = c === null || c === undefined ? "" : String(c);
      }
    }
    const wrap = pv().el("div", "sec-wrap");
    wrap.append(t);
    return wrap;
  }

  function build(root) {
    const style = document.createElement("style");
    style.textContent = STYLE;
    document.head.append(style);
    const el = pv().el;
    const box = el("section", "sec");
    box.setAttribute("aria-label", "Security");
    const search = el("div", "searchbox");
    const q = document.createElement("input");
    Object.assign(q, { id: "sec-q", type: "search", autocomplete: "off", spellcheck: false });
    q.placeholder = "Search the security policies… (how do we report a vulnerability?)";
    q.setAttribute("aria-label", "Search security policies");
    search.append(q);
    const filters = el("div", "filters");
    filters.setAttribute("role", "group");
    filters.setAttribute("aria-label", "Policy filters");
    filters.append(
      select("sec-severity", "Severity", [["", "any"], ...SEVERITIES.map((s) => [s, s]), ["high+", "high and above"]]),
      select("sec-format", "Format", [["", "any"], ["markdown", "markdown"], ["yaml", "yaml"], ["json", "json"], ["rego", "rego"], ["kubernetes", "kubernetes"]]),
    );
    const cat = el("label", "", "Category");
    const catInput = document.createElement("input");
    Object.assign(catInput, { id: "sec-category", type: "text", autocomplete: "off", placeholder: "access-control" });
    cat.append(catInput);
    filters.append(cat);
    const status = el("p", "status");
    status.id = "sec-status";
    status.setAttribute("aria-live", "polite");
    const hits = el("ol", "results");
    hits.id = "sec-hits";
    hits.setAttribute("aria-label", "Policies");
    const findingsHead = el("div", "row");
    const scanBtn = el("button", "", "Run the scan");
    scanBtn.type = "button";
    scanBtn.id = "sec-scan";
    findingsHead.append(el("h2", "", "Findings"), scanBtn);
    const findings = el("div", "");
    findings.id = "sec-findings";
    const anomalies = el("div", "");
    anomalies.id = "sec-anomalies";
    box.append(search, filters, status, hits, findingsHead, findings, el("h2", "", "Anomalies in the audit log"), anomalies);
    root.append(box);
    q.addEventListener("input", () => { clearTimeout(state.timer); state.timer = setTimeout(searchPolicies, DEBOUNCE_MS); });
    catInput.addEventListener("input", () => { clearTimeout(state.timer); state.timer = setTimeout(searchPolicies, DEBOUNCE_MS); });
    for (const id of ["#sec-severity", "#sec-format"]) $(id).addEventListener("change", searchPolicies);
    scanBtn.addEventListener("click", loadScan);
  }

  async function searchPolicies() {
    const seq = ++state.seq;
    const text = $("#sec-q").value.trim();
    const list = $("#sec-hits");
    if (!text) { list.replaceChildren(); $("#sec-status").textContent = ""; return; }
    const params = new URLSearchParams({ q: text, kind: "security", limit: "10" });
    for (const [name, id] of [["severity", "#sec-severity"], ["format", "#sec-format"], ["category", "#sec-category"]]) {
      const v = $(id).value.trim();
      if (v) params.append("filter", `${name}=${v}`);
    }
    try {
      const body = await pv().api(`/api/v1/search?${params}`);
      if (seq !== state.seq) return;
      list.replaceChildren(...body.hits.map(hitItem));
      $("#sec-status").textContent = body.hits.length ? `${body.hits.length} policies` : "no policy matches";
    } catch (err) {
      if (seq === state.seq) $("#sec-status").textContent = `Search failed: ${err.message}`;
    }
  }

  function hitItem(h) {
    const el = pv().el;
    const f = h.fields || {};
    const li = el("li", "hit");
    const head = el("div", "head");
    head.append(el("span", "score", Number(h.score).toFixed(3)), el("span", "title", h.title), badge(f.severity));
    if (f.category) head.append(el("span", "badge prio", f.category));
    const where = el("div", "where");
    where.append(el("span", "file", `${h.file}:${h.line}`), el("span", "", `${f.kind || ""} · ${f.format || ""}`));
    if (f.section) where.append(el("span", "crumbs", f.section));
    li.append(head, where);
    return li;
  }

  async function adminPanel(path, target, render) {
    target.replaceChildren(pv().el("p", "muted", "loading…"));
    try {
      render(await pv().api(path));
    } catch (err) {
      const why = err.status === 403 ? "needs an admin key" : err.message;
      target.replaceChildren(pv().el("p", "muted", `not available: ${why}`));
    }
  }

  function loadScan() {
    const target = $("#sec-findings");
    return adminPanel("/api/v1/security/scan", target, (r) => {
      const el = pv().el;
      const counts = SEVERITIES.map((s) => `${s} ${r.counts[s] || 0}`).join(" · ");
      const notes = Object.entries(r.sources).filter(([, s]) => s.status !== "ok").map(([n, s]) => `${n}: ${s.note}`);
      const rows = r.findings.map((f) => [badge(f.severity), f.rule, f.where, f.detail, f.fix]);
      target.replaceChildren(
        el("p", r.ok ? "status" : "error", `${r.files} files · ${counts}${r.ok ? " · ok" : ""}`),
        ...notes.map((n) => el("p", "muted", n)),
        rows.length ? table(["severity", "rule", "where", "detail", "fix"], rows) : el("p", "muted", "No findings."),
      );
    });
  }

  function loadAnomalies() {
    const target = $("#sec-anomalies");
    return adminPanel("/api/v1/security/anomalies", target, (r) => {
      const el = pv().el;
      const rows = r.anomalies.map((a) => [a.time, a.key_id, a.type, a.reason]);
      target.replaceChildren(
        el("p", "status", `${r.events} audit events`),
        rows.length ? table(["time", "key", "type", "reason"], rows) : el("p", "muted", "No anomaly."),
      );
    });
  }

  window.addEventListener("DOMContentLoaded", () => {
    window.planvec.views["security"] = {
      show(root) {
        if (state.built) return;
        state.built = true;
        build(root);
        loadScan();
        loadAnomalies();
      },
    };
  });
})();
