/* Map picker for a latitude/longitude pair (see guichet.core.widgets.CoordinatesMapWidget).
   The two inputs stay the source of truth: without Leaflet the map stays hidden and they are
   typed by hand. */
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  if (typeof window.L === "undefined") {
    return;
  }
  document.querySelectorAll(".coordinates-map").forEach(function (element) {
    const latInput = document.getElementById(element.dataset.latitudeInput);
    const lngInput = document.getElementById(element.dataset.longitudeInput);
    if (!latInput || !lngInput) {
      return;
    }
    element.hidden = false;

    function typedPosition() {
      const lat = parseFloat(latInput.value);
      const lng = parseFloat(lngInput.value);
      if (isNaN(lat) || isNaN(lng) || Math.abs(lat) > 90 || Math.abs(lng) > 180) {
        return null;
      }
      return L.latLng(lat, lng);
    }

    const center = element.dataset.center.split(",").map(parseFloat);
    const start = typedPosition();
    const map = L.map(element).setView(start || center, start ? 16 : parseInt(element.dataset.zoom, 10));
    L.tileLayer(element.dataset.tileUrl, {
      attribution: element.dataset.attribution,
      maxZoom: 19,
    }).addTo(map);

    const icon = L.icon({
      iconUrl: element.dataset.icon,
      iconRetinaUrl: element.dataset.iconRetina,
      shadowUrl: element.dataset.shadow,
      iconSize: [25, 41],
      iconAnchor: [12, 41],
      shadowSize: [41, 41],
    });
    let marker = null;

    function placeMarker(latlng) {
      if (marker) {
        marker.setLatLng(latlng);
        return;
      }
      marker = L.marker(latlng, { icon: icon, draggable: true, keyboard: false }).addTo(map);
      marker.on("dragend", function () {
        fillInputs(marker.getLatLng());
      });
    }

    function fillInputs(latlng) {
      const wrapped = latlng.wrap(); // a click on a repeated world copy gives |longitude| > 180
      latInput.value = wrapped.lat.toFixed(6);
      lngInput.value = wrapped.lng.toFixed(6);
    }

    if (start) {
      placeMarker(start);
    }
    map.on("click", function (event) {
      placeMarker(event.latlng.wrap());
      fillInputs(event.latlng);
    });
    [latInput, lngInput].forEach(function (input) {
      input.addEventListener("input", function () {
        const position = typedPosition();
        if (position) {
          placeMarker(position);
          map.panTo(position);
        }
      });
    });
  });
});
