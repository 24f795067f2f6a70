/* E-voting receipts, kept on this phone: the receipt page stores the code (per koperasi
   and proposal) in localStorage; the ballot page shows it again, the published list fills
   the search box with it. Without JavaScript the receipt page asks to write it down. */
(function () {
  "use strict";

  function store() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function scan() {
    var box = store();
    if (!box) return;
    document.querySelectorAll("[data-receipt-key][data-receipt]").forEach(function (el) {
      try {
        box.setItem(el.dataset.receiptKey, el.dataset.receipt);
        var kept = document.getElementById("receipt-kept");
        var write = document.getElementById("receipt-write");
        if (kept) kept.hidden = false;
        if (write) write.hidden = true;
      } catch (e) { /* storage full or refused: the page says to write it down */ }
    });
    document.querySelectorAll("[data-receipt-show]").forEach(function (el) {
      var code = box.getItem(el.dataset.receiptShow);
      if (!code) return;
      el.querySelector(".receipt-code").textContent = code;
      el.hidden = false;
    });
    document.querySelectorAll("[data-receipt-fill]").forEach(function (input) {
      var code = box.getItem(input.dataset.receiptFill);
      if (code && !input.value) input.value = code;
    });
  }

  scan();
})();
