"""The budget guard: SQL queries per request and compressed size of a page."""

from __future__ import annotations

import gzip
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

from web.extensions import db

MAX_QUERIES = 10
MAX_QUERIES_MEMBER_PAGE = MAX_QUERIES + 1  # /k/<slug>/me also shows the member's SHU and choice (one query)
MAX_HTML_GZIP = 14 * 1024  # one network round trip on a slow phone connection


@contextmanager
def statements_sent(engine=None):
    """(SQL, parameters) of every statement sent inside the block (not the BEGIN that SQLite
    gets as a statement, web/database.py, and PostgreSQL's driver sends on its own)."""
    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, *args):
        if not statement.startswith("BEGIN"):
            sent.append((statement, parameters))

    engine = engine or db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


@contextmanager
def count_queries():
    """The SQL of the statements run inside the block, listed when it ends (see ``statements_sent``)."""
    statements: list[str] = []
    with statements_sent() as sent:
        try:
            yield statements
        finally:
            statements.extend(statement for statement, _parameters in sent)


@dataclass
class Measure:
    status: int
    queries: list[str]
    html_gzip: int
    body: str


def measure(client, url: str, **kwargs) -> Measure:
    with count_queries() as queries:
        response = client.get(url, **kwargs)
    body = response.get_data()
    return Measure(response.status_code, queries, len(gzip.compress(body, 6)), body.decode())
