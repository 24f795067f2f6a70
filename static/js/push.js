/* Kopz: push on this phone (the /notifications/settings page). Without JavaScript the page
   says push needs it; the kinds form works either way. With it: ask the user's permission,
   subscribe through the service worker with the server's VAPID key, and send the
   subscription (CSRF in the X-CSRFToken header, as for htmx). */
(function () {
  "use strict";

  function box() { return document.getElementById("push-device"); }

  function say(el, name) {
    var state = el.querySelector("[data-push-state]");
    if (state) state.textContent = el.dataset["msg" + name] || name;
  }

  function show(el, on) {
    el.querySelector("[data-push-on]").hidden = on;
    el.querySelector("[data-push-off]").hidden = !on;
  }

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window && window.isSecureContext;
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function sameKey(sub, key) {
    var mine = sub.options && sub.options.applicationServerKey;
    if (!mine) return true;
    var a = new Uint8Array(mine);
    return a.length === key.length && a.every(function (b, i) { return b === key[i]; });
  }

  function post(url, body) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": meta ? meta.content : "" },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok) throw new Error(answer.error || response.status);
        return answer;
      });
    });
  }

  // A phone on a bad network (or a browser without a push service) may never answer:
  // after this long the page says it failed instead of waiting forever.
  var WAIT_MS = 20000;

  function inTime(promise) {
    return Promise.race([promise, new Promise(function (resolve, reject) {
      setTimeout(function () { reject(new Error("timeout")); }, WAIT_MS);
    })]);
  }

  function registration() {
    return navigator.serviceWorker.getRegistration("/").then(function (reg) {
      return reg || navigator.serviceWorker.register("/sw.js", { scope: "/" });
    }).then(function () { return inTime(navigator.serviceWorker.ready); });
  }

  function turnOn(el) {
    say(el, "Working");
    var key = keyBytes(el.dataset.pushKey);
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { say(el, "Denied"); show(el, false); return null; }
      return registration().then(function (reg) {
        return reg.pushManager.getSubscription().then(function (old) {
          // A subscription made with an older server key cannot be used: make a new one.
          if (old && !sameKey(old, key)) return old.unsubscribe().then(function () { return null; });
          return old;
        }).then(function (old) {
          return old || inTime(reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }));
        });
      }).then(function (sub) {
        return post(el.dataset.subscribeUrl, sub.toJSON());
      }).then(function () { say(el, "On"); show(el, true); });
    }).catch(function (error) {
      var state = el.querySelector("[data-push-state]");
      say(el, "Failed");
      if (error && error.message && state) state.textContent += " (" + error.message + ")";
      show(el, false);
    });
  }

  function turnOff(el) {
    say(el, "Working");
    registration().then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      if (!sub) return null;
      return post(el.dataset.unsubscribeUrl, { endpoint: sub.endpoint })
        .catch(function () { return null; })  // not known to the server: still stop it here
        .then(function () { return sub.unsubscribe(); });
    }).then(function () { say(el, "Off"); show(el, false); }, function () { say(el, "Failed"); });
  }

  function start() {
    var el = box();
    if (!el || el.dataset.pushReady) return;
    el.dataset.pushReady = "1";
    if (!supported()) { say(el, "Unsupported"); return; }
    if (Notification.permission === "denied") { say(el, "Denied"); show(el, false); return; }
    navigator.serviceWorker.getRegistration("/").then(function (reg) {
      return reg ? reg.pushManager.getSubscription() : null;
    }).then(function (sub) {
      if (sub && Notification.permission === "granted") {
        // Tell the server again: it may have dropped it, or another account used this phone since.
        return post(el.dataset.subscribeUrl, sub.toJSON()).then(function () { say(el, "On"); show(el, true); });
      }
      say(el, "Off");
      show(el, false);
    }).catch(function () { say(el, "Off"); show(el, false); });
  }

  if (!window.kopzPush) {
    window.kopzPush = true;
    document.addEventListener("click", function (event) {
      var on = event.target.closest && event.target.closest("[data-push-on]");
      var off = event.target.closest && event.target.closest("[data-push-off]");
      if (on) turnOn(box());
      else if (off) turnOff(box());
    });
    document.addEventListener("htmx:afterSettle", start);
    // "Saved" speaks of the boxes as they were saved: a change makes it stale.
    document.addEventListener("change", function (event) {
      var form = event.target.closest && event.target.closest("#kinds_form");
      var saved = form && form.querySelector(".push-saved");
      if (saved) saved.remove();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
