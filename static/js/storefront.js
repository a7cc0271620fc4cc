// Storefront niceties; every page works without this file.
(function () {
  "use strict";
  // The facets come closed and the style sheet shows them on wide screens; a browser that
  // cannot (no ::details-content) has them opened here instead, on wide screens only.
  var styled = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
  if (!styled && window.matchMedia("(min-width: 800px)").matches) {
    document.querySelectorAll("details.sf-facets").forEach(function (details) {
      details.open = true;
    });
  }
  // Changing the sort order applies it at once (the form's button does the same without JS).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) {
        select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
      }
    });
  });
})();
