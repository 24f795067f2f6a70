/* Kopz: the little JavaScript the pages use. Everything works without it. */
(function () {
  "use strict";

  // Flask-WTF reads the CSRF token from this header on htmx requests.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers["X-CSRFToken"] = meta.content;
  });

  function toast(message) {
    var old = document.querySelector(".toast");
    if (old) old.remove();
    var box = document.createElement("p");
    box.className = "toast";
    box.setAttribute("role", "alert");
    box.textContent = message;
    document.body.appendChild(box);
    setTimeout(function () { box.remove(); }, 6000);
  }

  // Never leave the user with a silent failure.
  document.addEventListener("htmx:sendError", function () {
    toast(document.body.dataset.msgOffline);
  });
  document.addEventListener("htmx:responseError", function (event) {
    // The server's error page or fragment is swapped in; a toast covers a response with no body.
    if (!event.detail.xhr.responseText) toast(document.body.dataset.msgError);
  });

  // ---- Maps (koperasi directory and profile). Leaflet is fetched only when a page
  // has a map, from the URLs the map element names; markers come from a data attribute.
  var TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
  var leafletLoading = null;

  function withLeaflet(box, done) {
    if (window.L) { done(); return; }
    if (!leafletLoading) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = box.dataset.leafletCss;
      document.head.appendChild(css);
      leafletLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = box.dataset.leafletJs;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    leafletLoading.then(done, function () { /* no map offline: the list below still works */ });
  }

  function drawMap(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "1";
    var markers;
    try { markers = JSON.parse(box.dataset.markers || "[]"); } catch (e) { markers = []; }
    withLeaflet(box, function () {
      var L = window.L;
      var map = L.map(box, { scrollWheelZoom: false });
      L.tileLayer(TILES, { maxZoom: 19, attribution: box.dataset.attribution }).addTo(map);
      var points = [];
      markers.forEach(function (m) {
        var marker = L.marker([m.lat, m.lng], { title: m.name, alt: m.name }).addTo(map);
        if (m.url) {
          var link = document.createElement("a");
          link.href = m.url;
          link.textContent = m.name;  // text, never HTML: names are user input
          marker.bindPopup(link);
        }
        points.push([m.lat, m.lng]);
      });
      if (points.length > 1) map.fitBounds(points, { padding: [24, 24], maxZoom: 15 });
      else if (points.length === 1) map.setView(points[0], Number(box.dataset.zoom) || 14);
      else map.setView([-2.5, 118], 4);  // all of Indonesia
    });
  }

  function scan() {
    document.querySelectorAll("#map[data-markers]").forEach(drawMap);
    var button = document.getElementById("nearest");
    if (button && "geolocation" in navigator) button.hidden = false;
  }

  // "Nearest to me": the browser's position fills the search form, which then submits.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#nearest");
    if (!button) return;
    var form = button.form;
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      button.disabled = false;
      form.elements.lat.value = pos.coords.latitude.toFixed(5);
      form.elements.lng.value = pos.coords.longitude.toFixed(5);
      form.requestSubmit();  // htmx listens for submit; without htmx it is a plain GET
    }, function () {
      button.disabled = false;
      toast(button.dataset.msgDenied);
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
  });

  document.addEventListener("htmx:afterSettle", scan);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" });
    });
  }
})();
