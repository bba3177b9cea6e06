// The browse view (#browse): per plan file, tasks by status and priority with completion bars,
// each number a link to the search filtered on that file (and status or priority).
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  const { api, el } = window.planvec;

  function searchLink(file, title, extra) {
    const p = new URLSearchParams({ q: title, file, ...extra });
    return `/?${p}#search`;
  }

  function bar(percent) {
    const outer = el("div", "bar");
    outer.setAttribute("role", "img");
    outer.setAttribute("aria-label", `${percent}% completed`);
    const inner = el("div", "fill");
    inner.style.width = `${percent}%`;
    outer.append(inner);
    return outer;
  }

  function row(f) {
    const tr = el("tr");
    const name = el("td", "file");
    const a = el("a", "", f.title || f.file);
    a.href = searchLink(f.file, f.title || f.file, {});
    name.append(a, el("div", "muted", f.file));
    const done = el("td", "num");
    const cell = el("div", "pct");
    cell.append(bar(f.percent), el("span", "", `${f.percent}%`));
    done.append(cell);
    const counts = el("td", "num");
    const pend = el("a", "", `${f.pending} pending`);
    pend.href = searchLink(f.file, f.title || f.file, { status: "pending" });
    const comp = el("a", "", `${f.completed} done`);
    comp.href = searchLink(f.file, f.title || f.file, { status: "completed" });
    counts.append(pend, el("span", "muted", " · "), comp, el("span", "muted", ` · ${f.tasks} tasks`));
    const prios = el("td");
    const badges = el("div", "prios-cell");  // (a flex box inside the cell: the cell stays a table cell)
    prios.append(badges);
    for (const p of ["P0", "P1", "P2", "P3"]) {
      const by = f.by_priority[p];
      if (!by) continue;
      const n = Object.values(by).reduce((x, y) => x + y, 0);
      const link = el("a", "badge prio", `${p} ${by.completed || 0}/${n}`);
      link.href = searchLink(f.file, f.title || f.file, { priority: p, status: "pending" });
      link.title = `${p}: ${by.completed || 0} of ${n} done; open the pending ones`;
      badges.append(link);
    }
    if (f.mvp) badges.append(el("span", "badge mvp", `MVP ${f.mvp}`));
    tr.append(name, done, counts, prios);
    return tr;
  }

  async function render(root) {
    root.replaceChildren(el("p", "muted", "loading…"));
    try {
      const data = await api("/api/v1/browse");
      const pct = data.tasks ? ((100 * data.completed) / data.tasks).toFixed(1) : "0";
      const head = el("div", "browse-head");
      head.append(el("h2", "", "Plans"), el("p", "muted", `${data.files.length} files · ${data.tasks} tasks · ${pct}% done`));
      const table = el("table", "browse-table");
      const thead = el("thead");
      const htr = el("tr");
      for (const t of ["Plan", "Done", "Tasks", "By priority"]) htr.append(el("th", "", t));
      thead.append(htr);
      const tbody = el("tbody");
      for (const f of data.files) tbody.append(row(f));
      table.append(thead, tbody);
      root.replaceChildren(head, table);
    } catch (err) {
      root.replaceChildren(el("p", "error", err.status === 404 ? "Nothing indexed yet: run planvec index PATH." : err.message));
    }
  }

  window.planvec.views.browse = { show(root) { render(root); } };
});
