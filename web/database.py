"""The database connection's settings: SQLite pragmas, and who takes SQLite's write lock.

A unit of work that writes (a request with an unsafe method, or a session whose
``info[WRITES]`` is set, as the CLI does) begins with ``BEGIN IMMEDIATE``: it holds
SQLite's one write lock from its first read, so what it reads is still true when it
writes, and a second writer waits (the busy timeout) instead of failing on a stale
snapshot. Anything else reads outside a transaction, each statement seeing the latest
commit (as PostgreSQL's READ COMMITTED does), and begins a plain ``BEGIN`` just before
its first write or savepoint; readers never wait (WAL). So no domain operation has to
commit to drop a read snapshot (``ledger.lock`` is a no-op on SQLite). On PostgreSQL
nothing changes: ``ledger.lock`` takes a row lock (``FOR UPDATE``).

A request's session ends without raising (``end_session``): when the server went away mid-request
(a restart, a failover), the rollback on its dead connection fails, and that failure, raised in
the app context's teardown, would turn the answer already made (the "busy, try again" page) into
the WSGI server's bare 500.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask, has_app_context, has_request_context, request

from models.base import db

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
WRITES = "writes"  # db.session.info[WRITES] = True: this session's transactions will write


def init_app(app: Flask) -> None:
    app.teardown_appcontext(end_session)  # runs before Flask-SQLAlchemy's own (teardowns run last first)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _sqlite_connect)
            sa.event.listen(db.engine, "begin", _sqlite_begin)
            sa.event.listen(db.engine, "before_cursor_execute", _sqlite_begin_before_writing)


def _sqlite_connect(dbapi_connection, _record) -> None:
    """Foreign keys on, WAL so readers never wait for a writer, a short wait instead of 'locked'.
    pysqlite's own BEGIN is turned off: we emit the right one (and so SAVEPOINTs work)."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=4000")  # then "busy, try again" (web/errors.py)
    cursor.close()


def _sqlite_begin(conn) -> None:
    if writes():
        conn.exec_driver_sql("BEGIN IMMEDIATE")


WRITING = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|SAVEPOINT|CREATE|DROP|ALTER)\b", re.IGNORECASE)


def _sqlite_begin_before_writing(conn, cursor, statement, _parameters, _context, _executemany) -> None:
    """A reader's first write (or savepoint) begins its transaction: what follows commits or rolls back whole."""
    if not conn.connection.dbapi_connection.in_transaction and WRITING.match(statement):
        cursor.execute("BEGIN")


def writes() -> bool:
    """Will the transaction now beginning write? A request with an unsafe method does;
    elsewhere (CLI, jobs, tests) the session says so in ``info``."""
    if has_request_context() and request.method not in SAFE_METHODS:
        return True
    return has_app_context() and bool(db.session.info.get(WRITES))


def rollback() -> None:
    """Roll the session back, whatever state its connection is in: a dead one is dropped instead."""
    try:
        db.session.rollback()
    except sa.exc.DBAPIError:
        db.session().invalidate()  # closes the connections without a word to the server


def end_session(_exc: BaseException | None = None) -> None:
    """The session's end at the app context's end; a connection the server dropped is let go quietly."""
    try:
        db.session.remove()
    except sa.exc.DBAPIError:
        db.session().invalidate()
        db.session.remove()
