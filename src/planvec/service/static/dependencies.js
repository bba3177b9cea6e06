// The dependencies view of the page (#dependencies): registered with the page's view switcher (app.js).
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  window.planvec.views["dependencies"] = {
    show(root) {
      if (!root.childElementCount) root.append(window.planvec.el("p", "muted", "dependencies: coming with the dependencies kind."));
    },
  };
});
