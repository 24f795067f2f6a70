"""The audit log: the koperasi's history read as who did what, when and from where.

Rules kept here:
- One table, ``KoperasiEvent`` (models.koperasi), one history: the domain's own detailed events
  (a profile change field by field, a NIK reveal, a staff change, a temporary password …) and one
  event for every other office action that changed something (``web.audit``: a deposit, a loan
  approval, a journal entry, a period closed …), each with the IP address, browser and sign-in
  session it came from.
- Append-only: the database refuses UPDATE and DELETE on it (triggers, migration 0037) and the
  session refuses them before they reach it (``models.ledger._append_only``).
- What a form sent is kept without secrets or personal data (``safe_fields``): no password, CSRF
  token, idempotency key, one-time code, NIK, KTP, birth date, address, phone, e-mail or a
  person's name, and any run of 12 or more digits in the rest (a NIK or a phone number typed
  into a note) masked.
- The board and the supervisors read it and export it (``Duty.SEE_AUDIT``); each export is
  itself an event, with the filters it was taken with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from models.accounts import User
from models.base import db
from models.koperasi import Koperasi, KoperasiEvent, Staff, record
from models.months import midnight

# A form field whose name holds one of these is never recorded.
WITHHELD = ("password", "csrf", "token", "secret", "key", "otp", "recovery", "nik", "ktp", "birth", "address",
            "mobile", "phone", "email", "full_name", "mother", "photo", "file")
WITHHELD_EXACT = {"code"}  # a one-time code; a sub-account's code is in the path and the event's details
LONG_NUMBER = re.compile(r"\d(?:[ \-]?\d){11,}")  # 12+ digits, maybe spaced: a NIK, a phone number
VALUE_MAX = 120
FIELDS_MAX = 24
EXPORT_MAX = 50_000  # rows in one export: a year of a busy koperasi; narrow the dates for more


def _masked(text: str) -> str:
    return LONG_NUMBER.sub(lambda m: "•" * (len(m.group()) - 4) + m.group()[-4:], text)


def safe_fields(form: Iterable[tuple[str, str]]) -> dict[str, str]:
    """What a form sent, fit for the log: secrets and personal data left out, long numbers masked,
    each value and the number of fields bounded."""
    kept: dict[str, str] = {}
    for name, value in form:
        lowered = name.lower()
        if lowered in WITHHELD_EXACT or any(part in lowered for part in WITHHELD) or lowered == "form":
            continue
        if len(kept) >= FIELDS_MAX:
            break
        text = _masked(str(value).strip())
        kept[name] = text if len(text) <= VALUE_MAX else text[:VALUE_MAX - 1] + "…"
    return kept


# ---------------------------------------------------------------- reading

@dataclass(frozen=True)
class Filters:
    """What the reader asked for: a kind of action, a staff member, days (the koperasi's dates)."""

    action: str = ""
    actor_id: int | None = None
    since: date | None = None
    until: date | None = None

    def as_details(self) -> dict:
        shown = {"action": self.action, "actor": self.actor_id, "since": self.since and self.since.isoformat(),
                 "until": self.until and self.until.isoformat()}
        return {key: value for key, value in shown.items() if value}


def select(koperasi: Koperasi, filters: Filters) -> sa.Select:
    """The koperasi's events matching ``filters``, newest first."""
    query = sa.select(KoperasiEvent).where(KoperasiEvent.koperasi_id == koperasi.id)
    if filters.action:
        query = query.where(KoperasiEvent.action == filters.action)
    if filters.actor_id:
        query = query.where(KoperasiEvent.actor_id == filters.actor_id)
    if filters.since:
        query = query.where(KoperasiEvent.created_at >= midnight(koperasi, filters.since))
    if filters.until:
        query = query.where(KoperasiEvent.created_at < midnight(koperasi, filters.until + timedelta(days=1)))
    return query.order_by(KoperasiEvent.created_at.desc(), KoperasiEvent.id.desc())


def actors(koperasi: Koperasi) -> list[User]:
    """Who can be chosen in the staff filter: today's staff and anyone who left an event here."""
    acted = sa.select(KoperasiEvent.actor_id).where(KoperasiEvent.koperasi_id == koperasi.id)
    staff = sa.select(Staff.user_id).where(Staff.koperasi_id == koperasi.id)
    return list(db.session.scalars(sa.select(User).where(sa.or_(User.id.in_(staff), User.id.in_(acted)))
                                   .order_by(User.full_name, User.id)))


def record_export(koperasi: Koperasi, by: User, fmt: str, filters: Filters, rows: int) -> None:
    """The export is an event too: who took which part of the log, in which format."""
    record(koperasi, by, "audit_exported", {"format": fmt, "rows": rows, **filters.as_details()})
