// The session page: the new dates of a postponement are shown only while the status is
// "Reporté" (or while they carry an error). Without this script they stay visible, with the
// fieldset's help text.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const status = document.getElementById("id_status");
  if (!status) {
    return;
  }
  const rows = [".field-new_start", ".field-new_end"]
    .map((selector) => document.querySelector(selector))
    .filter((row) => row);
  function toggle() {
    const postponed = status.value === "postponed";
    rows.forEach((row) => {
      row.hidden = !postponed && !row.querySelector(".errorlist");
    });
  }
  status.addEventListener("change", toggle);
  toggle();
});
