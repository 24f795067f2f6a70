"""Demo SHU: the first Bandung koperasi's last book year (closed by ``money.close_last_year``)
divided as a usual bylaw says, approved at its RAT and posted, so members see last year's SHU."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa

from models import shu, shu_posting
from models.accounts import User
from models.koperasi import Koperasi
from models.meetings import HELD, Meeting
from models.months import midnight
from models.zones import zone_of
from web.extensions import db

RAT_DAY = (3, 14)  # the RAT of last year's books: mid-March (or a week ago, early in the year)


def _meeting(added: Counter, koperasi: Koperasi, year: int, pengurus: User) -> Meeting:
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.koperasi_id == koperasi.id,
                                                         Meeting.book_year == year).order_by(Meeting.id))
    if meeting is None:
        today = zone_of(koperasi).today()
        day = min(date(year + 1, *RAT_DAY), today - timedelta(days=7))
        meeting = Meeting(koperasi_id=koperasi.id, title=f"RAT Tahun Buku {year}", book_year=year,
                          starts_at=midnight(koperasi, day) + timedelta(hours=9), place="Aula koperasi",
                          record_date=day - timedelta(days=14), status=HELD, created_by_id=pengurus.id)
        db.session.add(meeting)
        db.session.flush()
        added["RAT meetings"] += 1
    return meeting


def shu_of_last_year(added: Counter, koperasi: Koperasi, pengurus: User) -> None:
    """Set, approve and post the split of last year's SHU (what is missing of it)."""
    year = zone_of(koperasi).today().year - 1
    surplus = shu.income_statement_shu(koperasi, year)
    if surplus is None:  # the demo could not close the year: nothing to divide
        return
    plan = shu.plan_of(koperasi, year)
    if plan is None:
        data = {f"{part}_bp": bp for part, bp in shu.DEFAULT_SPLIT.items()}
        data.update(jm_pokok=True, jm_wajib=True, jm_sukarela=True, jm_basis=shu.AVERAGE, ju_own_store=True,
                    ju_member_stores=True, ju_interest=True)
        if surplus <= 0:  # a young koperasi's first year may show a loss: the RAT shares a grant instead
            data.update(override_idr=5_000_000, override_reason="Hibah pemerintah daerah dibagi sesuai keputusan RAT")
        plan = shu.save_plan(koperasi, year, data, pengurus)
        added["SHU plans"] += 1
    if not plan.approved:
        shu_posting.approve(plan, pengurus, _meeting(added, koperasi, year, pengurus))
        added["SHU approvals"] += 1
    if plan.posted_at is None:
        job = shu_posting.start_posting(plan, pengurus)
        db.session.commit()  # the job runs on committed rows, as a worker would
        shu_posting.post_job(job.id)
        added["SHU postings"] += 1

