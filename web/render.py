"""Render a page, or just the block of it that htmx asked for.

A block's name is the id of the element it fills: an htmx request whose
``HX-Target`` names a block of the template gets that block alone, anything else
(a normal request, a boosted navigation, a history restore) the whole page. So a
page and its fragments are one template and cannot drift apart. Boosted navigation
gets the whole document on purpose: the service worker keeps it as the offline
copy of that page without a second download.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, make_response, redirect, render_template, request
from jinja2_fragments.flask import render_block

FRAGMENT_HEADER = "Kopz-Fragment"  # marks a response that is not a whole page


def htmx_target() -> str | None:
    """The id htmx will swap into, or None for a whole-page request."""
    if not request.htmx or request.htmx.history_restore_request:
        return None
    return request.htmx.target


def render(template: str, status: int = 200, **context):
    """The page, or the block named by HX-Target; status 422 for a form with errors.

    Answering a POST (a form shown again with its errors), the address bar stays
    where the form was."""
    target = htmx_target()
    if target and target in current_app.jinja_env.get_template(template).blocks:
        response = make_response(render_block(template, target, **context), status)
        response.headers[FRAGMENT_HEADER] = target
    else:
        response = make_response(render_template(template, **context), status)
    if request.htmx and request.method != "GET":
        # A boosted form would push its POST URL: reloading it, or going back to it, would
        # ask for a page that only answers POST. The address bar stays on the form's page.
        response.headers["HX-Push-Url"] = "false"
    return response


def see_other(url: str):
    """After a successful POST: 303 to the next page; a swapped fragment makes the
    browser load it instead (htmx would otherwise swap a whole page into the form)."""
    if htmx_target():
        return make_response("", 204, {"HX-Redirect": url})
    return redirect(url, 303)


def safe_next(url: str | None, default: str = "/") -> str:
    """A redirect target on this site only: a path, never another host."""
    if not url or any(ord(c) < 32 or ord(c) == 127 for c in url):  # urlsplit drops CR/LF/tab silently
        return default
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return default
    return url
