"""Response headers every page carries: security, caching, variance on htmx."""

from __future__ import annotations

from flask import Flask, Response, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob: https://tile.openstreetmap.org",
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


def _headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
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
    app.after_request(_headers)
