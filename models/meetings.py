"""The annual members' meeting (RAT): when and where, who may vote (members active at the
record date), its agenda, documents, attendance and minutes.

Rules kept here:
- A meeting belongs to one koperasi and one closed book year.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow

DRAFT, SCHEDULED, HELD = "draft", "scheduled", "held"


class Meeting(db.Model):
    """A RAT: the members meet at a place and/or online; members active on ``record_date`` vote."""

    __table_args__ = (sa.Index("ix_meeting_koperasi_starts", "koperasi_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(160))
    book_year: Mapped[int]  # the year whose books and SHU it decides
    starts_at: Mapped[datetime]  # UTC
    place: Mapped[str] = mapped_column(sa.String(300), default="")
    online_url: Mapped[str] = mapped_column(sa.String(300), default="")
    record_date: Mapped[date]  # members active at the end of this day are eligible
    status: Mapped[str] = mapped_column(sa.String(10), default=DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
