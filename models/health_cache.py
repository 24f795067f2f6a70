"""The health rating of each closed book year, kept once computed (the trend shows one per year,
and computing one is about seven aggregate queries over the year's books).

Rules kept here:
- A row is the rating of one koperasi's book year under one standing close (``closed_event_id``,
  ``models.periods``): the books of a closed year cannot change, so neither can its ratios.
- What may still change after the close is named in ``inputs``: the management questionnaire
  of that year (saved again: its ``answered_at``) and the members' share of the SHU split (the
  year's SHU plan, saved after the close). A row whose close or inputs are not today's is not used.
- Reopening the year drops its row (``periods.reopen_year``); a new close gets a new row.
- A cache, never a record: deleting every row changes nothing but the time the trend takes.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow
from models.health_questionnaire import HealthQuestionnaire
from models.shu import ShuPlan

RULES = 1  # raise when the rating's tables or ratios change: every kept rating is then computed again


class HealthRating(db.Model):
    """One closed book year's total score, in hundredths of a point, and what it was computed under."""

    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    closed_event_id: Mapped[int] = mapped_column(sa.ForeignKey("period_event.id"))
    inputs: Mapped[str] = mapped_column(sa.String(80))
    total_centi: Mapped[int]
    rated_at: Mapped[datetime] = mapped_column(default=utcnow)


def inputs(answered_at: datetime | None, members_share_bp: int) -> str:
    """What may change in a closed year after its close, as one text to compare."""
    return f"r{RULES}|q{answered_at.isoformat() if answered_at else '-'}|s{members_share_bp}"


def kept(koperasi_id: int, usual_share_bp: int) -> dict[int, tuple[HealthRating, str]]:
    """{year: (the kept rating, the inputs that year has today)}, in one query."""
    share = sa.func.coalesce(ShuPlan.jm_bp + ShuPlan.ju_bp, usual_share_bp)
    rows = db.session.execute(
        sa.select(HealthRating, HealthQuestionnaire.answered_at, share)
        .outerjoin(HealthQuestionnaire, sa.and_(HealthQuestionnaire.koperasi_id == HealthRating.koperasi_id,
                                                HealthQuestionnaire.year == HealthRating.year))
        .outerjoin(ShuPlan, sa.and_(ShuPlan.koperasi_id == HealthRating.koperasi_id, ShuPlan.year == HealthRating.year))
        .where(HealthRating.koperasi_id == koperasi_id))
    return {row.year: (row, inputs(answered_at, int(bp))) for row, answered_at, bp in rows}


def keep(koperasi_id: int, year: int, closed_event_id: int, inputs: str, total_centi: int,
         old: HealthRating | None) -> None:
    """Store (or replace) a year's rating; another request storing the same year at once wins."""
    try:
        with db.session.begin_nested():
            if old is not None:
                db.session.delete(old)
                db.session.flush()
            db.session.add(HealthRating(koperasi_id=koperasi_id, year=year, closed_event_id=closed_event_id,
                                        inputs=inputs, total_centi=total_centi))
    except sa.exc.IntegrityError:
        pass  # the same rating, from the same books, kept by the other request


def drop(koperasi_id: int, year: int) -> None:
    db.session.execute(sa.delete(HealthRating).where(HealthRating.koperasi_id == koperasi_id,
                                                     HealthRating.year == year))
