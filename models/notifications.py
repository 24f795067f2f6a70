"""Notifications: one list per user across all their koperasi, with an unread badge.

Rules kept here:
- ``notify(user_id, kind, ...)`` adds a notification in the caller's transaction, so it
  exists exactly when the event it tells of does; its push to the phone is queued for
  after the commit (``models.jobs.later``), never before.
- A notification's text is made from its ``kind`` and ``params`` when it is shown, in
  the reader's language: the row stores no sentence.
- Reading marks a notification read; nothing else changes it. Only its own user reads or
  marks it (``mine``): anyone else's is not there for them.
- ``notify_many`` / ``notify_selected`` tell many users at once (an announcement to 10,000
  members): bulk INSERTs (or one INSERT … SELECT) and ONE push task carrying the ids, not
  a flush and a task per member.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models import jobs
from models.base import db, utcnow


class Kind(enum.StrEnum):
    APPLICATION_APPROVED = "application_approved"
    APPLICATION_REJECTED = "application_rejected"
    POKOK_DUE = "pokok_due"
    LOAN_APPROVED = "loan_approved"
    LOAN_REJECTED = "loan_rejected"
    LOAN_DISBURSED = "loan_disbursed"
    INSTALMENT_DUE = "instalment_due"  # in 3 days
    INSTALMENT_OVERDUE = "instalment_overdue"
    ORDER_RECEIVED = "order_received"  # to the seller
    ORDER_STATUS = "order_status"  # to the buyer
    STORE_APPROVED = "store_approved"
    RAT_SCHEDULED = "rat_scheduled"
    VOTING_OPEN = "voting_open"
    MINUTES_PUBLISHED = "minutes_published"
    SHU_CREDITED = "shu_credited"
    ANNOUNCEMENT = "announcement"
    CLAIM_REQUESTED = "claim_requested"  # to the staff who approve members
    CLAIM_CONFIRMED = "claim_confirmed"
    CLAIM_REFUSED = "claim_refused"
    STALL_PAID = "stall_paid"  # the payer's receipt
    STALL_RECEIVED = "stall_received"  # the seller's
    STALL_REFUNDED = "stall_refunded"  # to the payer
    WITHDRAWAL_HELD = "withdrawal_held"  # the member asked: the amount is held
    WITHDRAWAL_PAID = "withdrawal_paid"
    WITHDRAWAL_REJECTED = "withdrawal_rejected"  # the hold released
    TOPUP_CONFIRMED = "topup_confirmed"  # the member's receipt
    TOPUP_REJECTED = "topup_rejected"


class Notification(db.Model):
    """Something that happened that a user should know: shown in ``/notifications``."""

    __table_args__ = (
        sa.Index("ix_notification_user_unread", "user_id", "read_at", "id"),  # the badge's count
        sa.Index("ix_notification_user_id", "user_id", "id"),  # the list, newest first
        # the scheduled reminders are sent once per subject and day (``notify(once=...)``)
        sa.UniqueConstraint("user_id", "kind", "once_key", name="uq_notification_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    koperasi_id: Mapped[int | None] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # what the text needs: amounts, names, dates
    url: Mapped[str] = mapped_column(sa.String(300), default="")  # where tapping it leads
    once_key: Mapped[str | None] = mapped_column(sa.String(80))  # e.g. "instalment:12:2026-12-05"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


def notify(user_id: int, kind: Kind | str, *, koperasi_id: int | None = None, params: dict | None = None,
           url: str = "", once: str | None = None) -> Notification | None:
    """Tell ``user_id`` that ``kind`` happened (in the caller's transaction); push it after commit.

    ``once``: a key that makes this notification happen at most once per user and kind
    (a reminder sent by a command run twice the same day); None returned when it already was."""
    if once is not None and db.session.scalar(sa.select(Notification.id).where(
            Notification.user_id == user_id, Notification.kind == str(kind), Notification.once_key == once)):
        return None
    note = Notification(user_id=user_id, koperasi_id=koperasi_id, kind=str(kind), params=params or {}, url=url,
                        once_key=once)
    db.session.add(note)
    db.session.flush()
    jobs.later("web.push.deliver", note.id)
    return note


CHUNK = 1000  # rows per bulk INSERT: bounded statements for 10,000 members


def notify_many(user_ids, kind: Kind | str, *, koperasi_id: int | None = None, params: dict | None = None,
                url: str = "", once: str | None = None) -> list[int]:
    """Tell every user in ``user_ids`` the same thing, in bulk; one push task after commit.

    ``once``: as for ``notify``; users already told under that key are skipped."""
    users = list(dict.fromkeys(user_ids))
    if once is not None and users:
        told = set()
        for start in range(0, len(users), CHUNK):
            told.update(db.session.scalars(sa.select(Notification.user_id).where(
                Notification.kind == str(kind), Notification.once_key == once,
                Notification.user_id.in_(users[start:start + CHUNK]))))
        users = [u for u in users if u not in told]
    return add_many([dict(user_id=u, koperasi_id=koperasi_id, kind=str(kind), params=params or {}, url=url,
                          once_key=once) for u in users])


def notify_selected(users: sa.Select, kind: Kind | str, *, koperasi_id: int | None = None,
                    params: dict | None = None, url: str = "") -> list[int]:
    """Tell the users a SELECT of user ids names (every active member of a koperasi) the same
    thing, in ONE ``INSERT … SELECT`` on the database server: 10,000 rows never travel
    through Python. One push task after commit. Returns the new ids."""
    chosen = users.subquery()
    rows = sa.select(list(chosen.c)[0], sa.literal(koperasi_id, sa.Integer), sa.literal(str(kind), sa.String),
                     sa.literal(params or {}, sa.JSON), sa.literal(url, sa.String), sa.literal(utcnow(), sa.DateTime))
    ids = list(db.session.scalars(sa.insert(Notification).from_select(
        ["user_id", "koperasi_id", "kind", "params", "url", "created_at"], rows).returning(Notification.id)))
    if ids:
        jobs.later("web.push.deliver_many", ids)
    return ids


def add_many(rows: list[dict]) -> list[int]:
    """Insert notification rows (keys: user_id, koperasi_id, kind, params, url, once_key) in
    bulk; their push goes in one task after commit. Returns the new ids."""
    ids: list[int] = []
    now = utcnow()
    for start in range(0, len(rows), CHUNK):
        chunk = [{"created_at": now, "read_at": None, **row} for row in rows[start:start + CHUNK]]
        ids += db.session.scalars(sa.insert(Notification).returning(Notification.id), chunk).all()
    if ids:
        jobs.later("web.push.deliver_many", ids)
    return ids


def unread_count(user_id: int) -> int:
    """The badge: one indexed count (``ix_notification_user_unread``)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mine(user_id: int, note_id: int) -> Notification | None:
    """The user's own notification, or None (someone else's does not exist for them)."""
    note = db.session.get(Notification, note_id)
    return note if note is not None and note.user_id == user_id else None


def mark_read(note: Notification) -> None:
    """Read: the first reading's time stays (reading again changes nothing)."""
    db.session.execute(sa.update(Notification).where(Notification.id == note.id, Notification.read_at.is_(None))
                       .values(read_at=utcnow()).execution_options(synchronize_session=False))
    db.session.refresh(note)


def mark_all_read(user_id: int) -> int:
    """Every unread notification of the user read; returns how many."""
    return db.session.execute(sa.update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
