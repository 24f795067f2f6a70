"""Personal data encrypted at rest (UU PDP 27/2022): the NIK, birth dates and addresses.

Rules kept here:
- A column typed ``Encrypted`` holds a Fernet token (AES-128-CBC + HMAC-SHA256, from the
  ``cryptography`` library), never the plaintext; in Python the attribute stays the plain value
  (``membership.nik`` is a str, ``membership.birth_date`` a date), so no other code changes.
- The keys come from the environment (``KOPZ_DATA_KEYS``, comma-separated Fernet keys): the first
  encrypts, every one decrypts (MultiFernet), so a key is rotated by putting a new one first,
  running ``flask --app wsgi rotate-data-key`` (``rotate``) and then dropping the old one.
  A value no configured key opens raises ``InvalidToken``: a wrong key is never read as data.
- An encrypted value cannot be compared in SQL (each token is different), so looking up by NIK
  goes through a keyed hash (HMAC-SHA256 with ``KOPZ_DATA_HASH_KEY``, a separate key): without
  the key, the hash of the 16-digit number cannot be recomputed by trying every NIK.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from functools import lru_cache

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

BATCH = 500
__all__ = ["InvalidToken", "Encrypted", "decrypt", "encrypt", "keyed_hash", "reseal", "rotate", "seal", "unseal"]


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    """The configured keys: the first encrypts, all decrypt."""
    return _fernet(tuple(current_app.config["DATA_KEYS"]))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode("ascii")).decode()


def seal(data: bytes) -> bytes:
    """A file's bytes encrypted (an uploaded spreadsheet of members with their NIKs)."""
    return fernet().encrypt(data)


def unseal(data: bytes) -> bytes:
    """The bytes ``seal`` encrypted; a file kept before files were sealed comes back as it is
    (a spreadsheet or CSV never starts like a Fernet token, "gAAAAA": version byte 0x80)."""
    return fernet().decrypt(data) if data.startswith(b"gAAAAA") else data


def keyed_hash(text: str) -> str:
    """HMAC-SHA256 of a value with the hash key: equal values, equal hashes; no key, no guessing."""
    key = current_app.config["DATA_HASH_KEY"].encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


class Encrypted(sa.types.TypeDecorator):
    """A str (or, with ``date``, a date) in Python; a Fernet token in the database."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, kind: type = str):
        super().__init__()
        self.kind = kind

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return encrypt(value.isoformat() if isinstance(value, date) else str(value))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        text = decrypt(value)
        return date.fromisoformat(text) if self.kind is date else text

    @property
    def python_type(self):
        return self.kind


def encrypted_columns(metadata: sa.MetaData) -> list[tuple[sa.Table, sa.Column]]:
    """Every column typed ``Encrypted`` in the models."""
    return [(table, column) for table in metadata.sorted_tables for column in table.columns
            if isinstance(column.type, Encrypted)]


def reseal(conn, table: str, columns: list[str], change) -> int:
    """Rewrite a table's rows through ``change({column: raw value}) -> {column: new raw value}``,
    in batches by id (a national-size table is never held in memory); the number of rows.
    Raw SQL: it runs in migrations (plaintext in, tokens out) as well as for a rotation."""
    done, last = 0, 0
    while True:
        rows = conn.execute(sa.text(f"SELECT id, {', '.join(columns)} FROM {table} WHERE id > :last "
                                    f"ORDER BY id LIMIT {BATCH}"), {"last": last}).all()
        if not rows:
            return done
        updates = [{"id": row[0], **change(dict(zip(columns, row[1:], strict=True)))} for row in rows]
        sets = ", ".join(f"{c} = :{c}" for c in updates[0] if c != "id")
        conn.execute(sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"), updates)
        done += len(rows)
        last = rows[-1][0]


def rotate(conn, metadata: sa.MetaData, rehash=()) -> dict[str, int]:
    """Re-encrypt every encrypted value with the first key (``MultiFernet.rotate``), then run each
    of ``rehash`` (functions of the connection) to recompute keyed hashes with the current hash key.
    The rows rewritten per table."""
    f = fernet()

    def rotated(values: dict) -> dict:
        return {c: None if raw is None else f.rotate(raw.encode("ascii")).decode("ascii") for c, raw in values.items()}

    by_table: dict[str, list[str]] = {}
    for table, column in encrypted_columns(metadata):
        by_table.setdefault(table.name, []).append(column.name)
    done = {table: reseal(conn, table, columns, rotated) for table, columns in by_table.items()}
    for run in rehash:
        run(conn)
    return done
