"""The database connection's settings: SQLite pragmas, and who takes SQLite's write lock.

A unit of work that writes (a request with an unsafe method, or a session whose
``info[WRITES]`` is set, as the CLI does) begins with ``BEGIN IMMEDIATE``: it holds
SQLite's one write lock from its first read, so what it reads is still true when it
writes, and a second writer waits (the busy timeout) instead of failing on a stale
snapshot. Reads begin with a plain ``BEGIN`` (WAL: they never wait). So no domain
operation has to commit to drop a read snapshot (``ledger.lock`` is a no-op on SQLite).
On PostgreSQL nothing changes: ``ledger.lock`` takes a row lock (``FOR UPDATE``).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, has_app_context, has_request_context, request

from models.base import db

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
WRITES = "writes"  # db.session.info[WRITES] = True: this session's transactions will write


def init_app(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _sqlite_connect)
            sa.event.listen(db.engine, "begin", _sqlite_begin)


def _sqlite_connect(dbapi_connection, _record) -> None:
    """Foreign keys on, WAL so readers never wait for a writer, a short wait instead of 'locked'.
    pysqlite's own BEGIN is turned off: ``_sqlite_begin`` emits the right one (and SAVEPOINTs work)."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=4000")  # then "busy, try again" (web/errors.py)
    cursor.close()


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writes() else "BEGIN")


def writes() -> bool:
    """Will the transaction now beginning write? A request with an unsafe method does;
    elsewhere (CLI, jobs, tests) the session says so in ``info``."""
    if has_request_context() and request.method not in SAFE_METHODS:
        return True
    return has_app_context() and bool(db.session.info.get(WRITES))
