"""Response headers every page carries: security, caching, variance on htmx.

Caching contract (README, "Shared cache"): a public page (``@public``) answered to a
visitor with no session is the same for every such visitor, so any cache may keep it
for ``SHARED_MAX_AGE`` seconds; everything else is ``private, no-cache``.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request, session

from web.config import ConfigError
from web.public_pages import for_everyone

CSP_TEMPLATE = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:{tiles}",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",  # no page has a <base>: none may be injected (ASVS 5.0 3.4.3)
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def tile_source(url: str) -> str:
    """The CSP source for a tile URL template: its origin, "{s}" subdomains as "*."; ""
    for none or a same-origin path ('self' covers it)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = parts.netloc.replace("{s}", "*")
    if "{" in host or "}" in host or "*" in host[1:]:
        raise ConfigError(f"KOPZ_MAP_TILES_URL: only a leading {{s}} may vary in the host, not {parts.netloc!r}")
    return f"{parts.scheme}://{host}"


@lru_cache(maxsize=8)
def csp(tiles_url: str = "") -> str:
    """The Content-Security-Policy, with the map's tile server as the only outside image source."""
    source = tile_source(tiles_url)
    return CSP_TEMPLATE.format(tiles=f" {source}" if source else "")


# A minute: a new product, a price or a verified koperasi shows within a minute and a half
# (stale-while-revalidate lets a cache answer at once while it fetches the next copy),
# which is the lag a public page already accepts (it may be read from a replica); stock
# and prices are checked again when the cart and the order are made. At 32 requests a
# second for one page, one in about 2,000 reaches the app.
SHARED_MAX_AGE = 60
SHARED_STALE = 30
SHARED_CACHE = f"public, max-age={SHARED_MAX_AGE}, stale-while-revalidate={SHARED_STALE}"
PRIVATE_CACHE = "private, no-cache"


def shareable(response: Response) -> bool:
    """May any cache keep this answer? Only a public page's 200 for a visitor who has no
    session and got none: then nothing in it is about a person (no flash, no CSRF token,
    no logged-in header), since writing any of those writes the session."""
    return (response.status_code == 200 and for_everyone()
            and not session and not session.modified and "Set-Cookie" not in response.headers)


def cross_site() -> bool:
    """Was this request sent by a page of another site? The browser says so (Fetch
    Metadata; else the Origin's host), whatever that site's referrer policy."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc != request.host


# The phone's location for "nearest" (static/js/kopz.js) and the camera for the RAT check-in's QR scan
# (static/js/checkin.js), both for our own pages only; nothing else asks for a device.
PERMISSIONS_POLICY = "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()"
# A year, subdomains included (ASVS 5.0 3.4.1 at level 2: no host under ours is ever served over plain
# http); only ever sent over https (a browser ignores it over http, and a plain-http development server
# must not be pinned). Pages here, static files in web/media.py, nginx's own files in deploy/nginx.conf.template.
HSTS = "max-age=31536000; includeSubDomains"


def cookie(name: str) -> str:
    """A cookie's name as the app sets and reads it: "__Host-" prefixed in production (web/config.py)."""
    return current_app.config["COOKIE_PREFIX"] + name


def every_answer(tiles_url: str = "") -> dict[str, str]:
    """The headers every answer carries, pages and static files alike: WhiteNoise's files (web/assets.py)
    and nginx's (deploy/nginx.py) get the same as the app's pages."""
    return {
        "Content-Security-Policy": csp(tiles_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",  # Flask-WTF checks the Referer over HTTPS
        "X-Frame-Options": "DENY",
        "Permissions-Policy": PERMISSIONS_POLICY,
    }


def _headers(response: Response) -> Response:
    h = response.headers
    for name, value in every_answer(current_app.config.get("MAP_TILES_URL", "")).items():
        h.setdefault(name, value)
    if response.mimetype == "text/html":
        # A fragment never answers for a page: the response varies on the htmx headers.
        # The language comes from the account, else the "lang" cookie, else Accept-Language
        # (web/i18n.py): Cookie covers the first two, a shared page names the third.
        if "Cache-Control" not in h and shareable(response):
            h["Cache-Control"] = SHARED_CACHE
            response.vary.add("Accept-Language")
            response.vary.add("HX-History-Restore-Request")  # the whole page, whatever HX-Target says
        # Anything else is fresh every time (the service worker keeps the offline copy).
        h.setdefault("Cache-Control", PRIVATE_CACHE)
        response.vary.add("HX-Request")
        response.vary.add("HX-Target")
        response.vary.add("Cookie")
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    csp(app.config.get("MAP_TILES_URL", ""))  # a tile URL the policy cannot name stops the start
    app.after_request(_headers)
