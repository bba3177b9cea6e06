// The schemas view of the page (#schemas): registered with the page's view switcher (app.js).
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  window.planvec.views["schemas"] = {
    show(root) {
      if (!root.childElementCount) root.append(window.planvec.el("p", "muted", "schemas: coming with the schemas kind."));
    },
  };
});
