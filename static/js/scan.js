/* The pay page's "Scan the QR" button: shown only where the browser has a camera and
   BarcodeDetector (progressive enhancement). A code of one of our /pay/<code> links opens
   that page; anything else says so. Without it, the phone's camera app or the typed code
   reach the same page. */
(function () {
  "use strict";
  var button = document.getElementById("scan");
  var video = document.getElementById("scan-video");
  var box = document.getElementById("scanner");
  if (!button || !video || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  button.hidden = false;

  function say(message) {
    var old = box.querySelector(".flash");
    if (old) old.remove();
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    box.appendChild(p);
  }

  function ours(text) {
    try {
      var url = new URL(text, location.href);
      return url.origin === location.origin && /^\/pay\/[A-Za-z0-9]+$/.test(url.pathname) ? url.pathname : null;
    } catch (e) { return null; }
  }

  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      button.disabled = true;
      var tries = 0;
      function stop() {
        stream.getTracks().forEach(function (t) { t.stop(); });
        video.hidden = true;
        button.disabled = false;
      }
      function look() {
        detector.detect(video).then(function (codes) {
          var found = codes.length ? ours(codes[0].rawValue) : null;
          if (found) { stop(); location.assign(found); return; }
          if (codes.length || ++tries > 150) { stop(); say(box.dataset.msgNone); return; }
          setTimeout(look, 200);
        }, function () { stop(); say(box.dataset.msgNone); });
      }
      video.play().then(look, look);
    }, function () { say(box.dataset.msgDenied); });
  });
})();
