"""The installable app: web manifest and service worker at the root scope."""

from __future__ import annotations

import hashlib

from flask import Blueprint, current_app, jsonify, render_template
from flask_babel import gettext as _

from web.assets import asset

bp = Blueprint("pwa", __name__)

THEME = "#0b6e4f"
# What the worker stores on install: enough to draw any page it has kept, offline.
PRECACHE = ["css/kopz.css", "js/kopz.js", "vendor/htmx-2.0.11.min.js", "icons/nav.svg",
            "icons/icon-192.png"]


@bp.get("/manifest.webmanifest")
def manifest():
    """Web app manifest: name, icons, colours, start URL."""
    icons = [
        {"src": asset("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": asset("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {"src": asset("icons/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png",
         "purpose": "maskable"},
    ]
    response = jsonify(
        id="/",
        name=_("Kopz: koperasi in your pocket"),
        short_name="Kopz",
        description=_(
            "Find and join koperasi near you, carry your member cards, see savings and loans, shop from fellow members."
        ),
        lang="id",
        dir="ltr",
        start_url="/?source=pwa",
        scope="/",
        display="standalone",
        orientation="portrait",
        theme_color=THEME,
        background_color="#ffffff",
        categories=["finance", "business", "shopping"],
        icons=icons,
    )
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker; its cache version follows the static files' hashes."""
    precache = [asset(name) for name in PRECACHE]
    names = current_app.extensions["kopz_assets"]
    version = hashlib.sha256("".join(sorted(names.values())).encode()).hexdigest()[:12]
    body = render_template("pwa/sw.js", version=version, precache=precache, icon=asset("icons/icon-192.png"))
    return body, 200, {
        "Content-Type": "application/javascript; charset=utf-8",
        "Cache-Control": "no-cache",
        "Service-Worker-Allowed": "/",
    }
