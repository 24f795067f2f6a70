"""Response headers every page carries: security, caching, variance on htmx."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

from web.config import ConfigError

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
        "base-uri 'self'",
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


def _headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", csp(current_app.config.get("MAP_TILES_URL", "")))
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")  # Flask-WTF checks the Referer over HTTPS
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Permissions-Policy", "geolocation=(self), camera=(self), microphone=()")
    if response.mimetype == "text/html":
        # Pages are fresh every time (the service worker keeps the offline copy), and a
        # fragment never answers for a page: the response varies on the htmx headers.
        h.setdefault("Cache-Control", "private, no-cache")
        response.vary.add("HX-Request")
        response.vary.add("HX-Target")
        response.vary.add("Cookie")
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    csp(app.config.get("MAP_TILES_URL", ""))  # a tile URL the policy cannot name stops the start
    app.after_request(_headers)
