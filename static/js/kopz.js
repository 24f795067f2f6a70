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

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" });
    });
  }
})();
