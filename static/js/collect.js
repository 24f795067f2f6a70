/* The offline teller (templates/teller/offline.html; the rules: models/offline.py). Without this
   script the page's form posts one collection at once. With it, a collection is checked against
   what the page knows (its members and their loans being repaid), given a provisional number
   ("P-<device>-<sequence>", not yet confirmed) and a one-time key, and kept in IndexedDB (database
   "kopz-teller") until the server has answered for it: sent in order when the page loads, when the
   signal returns, and on "Send now". The server posts each key once, so a resend changes nothing.
   A refused one stays on the page until the teller has settled it with the member. A session that
   ended keeps everything waiting and asks the teller to sign in again. Logout's Clear-Site-Data
   clears it all, as the page warns. */

// The cash count page (its koperasi's, data-slug) and the account page (all of them): how many
// collections still wait on this phone, not yet in the expected cash. On the account page, logging
// out while some wait asks first: logout's Clear-Site-Data erases them.
(function () {
  "use strict";
  var note = document.getElementById("collect-waiting");
  if (!note || !("indexedDB" in window)) return;
  var req = indexedDB.open("kopz-teller", 1);
  req.onupgradeneeded = function () { req.transaction.abort(); };  // never collected offline here: none wait
  req.onerror = function (event) { event.preventDefault(); };
  req.onsuccess = function () {
    var all = req.result.transaction("collections").objectStore("collections").getAll();
    all.onsuccess = function () {
      var n = all.result.filter(function (r) {
        return (!note.dataset.slug || r.slug === note.dataset.slug) && r.state === "waiting";
      }).length;
      var text = note.querySelector("[data-msg]");
      text.textContent = text.dataset.msg.replace("{n}", String(n)) + " ";
      note.hidden = n === 0;
      req.result.close();
      var logout = document.getElementById("logout-form");
      if (logout && n > 0) {
        logout.addEventListener("submit", function (event) {
          if (!window.confirm(logout.dataset.waitingConfirm)) event.preventDefault();
        });
      }
    };
  };
})();

(function () {
  "use strict";
  var box = document.getElementById("collect");
  var form = document.getElementById("collect-form");
  var raw = document.getElementById("collect-data");
  if (!box || !form || !raw || !("indexedDB" in window) || !window.fetch) return;
  var msg = box.dataset;
  var slug = msg.slug, user = Number(msg.user);
  var members = {};
  JSON.parse(raw.textContent).members.forEach(function (m) { members[m.number.toUpperCase()] = m; });
  var dbPromise = null, sending = false, again = false, retry = null;
  var posted = [];  // answered this visit: shown with their final receipt
  var recorded = "";  // the last collection recorded, said again beside what the sending does

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open("kopz-teller", 1);
        req.onupgradeneeded = function () {
          req.result.createObjectStore("collections", { keyPath: "key" });
          req.result.createObjectStore("meta", { keyPath: "name" });
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }

  function tx(stores, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(stores, mode);
        var out = work(t);
        t.oncomplete = function () { resolve(out && "result" in out ? out.result : out); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  // This koperasi's collections on this phone, oldest first.
  function mine() {
    return tx("collections", "readonly", function (t) { return t.objectStore("collections").getAll(); })
      .then(function (rows) {
        return (rows || []).filter(function (r) { return r.slug === slug; })
          .sort(function (a, b) { return a.seq - b.seq; });
      });
  }

  function say(text, placeholders) {
    return String(text).replace(/\{(\w+)\}/g, function (all, name) {
      return placeholders && name in placeholders ? placeholders[name] : all;
    });
  }

  function rupiah(n) { return "Rp" + String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "."); }

  function parseRupiah(text) {
    var t = String(text || "").trim().replace(/^rp\.?\s*/i, "").replace(/,-$/, "");
    if (!/^(\d{1,15}|\d{1,3}(\.\d{3}){1,4})$/.test(t)) return null;
    return parseInt(t.replace(/\./g, ""), 10);
  }

  function freshKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // The phone's own prefix (made once) and its next sequence number, in one transaction.
  function stamp(item) {
    return tx(["collections", "meta"], "readwrite", function (t) {
      var meta = t.objectStore("meta");
      var get = meta.get("device");
      get.onsuccess = function () {
        var device = get.result || { name: "device", prefix: "", seq: 0 };
        if (!device.prefix) {
          var letters = "23456789ABCDEFGHJKMNPQRSTUVWXYZ", bytes = new Uint8Array(4);
          crypto.getRandomValues(bytes);
          device.prefix = Array.prototype.map.call(bytes, function (b) { return letters[b % letters.length]; }).join("");
        }
        device.seq += 1;
        meta.put(device);
        item.seq = device.seq;
        item.provisional = "P-" + device.prefix + "-" + String(device.seq).padStart(4, "0");
        t.objectStore("collections").add(item);
      };
      return item;
    });
  }

  function line(item) {
    var li = document.createElement("li");
    var what = form.elements.what.querySelector('option[value="' + item.what + '"]');
    var text = item.provisional + " · " + item.number + " " + item.name + " · " +
      (what ? what.textContent : item.what) + (item.loan_name ? " (" + item.loan_name + ")" : "") + " · " + rupiah(item.amount);
    li.appendChild(document.createTextNode(text + " "));
    var state = document.createElement("span");
    li.appendChild(state);
    if (item.state === "refused") {
      state.className = "error";
      state.textContent = say(msg.msgRefused, { reason: item.reason });
      var settle = document.createElement("button");
      settle.type = "button";
      settle.className = "button small secondary";
      settle.textContent = msg.msgDismiss;
      settle.addEventListener("click", function () {
        tx("collections", "readwrite", function (t) { t.objectStore("collections").delete(item.key); }).then(paint);
      });
      li.appendChild(document.createElement("br"));
      li.appendChild(settle);
    } else if (item.state === "posted") {
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = say(msg.msgPosted, { receipt: item.receipt });
      state.appendChild(link);
    } else {
      state.className = "state state-due";
      state.textContent = item.user === user ? msg.msgUnconfirmed : msg.msgOther;
    }
    li.dataset.key = item.key;
    li.dataset.state = item.state;
    return li;
  }

  function paint() {
    return mine().then(function (rows) {
      var waiting = rows.filter(function (r) { return r.state === "waiting"; });
      document.getElementById("collect-count").textContent = say(msg.msgWaiting, { n: waiting.length });
      var list = document.getElementById("collect-queue");
      list.textContent = "";
      rows.concat(posted).forEach(function (r) { list.appendChild(line(r)); });
      return rows;
    });
  }

  function state(text) {
    document.getElementById("collect-state").textContent = (recorded ? recorded + " " : "") + (text || "");
  }

  function signIn() {
    var p = document.getElementById("collect-state");
    p.textContent = msg.msgSignin + " ";
    var a = document.createElement("a");
    a.href = msg.login;
    a.textContent = "→";
    p.appendChild(a);
  }

  function token() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function post(items) {
    return fetch(msg.send, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token() },
      body: JSON.stringify({ items: items.map(function (i) {
        return { key: i.key, provisional: i.provisional, member: i.member, what: i.what, loan: i.loan || null,
                 amount: i.amount, at: i.at };
      }) }),
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (response.ok && json && !response.redirected) return response.json();
      throw new Error("session");
    });
  }

  // A page kept from an earlier session holds an old token: take this session's from the page itself.
  function freshToken() {
    return fetch(location.pathname, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (!response.ok || response.redirected) throw new Error("session");
      return response.text().then(function (html) {
        var found = /<meta name="csrf-token" content="([^"]+)">/.exec(html);
        if (!found) throw new Error("session");
        document.querySelector('meta[name="csrf-token"]').content = found[1];
      });
    });
  }

  function settle(items, results) {
    var byKey = {};
    items.forEach(function (i) { byKey[i.key] = i; });
    return tx("collections", "readwrite", function (t) {
      var store = t.objectStore("collections");
      results.forEach(function (r) {
        var item = byKey[r.key];
        if (!item) return;
        if (r.status === "posted") {
          store.delete(item.key);
          item.state = "posted";
          item.receipt = r.receipt;
          item.url = r.url;
          posted.unshift(item);
        } else {
          item.state = "refused";
          item.reason = r.reason;
          store.put(item);
        }
      });
    });
  }

  function send() {
    if (sending) { again = true; return; }
    clearTimeout(retry);
    if (!navigator.onLine) { state(msg.msgOffline); return; }
    sending = true;
    var batch;
    mine().then(function (rows) {
      batch = rows.filter(function (r) { return r.state === "waiting" && r.user === user; }).slice(0, 50);
      if (!batch.length) return null;
      state(msg.msgSending);
      return post(batch).catch(function (error) {
        if (error.message !== "session") throw error;
        return freshToken().then(function () { return post(batch); });
      }).then(function (answer) {
        return settle(batch, answer.results || []).then(function () {
          again = again || batch.length === 50;
          recorded = "";
          state(msg.msgSent);
        });
      });
    }).catch(function (error) {
      if (error && error.message === "session") signIn();
      else { state(msg.msgOffline); retry = setTimeout(send, 30000); }
    }).then(function () {
      sending = false;
      return paint();
    }).then(function () {
      if (again) { again = false; send(); }
    });
  }

  // The loan list follows the member typed (without this script it lists every loan).
  function showLoans() {
    var member = members[(form.elements.member.value || "").trim().toUpperCase()];
    var select = form.elements.loan;
    select.textContent = "";
    var loans = member ? member.loans : [];
    if (loans.length !== 1) select.appendChild(new Option("—", ""));
    loans.forEach(function (l) {
      select.appendChild(new Option(l.name + " · " + rupiah(l.due) + " / " + rupiah(l.owed), String(l.id)));
    });
  }

  function refuse(name, text) {
    var input = form.elements[name];
    var wrap = input.closest(".field");
    var old = wrap.querySelector(".error");
    if (old) old.remove();
    wrap.classList.toggle("invalid", !!text);
    if (!text) { input.removeAttribute("aria-invalid"); return false; }
    var small = document.createElement("small");
    small.className = "error";
    small.setAttribute("role", "alert");
    small.textContent = text;
    wrap.appendChild(small);
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return true;
  }

  // What the server would refuse, as far as the page knows; null when it may be recorded.
  function check(member, what, amount, loan) {
    if (!member) return ["member", msg.msgMember];
    if (amount === null || amount <= 0 || amount > 10000000000) return ["amount", msg.msgAmount];
    if (member.status === "resigning" && what !== "repayment") return ["what", msg.msgResigned];
    if (what === "pokok" && member.status !== "approved") return ["what", msg.msgPokokOnce];
    if (what === "pokok" && amount !== member.pokok) return ["amount", say(msg.msgPokok, { amount: rupiah(member.pokok) })];
    if ((what === "wajib" || what === "sukarela") && member.status !== "active") return ["what", msg.msgInactive];
    if (what === "repayment" && !loan) return ["loan", msg.msgLoan];
    if (loan && amount > loan.owed) return ["amount", say(msg.msgTooMuch, { amount: rupiah(loan.owed) })];
    return null;
  }

  form.addEventListener("submit", function (event) {
    if (form.dataset.plain) return;  // no storage on this phone: the form posts as without this script
    event.preventDefault();
    ["member", "what", "loan", "amount"].forEach(function (name) { refuse(name, ""); });
    var member = members[(form.elements.member.value || "").trim().toUpperCase()];
    var what = form.elements.what.value;
    var amount = parseRupiah(form.elements.amount.value);
    var loan = null;
    if (member && what === "repayment") {
      var id = Number(form.elements.loan.value);
      loan = member.loans.filter(function (l) { return l.id === id; })[0] || null;
    }
    var refused = check(member, what, amount, loan);
    if (refused) { refuse(refused[0], refused[1]); return; }
    var item = { key: freshKey(), slug: slug, user: user, member: member.id, number: member.number, name: member.name,
                 what: what, loan: loan ? loan.id : null, loan_name: loan ? loan.name : "", amount: amount,
                 at: Date.now(), state: "waiting" };
    // Ready for the next member at once (the teller may type on before the phone has stored this one).
    var typedIn = [form.elements.member.value, form.elements.amount.value];
    form.elements.member.value = "";
    form.elements.amount.value = "";
    showLoans();
    form.elements.member.focus();
    stamp(item).then(function () {
      recorded = say(msg.msgRecorded, { number: item.provisional });
      state("");
      paint().then(send);
    }, function () {  // not stored (no storage on this phone): posted the way the page does without this script
      form.dataset.plain = "1";
      form.elements.member.value = typedIn[0];
      form.elements.amount.value = typedIn[1];
      showLoans();
      if (item.loan) form.elements.loan.value = String(item.loan);
      state(msg.msgStorage);
      form.requestSubmit();
    });
  });

  form.elements.member.addEventListener("change", showLoans);
  form.elements.member.addEventListener("input", showLoans);
  document.getElementById("collect-send").addEventListener("click", send);
  window.addEventListener("online", send);
  box.hidden = false;
  var plain = document.getElementById("collect-plain");
  if (plain) plain.hidden = true;
  showLoans();
  paint().then(send, function () { form.dataset.plain = "1"; box.hidden = true; if (plain) plain.hidden = false; });
})();
