"""Error pages in the user's language; an htmx request gets a small fragment.

The pages never depend on the database: when it is down (or SQLite is locked by
another writer past the busy timeout) the user gets the branded "busy, try again"
page in their language, rendered as for a visitor who is not logged in.
"""

from __future__ import annotations

import logging

from flask import Flask, g, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from web import database, replica, security_log
from web.extensions import login_manager
from web.render import FRAGMENT_HEADER, htmx_target

log = logging.getLogger(__name__)
MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("The page you are looking for does not exist or was moved.")),
    405: (_l("Not allowed"), _l("This action is not available here.")),
    413: (_l("File too large"), _l("The file you sent is too large.")),
    429: (_l("Too many attempts"), _l("Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("Our mistake. Nothing was saved; please try again in a moment.")),
    503: (_l("Busy right now"), _l("Kopz is busy. Nothing was saved; please try again in a moment.")),
}
CSRF_MESSAGE = (
    _l("Session expired"),
    _l("This page was open for too long. Reload the page and try again; nothing was saved."),
)


def _page(code: int, title, message):
    try:
        return _render(code, title, message)
    except DBAPIError:
        # The page itself needed the database (the logged-in user, their language):
        # render it once more as for a visitor, which needs none.
        _forget_database()
        g._login_user = login_manager.anonymous_user()
        return _render(code, title, message)


def _render(code: int, title, message):
    if htmx_target():
        html = render_template("errors/_error.html", title=title, message=message)
        return html, code, {FRAGMENT_HEADER: "error"}
    return render_template("errors/error.html", code=code, title=title, message=message), code


def _forget_database() -> None:
    database.rollback()  # nothing half-saved


def _http_error(error: HTTPException):
    code = error.code or 500
    title, message = MESSAGES.get(code, MESSAGES[400] if code < 500 else MESSAGES[500])
    return _page(code, title, message)


def _csrf_error(error: CSRFError):
    security_log.event("csrf_refused", reason=error.description)
    return _page(400, *CSRF_MESSAGE)


def _server_error(error: Exception):
    _forget_database()
    return _page(500, *MESSAGES[500])


def _database_unavailable(error: OperationalError | InterfaceError):
    """The database is down, or SQLite stayed locked by another writer: busy, try again.
    (A public page that failed on the replica is read again from the primary instead.)"""
    if (answer := replica.read_again_from_primary(error)) is not None:
        return answer
    log.warning("database unavailable: %s", error)
    _forget_database()
    title, message = MESSAGES[503]
    response = _page(503, title, message)
    return *response[:2], {**(response[2] if len(response) > 2 else {}), "Retry-After": "5"}


def init_app(app: Flask) -> None:
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(InterfaceError, _database_unavailable)  # psycopg: "the connection is closed"
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _server_error)
