"""Due reminders, sent by the scheduled command ``flask --app wsgi notify-due``.

Rules kept here:
- An instalment falling due within the next 3 days: its borrower is told once.
- An overdue instalment (the oldest unpaid one of each active loan): told the day after it
  fell due, then once a week while it stays unpaid.
- Simpanan pokok still owed by an approved member: told a week after approval (approval
  itself told them), then once a week until it is paid.
- Each reminder carries a ``once`` key naming its subject and its day
  (``instalment:<id>:<date>``), backed by the unique constraint ``uq_notification_once``:
  running the command twice the same day, or a day it has nothing new, sends nothing twice.
- Days are counted in WIB; reminders are written in bulk (``add_many``), one push task per run.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa

from models.base import db
from models.koperasi import Koperasi
from models.loans import Instalment, Loan, LoanStatus
from models.membership import Membership, MemberStatus, confirmed
from models.notifications import Kind, Notification, add_many

DUE_SOON_DAYS = 3
EVERY = 7  # days between reminders of the same debt


def _slot(start: date, today: date) -> date:
    """The day of the latest weekly reminder since ``start`` (``start`` itself the first)."""
    return start + timedelta(days=EVERY * ((today - start).days // EVERY))


def _instalments(*where) -> list[tuple]:
    """Instalments matching ``where``, each with its loan, koperasi and the member's user."""
    return db.session.execute(
        sa.select(Instalment, Loan.id, Loan.koperasi_id, Membership.user_id, Koperasi.slug)
        .join(Loan, Loan.id == Instalment.loan_id).join(Membership, Membership.id == Loan.membership_id)
        .join(Koperasi, Koperasi.id == Loan.koperasi_id).where(confirmed(), *where)).all()


def _due_soon(today: date) -> list[dict]:
    rows = _instalments(Loan.status == LoanStatus.ACTIVE, Instalment.settled_on.is_(None), Instalment.due_on > today,
                        Instalment.due_on <= today + timedelta(days=DUE_SOON_DAYS))
    return [_row(Kind.INSTALMENT_DUE, inst, loan_id, koperasi_id, user_id, slug, inst.due_on)
            for inst, loan_id, koperasi_id, user_id, slug in rows]


def _overdue(today: date) -> list[dict]:
    oldest = (sa.select(sa.func.min(Instalment.id)).join(Loan, Loan.id == Instalment.loan_id)
              .where(Loan.status == LoanStatus.ACTIVE, Instalment.settled_on.is_(None), Instalment.due_on < today)
              .group_by(Instalment.loan_id))
    return [_row(Kind.INSTALMENT_OVERDUE, inst, loan_id, koperasi_id, user_id, slug,
                 _slot(inst.due_on + timedelta(days=1), today))
            for inst, loan_id, koperasi_id, user_id, slug in _instalments(Instalment.id.in_(oldest))]


def _row(kind: Kind, inst: Instalment, loan_id: int, koperasi_id: int, user_id: int, slug: str, day: date) -> dict:
    return dict(user_id=user_id, koperasi_id=koperasi_id, kind=str(kind), url=f"/k/{slug}/me/loans/{loan_id}",
                params={"loan": loan_id, "seq": inst.seq, "amount": inst.remaining, "due_on": inst.due_on.isoformat()},
                once_key=f"instalment:{inst.id}:{day.isoformat()}")


def _pokok(today: date) -> list[dict]:
    rows = db.session.execute(
        sa.select(Membership.id, Membership.user_id, Membership.koperasi_id, Membership.pokok_owed_idr,
                  Membership.joined_on, Koperasi.slug).join(Koperasi, Koperasi.id == Membership.koperasi_id)
        .where(Membership.status == MemberStatus.APPROVED, Membership.pokok_owed_idr > 0, confirmed(),
               Membership.joined_on <= today - timedelta(days=EVERY))).all()
    return [dict(user_id=user_id, koperasi_id=koperasi_id, kind=str(Kind.POKOK_DUE), url=f"/k/{slug}/me",
                 params={"amount": owed}, once_key=f"pokok:{membership_id}:{_slot(joined, today).isoformat()}")
            for membership_id, user_id, koperasi_id, owed, joined, slug in rows]


def _not_sent(rows: list[dict]) -> list[dict]:
    """The reminders whose (user, kind, once key) was not sent yet: one query per 1,000."""
    fresh = []
    for start in range(0, len(rows), 1000):
        chunk = rows[start:start + 1000]
        keys = sa.tuple_(Notification.user_id, Notification.kind, Notification.once_key)  # uq_notification_once
        sent = set(db.session.execute(sa.select(Notification.user_id, Notification.kind, Notification.once_key).where(
            keys.in_([(r["user_id"], r["kind"], r["once_key"]) for r in chunk]))).all())
        fresh += [r for r in chunk if (r["user_id"], r["kind"], r["once_key"]) not in sent]
    return fresh


def send_due(today: date) -> Counter:
    """Add today's due reminders (see the module's rules); counts by kind of what was sent."""
    rows = _not_sent(_due_soon(today) + _overdue(today) + _pokok(today))
    add_many(rows)
    return Counter(r["kind"] for r in rows)
