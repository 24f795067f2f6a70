"""Idempotency keys bound to the one operation they were sent with.

Rules kept here:
- A key names ONE operation: who sends it, what kind, on what (membership, loan, cart,
  product) and for how much. Its fingerprint (a SHA-256 of those) is stored beside the
  key; the same key with the same content is a retry and gets the first result, the same
  key with other content is refused and changes nothing (never someone else's receipt).
- Free text (a memo, a reason, an address) is not part of it: a retry whose words were
  edited still names the operation that already happened.
- Rows stored before fingerprints existed (NULL) are taken as a match.
"""

from __future__ import annotations

import hashlib

from flask_babel import lazy_gettext as _l

from models.errors import DomainError

KEY_REUSED = _l("This was already sent once for a different operation, so nothing was done now. "
                "Check the details and send it again.")


class KeyReused(DomainError):
    """The key came back with other content: refused, and the form gets a fresh key."""

    def __init__(self) -> None:
        super().__init__(KEY_REUSED)


def fingerprint(operation: str, by, /, **content) -> str:
    """The operation's fingerprint: its kind, who sends it (a user or an id) and what it
    moves (``content``: plain values, in any order)."""
    who = getattr(by, "id", by)
    parts = [operation, f"by={'' if who is None else who}"]
    parts += [f"{name}={content[name]!r}" for name in sorted(content)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def same(stored: str | None, sent: str) -> None:
    """Refuse a key whose stored fingerprint differs from the one sent now."""
    if stored is not None and stored != sent:
        raise KeyReused()
