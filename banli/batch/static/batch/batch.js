// The selection bar of a list (banli.batch): each tick is sent with the page's other ticks,
// so the selection kept on the server follows the page; "select all on this page" and
// "clear" tick or untick the page's boxes before their request is sent.
(function () {
  "use strict";
  if (window.banliBatch) {
    return;
  }
  window.banliBatch = true;
  document.documentElement.classList.add("batch-js");
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.classList.contains("batch-pick")) {
      return;
    }
    var form = document.getElementById(box.getAttribute("form"));
    if (form && window.htmx) {
      window.htmx.trigger(form, "batch-pick");
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("button[data-batch]") : null;
    if (!button || !button.form) {
      return;
    }
    var tick = button.getAttribute("data-batch") === "page";
    document.querySelectorAll("input.batch-pick").forEach(function (box) {
      if (box.getAttribute("form") === button.form.id) {
        box.checked = tick;
      }
    });
  });
})();
