// planvec write-back on the search page: a checkbox on each task hit ticks or unticks the task in its
// Markdown file (PATCH /api/v1/tasks/{id}, write scope). Self-contained: it enhances the hits app.js
// renders (watching #results) and uses app.js's `state` (the hits, the key) and `api`.
"use strict";

(function () {
  const results = document.querySelector("#results");
  if (!results) return;

  function say(li, text, cls) {
    let note = li.querySelector(".wb-note");
    if (!note) {
      note = document.createElement("div");
      note.className = "wb-note";
      li.append(note);
    }
    note.className = `wb-note ${cls || ""}`;
    note.textContent = text;
  }

  // Read the task as its file holds it now; write only if it still reads as the hit showed it.
  async function toggle(box, li, hit) {
    const want = box.checked ? "completed" : "pending";
    box.disabled = true;
    try {
      const now = await api(`/api/v1/tasks/${hit.point_id}`);
      if (now.title !== hit.title) {
        box.checked = hit.status === "completed";
        say(li, `changed in ${now.file}:${now.line} since the search: "${now.text}" (search again)`, "error");
        return;
      }
      const reply = await api(`/api/v1/tasks/${hit.point_id}`, {
        method: "PATCH",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ status: want, content_hash: now.content_hash }),
      });
      const task = (reply.job && reply.job.result && reply.job.result.task) || {};
      hit.status = task.status || want;
      const badge = li.querySelector(".badge.pending, .badge.completed");
      if (badge) { badge.className = `badge ${hit.status}`; badge.textContent = hit.status; }
      say(li, `${hit.status} · written to ${hit.file}:${hit.line}`, "ok");
    } catch (err) {
      box.checked = hit.status === "completed";
      const why = err.status === 401 || err.status === 403 ? " (this needs a key with the write scope)" : "";
      say(li, `not written: ${err.message}${why}`, "error");
    } finally {
      box.disabled = false;
    }
  }

  function enhance() {
    const hits = (typeof state !== "undefined" && state.hits) || [];
    results.querySelectorAll("li.hit").forEach((li, i) => {
      const hit = hits[i];
      if (!hit || hit.kind !== "task" || li.querySelector(".wb-box")) return;
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "wb-box";
      box.checked = hit.status === "completed";
      box.title = "Tick or untick this task in its Markdown file";
      box.setAttribute("aria-label", `done: ${hit.title}`);
      box.addEventListener("click", (e) => e.stopPropagation());
      box.addEventListener("change", () => toggle(box, li, hit));
      const head = li.querySelector(".head");
      (head || li).prepend(box);
    });
  }

  new MutationObserver(enhance).observe(results, { childList: true });
})();
