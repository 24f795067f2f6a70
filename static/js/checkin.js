/* RAT check-in: scan the member card's QR with the phone camera where the browser has
   BarcodeDetector (Chrome on Android); the typed member number works everywhere else. */
(function () {
  "use strict";
  function start() {
    var box = document.querySelector("[data-scanner]");
    var form = document.querySelector("[data-checkin-form]");
    if (!box || !form || box.dataset.ready) return;
    box.dataset.ready = "1";
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
    box.hidden = false;
    var video = box.querySelector("[data-scan-video]");
    var status = box.querySelector("[data-scan-status]");
    var input = form.querySelector("input[name=card]");
    box.querySelector("[data-scan-start]").addEventListener("click", function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (stream) {
          video.srcObject = stream;
          video.hidden = false;
          video.play();
          var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; };
          var look = function () {
            if (!document.body.contains(video)) { stop(); return; }
            detector.detect(video).then(function (codes) {
              if (codes.length) {
                stop();
                input.value = codes[0].rawValue;
                form.requestSubmit ? form.requestSubmit() : form.submit();
              } else {
                window.setTimeout(look, 250);
              }
            }).catch(function () { window.setTimeout(look, 500); });
          };
          look();
        })
        .catch(function () { status.textContent = box.dataset.denied || ""; });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
  document.addEventListener("htmx:load", start);
})();
