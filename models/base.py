"""The models' own session and column helpers: ``db`` (Flask-SQLAlchemy, bound to the
app by ``web.create_app``), the declarative base with portable constraint names, and
the time helpers. The models import nothing from ``web/`` or ``views/``.

A session may read from a second engine (a streaming replica): while ``info[READS_FROM]``
holds one, its SELECTs go there; the first write (a flush, an UPDATE, an explicit
``connection()``) drops it, so that write and everything after it use the primary.
``web/replica.py`` sets it for the pages that may show data a few seconds old."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.orm import DeclarativeBase

# Same constraint names on SQLite and PostgreSQL, so migrations stay portable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


READS_FROM = "reads_from"  # session.info key: the engine this session's SELECTs read from


class Session(FlaskSession):
    """Flask-SQLAlchemy's session; its SELECTs read from ``info[READS_FROM]`` until its first write."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        replica = self.info.get(READS_FROM)
        if replica is not None and bind is None:
            if _reads(clause):
                return replica
            if not isinstance(clause, sa.TextClause):  # a write: the primary from now on
                del self.info[READS_FROM]
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def _reads(clause) -> bool:
    if isinstance(clause, sa.Select | sa.CompoundSelect):
        return getattr(clause, "_for_update_arg", None) is None  # a row lock is the start of a write
    return isinstance(clause, sa.TextClause) and clause.text.lstrip()[:6].upper() in ("SELECT", "WITH")


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})


def utcnow() -> datetime:
    """Now in UTC, naive: every timestamp is stored in UTC (shown in WIB)."""
    return datetime.now(UTC).replace(tzinfo=None)
