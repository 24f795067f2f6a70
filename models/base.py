"""The models' own session and column helpers: ``db`` (Flask-SQLAlchemy, bound to the
app by ``web.create_app``), the declarative base with portable constraint names, and
the time helpers. The models import nothing from ``web/`` or ``views/``."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
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


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    """Now in UTC, naive: every timestamp is stored in UTC (shown in WIB)."""
    return datetime.now(UTC).replace(tzinfo=None)
