/* Kopz: the little JavaScript the pages use. Everything works without it. */
(function () {
  "use strict";

  // Flask-WTF reads the CSRF token from this header on htmx requests.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers["X-CSRFToken"] = meta.content;
  });

  // hx-boost swaps the body and keeps the first page's <head>. The public pages an
  // anonymous visitor gets carry no token (shared caches keep them), so a boosted
  // page that has one (the login page, any page after login) brings it along.
  var TOKEN = /<meta name="csrf-token" content="([^"]+)">/;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var found = event.detail.boosted && TOKEN.exec(event.detail.serverResponse || "");
    if (!found) return;
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (!meta) {
      meta = document.createElement("meta");
      meta.name = "csrf-token";
      document.head.appendChild(meta);
    }
    meta.content = found[1];
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

  // A refused form (422) comes back with its messages, but a boosted page starts at the top: on a
  // phone the message of a form lower down (add an account, reject, refund) is out of sight. Bring
  // the first one into view once htmx has done its own scrolling.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail.xhr || event.detail.xhr.status !== 422) return;
    setTimeout(function () {
      var first = document.querySelector('.error-summary, .flash-error, [aria-invalid="true"]');
      if (!first) return;
      var box = first.getBoundingClientRect();  // already in sight (above the bottom bar): leave the page still
      if (box.top >= 0 && box.bottom <= window.innerHeight - 80) return;
      first.scrollIntoView({ block: "center" });
    }, 0);
  });

  // ---- Maps (koperasi directory and profile). Leaflet is fetched only when a page
  // has a map, from the URLs the map element names; markers and the tile server (the
  // MAP_TILES_URL setting) come from data attributes.
  var leafletLoading = null;

  function withLeaflet(box, done) {
    if (window.L) { done(); return; }
    if (!leafletLoading) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = box.dataset.leafletCss;
      // Leaflet finds its marker pictures through its stylesheet: draw only once that is in,
      // or the markers ask for /k/marker-icon.png (404) when the script arrives first.
      var styled = new Promise(function (resolve) { css.onload = resolve; css.onerror = resolve; });
      document.head.appendChild(css);
      leafletLoading = Promise.all([styled, new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = box.dataset.leafletJs;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      })]);
    }
    leafletLoading.then(done, function () { /* no map offline: the list below still works */ });
  }

  function drawMap(box) {
    if (box.dataset.ready || !box.dataset.tiles) return;
    box.dataset.ready = "1";
    var markers;
    try { markers = JSON.parse(box.dataset.markers || "[]"); } catch (e) { markers = []; }
    withLeaflet(box, function () {
      var L = window.L;
      var map = L.map(box, { scrollWheelZoom: false });
      L.tileLayer(box.dataset.tiles, { maxZoom: 19, attribution: box.dataset.attribution }).addTo(map);
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
    // The books' Print button: shown with JavaScript, in place of the hint to use the browser's menu.
    document.querySelectorAll("[data-print]").forEach(function (print) { print.hidden = false; });
    document.querySelectorAll("[data-print-hint]").forEach(function (hint) { hint.hidden = true; });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

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
      // Logging out (Clear-Site-Data) while a registration runs aborts it: the next page registers again.
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    });
  }
})();

// ---- Offline stock (seller page). Every form[data-offline-stock] still posts normally
// without JavaScript. With it, a tap on −/+ or "set" is applied to the row at once,
// queued in IndexedDB (db "kopz", store "stock-queue") with a fresh key, and sent to
// /seller/stock-sync whenever the phone is online. An item leaves the queue only once
// the server has answered for its key, and the key makes a resend change nothing
// more: no change is lost, none is applied twice. Logout's Clear-Site-Data also
// clears this queue (changes not yet sent by then are dropped, by design: the next
// person on the phone must not send them).
// The queue applies on top of the newest stock the phone has seen: the page's number
// (data-stock, as of data-stock-at) or the server's answer to a sync (store
// "stock-seen"), whichever is newer. A page the worker kept while offline is older
// than what the phone saw afterwards.
// IndexedDB is opened only where it serves: on a page with stock forms, or on any page
// while changes wait to be sent (a flag in localStorage, "kopz-stock-queued", says so;
// logout's Clear-Site-Data clears it with the queue). Other pages and visitors never open it.
(function () {
  "use strict";
  if (!("indexedDB" in window) || !window.fetch) return;
  var STORE = "stock-queue", SEEN = "stock-seen", FLAG = "kopz-stock-queued";
  var dbPromise = null;
  var flushing = false, again = false, retry = null;

  function flag(on) {
    try {
      if (on) localStorage.setItem(FLAG, "1"); else localStorage.removeItem(FLAG);
    } catch (e) { /* no localStorage (some private modes): only stock pages send the queue */ }
  }

  function waiting() {
    try { return localStorage.getItem(FLAG) === "1"; } catch (e) { return false; }
  }

  // Is there anything for this page to do with the queue?
  function needed() {
    return !!document.querySelector("form[data-offline-stock]") || waiting();
  }

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open("kopz", 2);
        req.onupgradeneeded = function () {
          if (!req.result.objectStoreNames.contains(STORE)) {
            req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
          }
          if (!req.result.objectStoreNames.contains(SEEN)) {
            req.result.createObjectStore(SEEN, { keyPath: "product_id" });
          }
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }

  function tx(mode, work, name) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(name || STORE, mode);
        var out = work(t.objectStore(name || STORE));
        t.oncomplete = function () { resolve(out && "result" in out ? out.result : undefined); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function queued() { return tx("readonly", function (s) { return s.getAll(); }); }

  // {product_id: {stock, at}}: the newest the server told this phone.
  function seenAll() {
    return tx("readonly", function (s) { return s.getAll(); }, SEEN).then(function (rows) {
      var out = {};
      (rows || []).forEach(function (r) { out[r.product_id] = r; });
      return out;
    });
  }

  function remember(seen) {
    if (!seen || !seen.length) return Promise.resolve();
    return tx("readwrite", function (s) {
      seen.forEach(function (r) {
        if (typeof r.stock !== "number" || typeof r.at !== "number") return;
        var get = s.get(r.product_id);
        get.onsuccess = function () {
          if (!get.result || get.result.at < r.at) s.put({ product_id: r.product_id, stock: r.stock, at: r.at });
        };
      });
    }, SEEN);
  }

  // The base for the queue: the page's number, or a newer one the phone has seen since.
  function base(form, seen) {
    var mine = seen && seen[Number(form.dataset.productId)];
    if (mine && mine.at > Number(form.dataset.stockAt || 0)) {
      form.dataset.stock = String(mine.stock);
      form.dataset.stockAt = String(mine.at);
    }
    return Number(form.dataset.stock);
  }

  function freshKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function formsFor(productId) {
    return document.querySelectorAll('form[data-offline-stock][data-product-id="' + productId + '"]');
  }

  function apply(stock, item) {
    return item.set_to !== undefined ? item.set_to : stock + item.delta;
  }

  function note(form, text, alert) {
    var box = form.querySelector(".stock-state");
    if (!text) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("span");
      box.className = "stock-state";
      form.appendChild(box);
    }
    box.setAttribute("role", alert ? "alert" : "status");
    box.classList.toggle("stock-refused", !!alert);
    box.textContent = text;
  }

  // The row shows the server's stock with the queued changes applied on top.
  function paint(form, items, seen) {
    var id = Number(form.dataset.productId);
    var stock = base(form, seen);
    var mine = items.filter(function (i) { return i.product_id === id; });
    mine.forEach(function (i) { stock = apply(stock, i); });
    var out = form.querySelector(".stock-count");
    if (out) out.textContent = String(stock);
    var state = form.querySelector(".stock-state");
    if (mine.length) note(form, document.body.dataset.msgWaiting, false);
    else if (state && !state.classList.contains("stock-refused")) note(form, "");
  }

  function paintAll() {
    var forms = document.querySelectorAll("form[data-offline-stock]");
    if (!forms.length) return Promise.resolve();
    return Promise.all([queued(), seenAll()]).then(function (both) {
      forms.forEach(function (f) { paint(f, both[0], both[1]); });
    });
  }

  function flush() {
    if (flushing) { again = true; return; }
    if (!navigator.onLine || !needed()) return;
    flushing = true;
    clearTimeout(retry);
    queued().then(function (items) {
      if (!items.length) { flag(false); return null; }
      var meta = document.querySelector('meta[name="csrf-token"]');
      return fetch("/seller/stock-sync", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json",
                   "X-CSRFToken": meta ? meta.content : "" },
        body: JSON.stringify({ changes: items.map(function (i) {
          var c = { product_id: i.product_id, key: i.key };
          if (i.set_to !== undefined) c.set_to = i.set_to; else c.delta = i.delta;
          return c;
        }) }),
      }).then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!response.ok || response.redirected || !json) throw new Error("not sent");
        return response.json();
      }).then(function (answer) {
        return remember(answer.seen).then(function () { return settle(items, answer.results || []); });
      });
    }).catch(function () {
      retry = setTimeout(flush, 30000);  // offline again, logged out or a stale token: keep it all
    }).then(function () {
      flushing = false;
      if (again) { again = false; flush(); }
    });
  }

  // Remove each answered item from the queue; show the server's stock or its refusal.
  function settle(items, results) {
    var byKey = {};
    items.forEach(function (i) { byKey[i.key] = i; });
    var refused = {};
    return tx("readwrite", function (s) {
      results.forEach(function (r) {
        var item = byKey[r.key];
        if (!item) return;
        s.delete(item.id);
        formsFor(item.product_id).forEach(function (form) {
          if (typeof r.stock === "number") form.dataset.stock = String(r.stock);
        });
        if (!r.ok) refused[item.product_id] = r.error;
      });
    }).then(function () { return Promise.all([queued(), seenAll()]); }).then(function (both) {
      if (!both[0].length) flag(false);
      document.querySelectorAll("form[data-offline-stock]").forEach(function (form) {
        var error = refused[Number(form.dataset.productId)];
        if (error !== undefined) note(form, document.body.dataset.msgRefused + " " + error, true);
        paint(form, both[0], both[1]);
      });
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-offline-stock]") || form.dataset.offlinePlain) return;
    var button = event.submitter;
    var item = { product_id: Number(form.dataset.productId), key: freshKey(), at: Date.now() };
    var field = form.elements.set_to;
    var raw = field ? field.value.replace(/\./g, "").trim() : "";
    // As the server reads it: a typed number (Enter in the box) or "set" sets; −/+ add.
    if (button && button.name === "delta" && raw === "") {
      item.delta = parseInt(button.value, 10);
      if (!item.delta) return;
    } else {
      if (!/^\d{1,7}$/.test(raw)) return;  // not a stock number: the server's form answers
      item.set_to = parseInt(raw, 10);
      field.value = "";
    }
    event.preventDefault();
    event.stopPropagation();  // in the capture phase: htmx never sees this submit
    var out = form.querySelector(".stock-count");
    var shown = out ? parseInt(out.textContent, 10) : NaN;
    if (item.delta !== undefined && !isNaN(shown) && shown + item.delta < 0) return;
    note(form, "");
    tx("readwrite", function (s) { s.add(item); })
      .then(function () { flag(true); })
      .then(paintAll)
      .then(flush, function () {  // no IndexedDB (some private modes): post it the normal way
        form.dataset.offlinePlain = "1";
        form.requestSubmit(button);
      });
  }, true);

  window.addEventListener("online", flush);
  document.addEventListener("htmx:afterSettle", function () { paintAll(); });
  function start() {
    if (document.querySelector("form[data-offline-stock]")) paintAll().then(flush);
    else flush();  // opens nothing unless changes wait to be sent
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
