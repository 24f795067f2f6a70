"""SHU after the RAT: the approval that freezes every member's share, and the posting.

Rules kept here:
- The pengurus records the RAT's approval: a meeting of the same koperasi for the plan's
  book year. The approval freezes the split as previewed then (each member's inputs and
  shares, every pool): what the RAT approved is what is posted, whatever moves afterwards.
  When the meeting voted on the SHU split in Kopz (``models.voting``), that vote decides:
  while it is open nothing is recorded, and a split voted down is refused.
- Only an approved plan of a closed year, with a surplus, is posted. One action posts it
  all, in the background (``models.jobs``): members' shares in batches of ``BATCH``, one
  entry each (3401 debited; each member's sukarela credited, or SHU payable 2301 for a
  member who chose cash or whose membership is closed), then one entry for the rest:
  the reserve to 3201, the board, staff, education and social funds to 2302–2305, and
  "others" to SHU payable 2301 (money the RAT gave away, owed until it is paid out).
- Each batch holds the plan's row and takes only shares not posted yet, marking them in
  the same transaction: a batch is posted once however many runs overlap (two at once on
  PostgreSQL post once), and a run that stops midway is resumed by the next run without
  posting anything twice. A posted plan is not posted again.
- Each member whose share is credited is told (``Kind.SHU_CREDITED``), in the batch that
  credits them.
- A member chooses sukarela (the default) or cash for their SHU, on their page.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from models import jobs, voting_results
from models.accounts import User
from models.base import db, utcnow
from models.errors import DomainError
from models.koperasi import Koperasi
from models.ledger import MEMBER_OPEN, Leg, Purpose, SavingsBalance, lock, post
from models.meetings import Meeting
from models.membership import Membership, MemberStatus, confirmed
from models.notifications import Kind, Notification
from models.shu import ShuPlan, check_year_closed, preview

BATCH = 500
SUKARELA, CASH = "sukarela", "cash"
TO_LABELS = {SUKARELA: _l("Credited to my simpanan sukarela"), CASH: _l("Paid in cash (SHU payable)")}
FUNDS = {"reserve": Purpose.RESERVE, "board": Purpose.SHU_BOARD, "staff": Purpose.SHU_STAFF,
         "education": Purpose.SHU_EDUCATION, "social": Purpose.SHU_SOCIAL, "others": Purpose.SHU_PAYABLE}
JOB_KIND = "shu_post"


class ShuShare(db.Model):
    """One member's approved share of one year's SHU, with its inputs; ``entry_id`` once posted."""

    __table_args__ = (sa.UniqueConstraint("plan_id", "membership_id", name="uq_shu_share_member"),
                      sa.Index("ix_shu_share_membership", "membership_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("shu_plan.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"))
    savings_idr: Mapped[int] = mapped_column(sa.BigInteger)
    transactions_idr: Mapped[int] = mapped_column(sa.BigInteger)
    jm_idr: Mapped[int] = mapped_column(sa.BigInteger)
    ju_idr: Mapped[int] = mapped_column(sa.BigInteger)
    paid_to: Mapped[str | None] = mapped_column(sa.String(10))  # sukarela, cash: set when posted (even Rp0)
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entry.id"))

    @property
    def total(self) -> int:
        return self.jm_idr + self.ju_idr


class ShuChoice(db.Model):
    """Where a member wants their SHU: sukarela (no row, the default) or cash."""

    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id", ondelete="CASCADE"), primary_key=True)
    paid_to: Mapped[str] = mapped_column(sa.String(10), default=SUKARELA)


def choice_of(membership: Membership) -> str:
    return db.session.scalar(sa.select(ShuChoice.paid_to).where(ShuChoice.membership_id == membership.id)) or SUKARELA


def set_choice(membership: Membership, paid_to: str) -> None:
    """The member's own choice, used by every posting from now on."""
    if paid_to not in TO_LABELS:
        raise DomainError(_l("Choose sukarela or cash."), field="paid_to")
    if membership.status not in MEMBER_OPEN:
        raise DomainError(_l("This membership is closed."), field="paid_to")
    row = db.session.get(ShuChoice, membership.id)
    if row is None:
        db.session.add(ShuChoice(membership_id=membership.id, paid_to=paid_to))
    else:
        row.paid_to = paid_to
    db.session.flush()


# ---------------------------------------------------------------- approval

def _check_the_vote(meeting: Meeting) -> None:
    """When the RAT voted on the SHU split (e-voting), its vote decides: an open vote is waited for,
    a motion voted down refuses. A RAT that decided by deliberation (no vote in Kopz) is recorded as is."""
    if voting_results.motion_open(meeting, "shu"):
        raise DomainError(_l("The RAT's vote on the SHU split is still open: record the approval after it closes."),
                          field="meeting")
    if voting_results.motion_passed(meeting, "shu") is False:
        raise DomainError(_l("The RAT voted the SHU split down: set a new split and put it to the members again."),
                          field="meeting")


def approve(plan: ShuPlan, by: User | None, meeting: Meeting) -> ShuPlan:
    """Record the RAT's approval and freeze every member's share; an approved plan stays as it is."""
    lock(ShuPlan, plan.id)
    if plan.approved:
        return plan
    koperasi = plan.koperasi
    check_year_closed(koperasi, plan.year)
    if meeting is None or meeting.koperasi_id != plan.koperasi_id or meeting.book_year != plan.year:
        raise DomainError(_l("Choose the RAT that decided on the book year %(year)s.", year=plan.year),
                          field="meeting")
    _check_the_vote(meeting)
    division = preview(plan)
    if division.shu <= 0:
        raise DomainError(_l("The book year %(year)s has no surplus: there is no SHU to divide.", year=plan.year))
    if division.members:
        db.session.execute(sa.insert(ShuShare), [
            {"plan_id": plan.id, "membership_id": s.membership_id, "savings_idr": s.savings,
             "transactions_idr": s.transactions, "jm_idr": s.jm, "ju_idr": s.ju} for s in division.members])
    plan.amounts = {"shu": division.shu, "parts": division.parts, "pools": division.pools,
                    "savings_total": division.savings_total, "transactions_total": division.transactions_total,
                    "remainder": division.remainder, "members": len(division.members)}
    plan.meeting_id, plan.approved_by_id, plan.approved_at = meeting.id, by.id if by else None, utcnow()
    db.session.flush()
    return plan


# ---------------------------------------------------------------- posting

def start_posting(plan: ShuPlan, by: User | None) -> jobs.Job:
    """The one action that posts the whole split: a job row (its progress), run in the background
    by ``post_job``. A posting that runs already is the answer to a second tap."""
    lock(ShuPlan, plan.id)
    if not plan.approved:
        raise DomainError(_l("Record the RAT's approval first: only an approved split is posted."))
    if plan.posted_at is not None:
        raise DomainError(_l("The SHU of %(year)s was posted already: nothing more to post.", year=plan.year))
    check_year_closed(plan.koperasi, plan.year)
    if plan.job_id and (running := db.session.get(jobs.Job, plan.job_id)) and not running.finished:
        return running
    total = db.session.scalar(sa.select(sa.func.count()).select_from(ShuShare).where(ShuShare.plan_id == plan.id))
    job = jobs.Job(koperasi_id=plan.koperasi_id, kind=JOB_KIND, subject=str(plan.year), total=total,
                   by_id=by.id if by else None)
    db.session.add(job)
    db.session.flush()
    plan.job_id = job.id
    db.session.flush()
    return job


def post_job(job_id: int) -> None:
    """The background task: post batch after batch, committing the progress as it goes."""
    job = db.session.get(jobs.Job, job_id)
    plan = db.session.scalar(sa.select(ShuPlan).where(ShuPlan.job_id == job_id))
    if job is None or plan is None or job.finished:
        return
    plan_id, by_id = plan.id, job.by_id  # the entries name who started the posting
    job.status = jobs.RUNNING
    db.session.commit()
    try:
        while post_batch(plan_id, by_id=by_id):
            _progress(job_id, plan_id)
            db.session.commit()
        post_rest(plan_id, by_id=by_id)
        _progress(job_id, plan_id)
        job = db.session.get(jobs.Job, job_id)
        job.status, job.finished_at = jobs.DONE, utcnow()
        db.session.commit()
    except Exception as error:  # recorded on the job for the page; the batches posted stay, the next run resumes
        db.session.rollback()
        job = db.session.get(jobs.Job, job_id)
        job.status, job.finished_at, job.message = jobs.FAILED, utcnow(), str(error)[:500]
        db.session.commit()


def _progress(job_id: int, plan_id: int) -> None:
    done = db.session.scalar(sa.select(sa.func.count()).select_from(ShuShare).where(
        ShuShare.plan_id == plan_id, ShuShare.paid_to.is_not(None)))
    db.session.execute(sa.update(jobs.Job).where(jobs.Job.id == job_id).values(done=done))


def post_batch(plan_id: int, size: int | None = None, by_id: int | None = None) -> int:
    """Post the next ``size`` (``BATCH``) members' shares not posted yet, as one entry; how many were posted."""
    size = size or BATCH
    lock(ShuPlan, plan_id)  # overlapping runs take turns: each sees what the other marked
    plan = db.session.get(ShuPlan, plan_id)
    shares = list(db.session.scalars(sa.select(ShuShare).where(ShuShare.plan_id == plan_id,
                                                               ShuShare.paid_to.is_(None))
                                     .order_by(ShuShare.membership_id).limit(size)))
    if not shares:
        return 0
    koperasi = plan.koperasi
    ids = [s.membership_id for s in shares]
    status = dict(db.session.execute(sa.select(Membership.id, Membership.status).where(Membership.id.in_(ids))).all())
    cash = set(db.session.scalars(sa.select(ShuChoice.membership_id).where(ShuChoice.membership_id.in_(ids),
                                                                           ShuChoice.paid_to == CASH)))
    paid_to = {s.id: CASH if s.membership_id in cash or status.get(s.membership_id) not in MEMBER_OPEN else SUKARELA
               for s in shares}
    paying = [s for s in shares if s.total > 0]
    entry = None
    if paying:
        _credit_sukarela({s.membership_id: s.total for s in paying if paid_to[s.id] == SUKARELA})
        legs = [Leg(Purpose.SUKARELA if paid_to[s.id] == SUKARELA else Purpose.SHU_PAYABLE, -s.total,
                    membership_id=s.membership_id) for s in paying]
        legs.append(Leg(Purpose.SHU_CURRENT, sum(s.total for s in paying)))
        entry = post(koperasi, "shu", legs, by=db.session.get(User, by_id) if by_id else None,
                     memo=str(_l("SHU %(year)s", year=plan.year)),
                     membership_status=tuple(MemberStatus))
    db.session.execute(sa.update(ShuShare), [{"id": s.id, "entry_id": entry.id if entry else None,
                                              "paid_to": paid_to[s.id]} for s in shares])
    _tell(plan, koperasi, [(s, paid_to[s.id]) for s in paying], ids)
    return len(shares)


def _credit_sukarela(amounts: dict[int, int]) -> None:
    """Add each member's share to their cached sukarela balance: one INSERT, one UPDATE for the batch."""
    if not amounts:
        return
    have = set(db.session.scalars(sa.select(SavingsBalance.membership_id).where(
        SavingsBalance.membership_id.in_(list(amounts)), SavingsBalance.kind == SUKARELA)))
    if missing := [m for m in amounts if m not in have]:
        db.session.execute(sa.insert(SavingsBalance), [{"membership_id": m, "kind": SUKARELA, "balance": 0}
                                                       for m in missing])
    table = SavingsBalance.__table__
    db.session.execute(table.update().where(table.c.membership_id == sa.bindparam("m"),
                                            table.c.kind == SUKARELA)
                       .values(balance=table.c.balance + sa.bindparam("a")),
                       [{"m": m, "a": a} for m, a in amounts.items()])


def _tell(plan: ShuPlan, koperasi: Koperasi, paid: list[tuple[ShuShare, str]], ids: list[int]) -> None:
    """``Kind.SHU_CREDITED`` to each member paid in this batch: one INSERT, pushed after commit."""
    users = dict(db.session.execute(sa.select(Membership.id, Membership.user_id).where(
        Membership.id.in_(ids), confirmed())).all())
    paid = [(s, to) for s, to in paid if s.membership_id in users]  # not to an import nobody has claimed yet
    if not paid:
        return
    rows = [{"user_id": users[s.membership_id], "koperasi_id": koperasi.id, "kind": str(Kind.SHU_CREDITED),
             "params": {"year": plan.year, "amount": s.total, "to": to}, "url": f"/k/{koperasi.slug}/me",
             "created_at": utcnow()} for s, to in paid]
    # notify() one by one would flush 500 times a batch: the same rows, inserted at once.
    for note_id in db.session.scalars(sa.insert(Notification).returning(Notification.id), rows):
        jobs.later("web.push.deliver", note_id)


def post_rest(plan_id: int, by_id: int | None = None) -> None:
    """Once every member's share is posted: the reserve and the funds, one entry; the plan is posted."""
    lock(ShuPlan, plan_id)
    plan = db.session.get(ShuPlan, plan_id)
    if plan.posted_at is not None:
        return
    if db.session.scalar(sa.select(ShuShare.id).where(ShuShare.plan_id == plan_id, ShuShare.paid_to.is_(None))
                         .limit(1)):
        return  # another run is still posting members
    parts = plan.amounts["parts"]
    legs = [Leg(purpose, -parts[part]) for part, purpose in FUNDS.items() if parts.get(part)]
    if legs:
        legs.append(Leg(Purpose.SHU_CURRENT, -sum(leg.amount for leg in legs)))
        entry = post(plan.koperasi, "shu", legs, by=db.session.get(User, by_id) if by_id else None,
                     memo=str(_l("SHU %(year)s: reserve and funds", year=plan.year)))
        plan.funds_entry_id = entry.id
    plan.posted_at = utcnow()
    db.session.flush()


# ---------------------------------------------------------------- what a member sees

def member_shu(membership: Membership) -> tuple[list[tuple[ShuPlan, ShuShare]], str]:
    """The member's share of every approved year (newest first) and their choice, sukarela or cash:
    one query (the member's page has a budget)."""
    rows = db.session.execute(
        sa.select(ShuChoice.paid_to, ShuPlan, ShuShare).select_from(Membership)
        .outerjoin(ShuChoice, ShuChoice.membership_id == Membership.id)
        .outerjoin(ShuShare, ShuShare.membership_id == Membership.id)
        .outerjoin(ShuPlan, sa.and_(ShuPlan.id == ShuShare.plan_id, ShuPlan.approved_at.is_not(None)))
        .where(Membership.id == membership.id).order_by(ShuPlan.year.desc())).all()
    choice = next((paid_to for paid_to, _plan, _share in rows if paid_to), SUKARELA)
    return [(plan, share) for _paid_to, plan, share in rows if plan is not None], choice


def job_of(plan: ShuPlan) -> jobs.Job | None:
    return db.session.get(jobs.Job, plan.job_id) if plan.job_id else None


def posted_count(plan: ShuPlan) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ShuShare).where(
        ShuShare.plan_id == plan.id, ShuShare.paid_to.is_not(None)))
