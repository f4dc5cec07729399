/* Public pages: move focus to the error summary, offer printing where JavaScript runs. */
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
  // A paid session: the total follows the quantity chosen.
  var total = document.querySelector("[data-total]");
  var quantity = document.querySelector("select[name=quantity]");
  if (total && quantity) {
    var euros = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });
    var unit = parseFloat(total.getAttribute("data-unit-price"));
    var show = function () {
      total.textContent = "Total : " + euros.format(unit * parseInt(quantity.value, 10));
    };
    quantity.addEventListener("change", show);
    show();
  }
  document.querySelectorAll(".js-print").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
