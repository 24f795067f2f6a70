"""Reads that may lag go to a PostgreSQL streaming replica (``DATABASE_REPLICA_URL``).

- A GET of a public page (``web/public_pages.is_public``) reads from the replica; every
  other request, and every write, uses the primary (``models.base.Session``).
- Read your own writes: after a client's unsafe request (POST…), a short-lived cookie
  sends its reads to the primary for ``REPLICA_AFTER_WRITE_SECONDS``, longer than the
  replica lags. Only a write sets it, so an anonymous visitor's public page stays
  cookie-less (and cacheable).
- A replica that is down or fails is no error for the user: the page is read again from
  the primary, and the replica is left alone for ``REPLICA_RETRY_SECONDS`` (each process
  remembers it), so no request waits for a dead server's connect timeout.
"""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from flask import Flask, current_app, g, request

from models.base import READS_FROM
from web.database import SAFE_METHODS
from web.extensions import db
from web.public_pages import is_public
from web.security import cookie

FRESH_COOKIE = "kopz_primary"  # "this client wrote a moment ago": read from the primary
log = logging.getLogger(__name__)


class Replica:
    """The replica's engine, and until when this process leaves it alone."""

    def __init__(self, url: str, options: dict):
        connect_args = {"connect_timeout": 2, **options.get("connect_args", {})}
        self.engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
        self.down_until = 0.0

    def usable(self) -> bool:
        return time.monotonic() >= self.down_until

    def failed(self, error: Exception) -> None:
        log.warning("replica unavailable, reading from the primary: %s", error)
        self.down_until = time.monotonic() + current_app.config["REPLICA_RETRY_SECONDS"]
        self.engine.dispose()  # its pooled connections are dead too


def init_app(app: Flask) -> None:
    url = app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return
    options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
    app.extensions["kopz_replica"] = Replica(url, options)
    app.before_request(_choose)
    app.after_request(_remember_write)
    app.teardown_request(_forget)


def replica() -> Replica | None:
    return current_app.extensions.get("kopz_replica")


def _choose() -> None:
    """A public GET from a client that has not just written reads from the replica (if it is up)."""
    chosen = replica()
    if chosen is None or not chosen.usable() or not is_public() or request.cookies.get(cookie(FRESH_COOKIE)):
        return
    db.session.info[READS_FROM] = chosen.engine
    g.kopz_on_replica = True


def _remember_write(response):
    if request.method not in SAFE_METHODS:
        seconds = current_app.config["REPLICA_AFTER_WRITE_SECONDS"]
        response.set_cookie(cookie(FRESH_COOKIE), "1", max_age=seconds, httponly=True, samesite="Lax", secure=request.is_secure)
    return response


def _forget(_exc=None) -> None:
    db.session.info.pop(READS_FROM, None)
    if g.pop("kopz_on_replica", False):
        try:
            db.session.close()  # here, not at the app context's end: a replica gone since the answer is no error
        except sa.exc.DBAPIError as error:
            replica().failed(error)
            db.session().invalidate()


def read_again_from_primary(error: Exception):
    """The replica failed during this request: answer it from the primary instead (a public GET
    reads only, so running its view again is safe). None when the failure was not the replica's."""
    chosen = replica()
    if chosen is None or not g.pop("kopz_on_replica", False):
        return None
    chosen.failed(error)
    db.session.info.pop(READS_FROM, None)
    try:
        db.session.rollback()
    except sa.exc.DBAPIError:
        db.session.close()
    g.pop("_login_user", None)  # loaded (or not) from the replica: load it again
    view = current_app.view_functions[request.endpoint]
    try:
        return current_app.make_response(current_app.ensure_sync(view)(**(request.view_args or {})))
    except sa.exc.OperationalError:  # the primary too: the "busy, try again" page (web/errors.py)
        return None
