/* The place's map (Leaflet). Without Leaflet or tiles the address and the OpenStreetMap link remain. */
(function () {
  "use strict";
  if (!window.L) {
    return;
  }
  document.querySelectorAll(".js-map").forEach(function (element) {
    var lat = parseFloat(element.dataset.lat);
    var lng = parseFloat(element.dataset.lng);
    if (isNaN(lat) || isNaN(lng)) {
      return;
    }
    element.hidden = false;
    var map = window.L.map(element, { scrollWheelZoom: false }).setView([lat, lng], 16);
    window.L.tileLayer(element.dataset.tiles, {
      attribution: element.dataset.attribution,
      maxZoom: 19,
      // The tile server learns the site, never the page (a reservation link is a secret).
      referrerPolicy: "strict-origin"
    }).addTo(map);
    var label = document.createElement("strong");
    label.textContent = element.dataset.label;
    window.L.marker([lat, lng], { title: element.dataset.label, alt: element.dataset.label })
      .addTo(map)
      .bindPopup(label);
  });
})();
