/* Kopz service worker. Static files: cache-first (their names carry a content hash).
   Pages: network-first, falling back to the copy kept from an earlier visit, then to
   /offline. Never kept: anything but GET, fragments (Kopz-Fragment header), and
   koperasi-office or admin pages, which hold other people's data (except the teller's offline
   collection page, which holds only what collecting needs: models/offline.py), nor the notification
   list (stale at once, and private: it is also sent no-store). Logout clears it
   all (Clear-Site-Data). */
const VERSION = {{ version|tojson }};
const STATIC_CACHE = "kopz-static-" + VERSION;
const PAGE_CACHE = "kopz-pages-" + VERSION;
const OFFLINE_URL = "/offline";
const PRECACHE = {{ precache|tojson }};
const ICON = {{ icon|tojson }};
const BADGE = ICON;
const PRIVATE = [/^\/k\/[^/]+\/office(\/|$)/, /^\/admin(\/|$)/, /^\/logout$/, /^\/notifications(\/|$)/];
const KEPT_OFFICE = /^\/k\/[^/]+\/office\/teller\/offline$/;  // the teller's offline collection page

function isPrivate(url) {
  return !KEPT_OFFICE.test(url.pathname) && PRIVATE.some((rx) => rx.test(url.pathname));
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    Promise.all([
      caches.open(STATIC_CACHE).then((c) => c.addAll(PRECACHE)),
      // Without cookies: the offline page is everyone's, and an answer to this background request
      // must never set the session cookie (it would undo a login page's CSRF token loaded meanwhile).
      caches.open(PAGE_CACHE).then((c) => c.add(new Request(OFFLINE_URL, { credentials: "omit" }))),
    ]).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k !== STATIC_CACHE && k !== PAGE_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

function keepable(url, response) {
  return response.ok && response.type === "basic" &&
    !response.headers.has("Kopz-Fragment") &&
    (response.headers.get("Content-Type") || "").startsWith("text/html") &&
    !(response.headers.get("Cache-Control") || "").includes("no-store") &&
    !isPrivate(url);
}

async function staticFirst(request) {
  const cached = await caches.match(request, { ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(STATIC_CACHE)).put(request, response.clone());
  return response;
}

async function pageNetworkFirst(request, url) {
  const fragment = request.headers.get("HX-Request") && !request.headers.get("HX-Boosted");
  try {
    const response = await fetch(request);
    if (keepable(url, response)) (await caches.open(PAGE_CACHE)).put(url.href, response.clone());
    return response;
  } catch (error) {
    // A fragment has no offline copy: htmx reports the failure and keeps the page.
    if (fragment) return Response.error();
    const kept = isPrivate(url)
      ? null : await caches.match(url.href, { ignoreVary: true, cacheName: PAGE_CACHE });
    return kept || (await caches.match(OFFLINE_URL, { ignoreVary: true })) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname === "/sw.js") return;
  // Static files and product photos carry a version in their name: kept once, never stale.
  if (url.pathname.startsWith("/static/") || url.pathname.startsWith("/media/")) {
    event.respondWith(staticFirst(request));
  } else if (request.mode === "navigate" || request.headers.get("HX-Request")) {
    event.respondWith(pageNetworkFirst(request, url));
  }
});

// ---- Web Push: the server sends {title, body, url} (web/push.py); a tap opens url on this site.
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = { body: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "Kopz", {
    body: data.body || "",
    data: { url: data.url || "/notifications" },
    icon: ICON,
    badge: BADGE,
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  let target = new URL((event.notification.data && event.notification.data.url) || "/notifications", self.location.origin);
  if (target.origin !== self.location.origin) target = new URL("/notifications", self.location.origin);
  event.waitUntil((async () => {
    const open = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of open) {
      if (new URL(client.url).origin !== self.location.origin) continue;
      try {
        const focused = await client.focus();
        return focused.url === target.href ? focused : await focused.navigate(target.href);
      } catch (error) {
        break;  // a page this worker does not control cannot be sent elsewhere: open a window
      }
    }
    return self.clients.openWindow(target.href);
  })());
});
