"""Public pages: what anyone may see, the same for every anonymous visitor.

A view marked ``@public`` promises that, for a visitor who is not logged in, its GET
answer depends only on the URL and the language, and that it may be read from data a
few seconds old. ``is_public()`` is the one question the rest of the app asks about
it (the response headers: may a shared cache keep it; the database: may it read from
a replica that lags).
"""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

MARK = "kopz_public_page"


def public(view):
    """Mark a view as a public page (see the module docstring)."""
    setattr(view, MARK, True)
    return view


def is_public() -> bool:
    """Is this request a GET (or HEAD) of a view marked ``@public``?"""
    if request.method not in ("GET", "HEAD") or request.endpoint is None:
        return False
    return bool(getattr(current_app.view_functions.get(request.endpoint), MARK, False))


def for_everyone() -> bool:
    """Is this the page every anonymous visitor gets (a public page, nobody logged in)?
    Then it holds nothing about the visitor, not even a CSRF token (writing one starts
    a session): a form that needs a token is offered after login."""
    return is_public() and not current_user.is_authenticated
