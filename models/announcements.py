"""Announcements: the koperasi's board tells its members something.

Rules kept here:
- An announcement has a title (3 to 120 characters) and a body (at most 2,000); both are
  required, and every bad field is reported at once.
- Posting it notifies every active member of that koperasi, in the same transaction
  (``notify_selected``: one INSERT … SELECT, one push task), so members are told exactly when it exists.
- Posting is idempotent: the form's one-time key is kept on the row, so a double tap or a
  retried submission returns the first announcement and notifies nobody twice; the same
  key sent for another koperasi or by someone else is refused (``models.keys``).
- Announcements are never edited or deleted here: what members were told stays as told.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts import User
from models.base import db, utcnow
from models.errors import Checks
from models.keys import fingerprint, same
from models.koperasi import Koperasi
from models.membership import Membership, MemberStatus, confirmed
from models.notifications import Kind, notify_selected

TITLE_MIN, TITLE_MAX, BODY_MAX = 3, 120, 2000
EXCERPT = 140  # characters of the body a notification carries
TITLE_TOO_LONG = _l("Keep the title within %(count)s characters.", count=TITLE_MAX)
BODY_TOO_LONG = _l("Keep the announcement within %(count)s characters.", count=BODY_MAX)


class Announcement(db.Model):
    __table_args__ = (
        sa.Index("ix_announcement_koperasi", "koperasi_id", "id"),  # newest first
        sa.UniqueConstraint("koperasi_id", "idempotency_key", name="uq_announcement_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    body: Mapped[str] = mapped_column(sa.Text)
    posted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(64))
    idempotency_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))

    posted_by: Mapped[User | None] = relationship(lazy="joined")


def check(title: str | None, body: str | None) -> tuple[str, str]:
    """The cleaned title and body; every bad field at once."""
    checks = Checks()
    title = " ".join((title or "").split())
    body = (body or "").strip().replace("\r\n", "\n")
    if len(title) < TITLE_MIN:
        checks.fail(_l("Write a title of at least %(count)s characters.", count=TITLE_MIN), "title")
    elif len(title) > TITLE_MAX:
        checks.fail(TITLE_TOO_LONG, "title")
    if not body:
        checks.fail(_l("Write what you want to tell the members."), "body")
    elif len(body) > BODY_MAX:
        checks.fail(BODY_TOO_LONG, "body")
    checks.done()
    return title, body


def excerpt(body: str) -> str:
    """The start of the body, for a notification and the list."""
    flat = " ".join(body.split())
    return flat if len(flat) <= EXCERPT else flat[:EXCERPT - 1].rstrip() + "…"


def post(koperasi: Koperasi, by: User, title: str, body: str, key: str | None = None) -> Announcement:
    """Post an announcement and notify every active member (see the module's rules)."""
    title, body = check(title, body)
    once = fingerprint("announcement", by, koperasi=koperasi.id)
    if key and (done := _posted(koperasi, key)) is not None:
        same(done.idempotency_fingerprint, once)
        return done
    announcement = Announcement(koperasi_id=koperasi.id, title=title, body=body, posted_by_id=by.id,
                                idempotency_key=key or None, idempotency_fingerprint=once)
    try:
        with db.session.begin_nested():  # added inside: a refused insert leaves nothing pending
            db.session.add(announcement)
            db.session.flush()
    except sa.exc.IntegrityError:  # the same key, posted at this very moment by the other tap
        done = _posted(koperasi, key)
        same(done.idempotency_fingerprint, once)
        return done
    members = sa.select(Membership.user_id).where(Membership.koperasi_id == koperasi.id,
                                                  Membership.status == MemberStatus.ACTIVE, confirmed())
    notify_selected(members, Kind.ANNOUNCEMENT, koperasi_id=koperasi.id,
                params={"id": announcement.id, "title": title, "excerpt": excerpt(body)},
                url=f"/k/{koperasi.slug}/announcements#a{announcement.id}")
    return announcement


def _posted(koperasi: Koperasi, key: str) -> Announcement | None:
    return db.session.scalar(sa.select(Announcement).where(Announcement.koperasi_id == koperasi.id,
                                                           Announcement.idempotency_key == key))


def latest(koperasi: Koperasi, before: int | None = None, limit: int = 20) -> list[Announcement]:
    """The koperasi's announcements, newest first (``before``: older than that id)."""
    query = sa.select(Announcement).where(Announcement.koperasi_id == koperasi.id)
    if before:
        query = query.where(Announcement.id < before)
    return list(db.session.scalars(query.order_by(Announcement.id.desc()).limit(limit)))
