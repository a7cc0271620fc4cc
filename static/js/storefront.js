// Storefront niceties; every page works without this file.
(function () {
  "use strict";
  // Facets start collapsed on narrow screens, so that results come first on a phone.
  document.querySelectorAll("details[data-collapse-below]").forEach(function (details) {
    var width = parseInt(details.getAttribute("data-collapse-below"), 10);
    if (window.matchMedia("(max-width: " + (width - 1) + "px)").matches) {
      details.removeAttribute("open");
    }
  });
  // Changing the sort order applies it at once (the form's button does the same without JS).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) {
        select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
      }
    });
  });
})();
