"""Demo SHU: the first Bandung koperasi's last book year (closed by ``money.close_last_year``)
divided as a usual bylaw says, approved at its RAT (whose members voted the split through,
web/demo/voting.py) and posted, so members see last year's SHU."""

from __future__ import annotations

from collections import Counter

from models import shu, shu_posting
from models.accounts import User
from models.koperasi import Koperasi
from models.zones import zone_of
from web.demo.meetings import demo_meetings
from web.extensions import db


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
        rat, _coming = demo_meetings(koperasi)
        if rat is None or rat.book_year != year:  # the RAT demo makes it first (web/demo/__init__.py)
            return
        shu_posting.approve(plan, pengurus, rat)
        added["SHU approvals"] += 1
    if plan.posted_at is None:
        job = shu_posting.start_posting(plan, pengurus)
        db.session.commit()  # the job runs on committed rows, as a worker would
        shu_posting.post_job(job.id)
        added["SHU postings"] += 1

