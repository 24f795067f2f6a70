"""SHU: the hand-checked example, the arithmetic's properties, the refusals, the posting.

The example (tests/shu_setup.py), last year's books:
  income 12.000.003, expenses 2.000.000  → SHU = Rp10.000.003
  split: reserve 40 %, JM 20 %, JU 25 %, board 5 %, staff 5 %, education 2,5 %, social 2,5 %
  pools (rounded down): reserve 4.000.001 (4.000.001,2), JM 2.000.000 (2.000.000,6),
    JU 2.500.000 (2.500.000,75), board 500.000, staff 500.000, education 250.000, social 250.000
    → the pools sum to 10.000.001: 2 left by rounding.
  JM counts wajib + sukarela at 31 December (pokok was paid this year, and is not chosen):
    Ani 1.200.000 + 800.000 = 2.000.000; Budi 1.200.000; Citra 300.000; Dedi 0 → Σ 3.500.000
    Ani   2.000.000 × 2.000.000 / 3.500.000 = 1.142.857,14 → 1.142.857
    Budi  2.000.000 × 1.200.000 / 3.500.000 =   685.714,28 →   685.714
    Citra 2.000.000 ×   300.000 / 3.500.000 =   171.428,57 →   171.428   (Σ 1.999.999: 1 left)
  JU counts own-store and members'-store purchases and loan interest of last year:
    Ani interest 150.000; Budi own store 450.000; Dedi members' store 300.000 + interest 100.001
    = 400.001 (Ani's purchase on 2 January this year does not count) → Σ 1.000.001
    Ani  2.500.000 × 150.000 / 1.000.001 =   374.999,62 →   374.999
    Budi 2.500.000 × 450.000 / 1.000.001 = 1.124.998,87 → 1.124.998
    Dedi 2.500.000 × 400.001 / 1.000.001 = 1.000.001,49 → 1.000.001   (Σ 2.499.998: 2 left)
  reserve = 4.000.001 + 2 + 1 + 2 = 4.000.006
  totals: Ani 1.517.856, Budi 1.810.712, Citra 171.428, Dedi 1.000.001
  check: 4.000.006 + 1.999.999 + 2.499.998 + 500.000 + 500.000 + 250.000 + 250.000 = 10.000.003
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import books_check, jobs, periods, voting
from models import shu as domain
from models import shu_posting as posting
from models.base import utcnow
from models.errors import DomainError
from models.ledger import Account, Entry, Purpose, balances
from models.notifications import Kind, Notification
from tests.shu_setup import SPLIT, shu_year
from tests.test_ledger_concurrency import race
from web.extensions import db as _db


@pytest.fixture
def world(app, db, make_koperasi, make_member, make_user, make_store):
    return shu_year(make_koperasi, make_member, make_user, make_store)


def account(k, purpose) -> int:
    """The account's balance in its normal direction (credit positive for these)."""
    return -_db.session.scalar(sa.select(Account.balance).where(Account.koperasi_id == k.id,
                                                                Account.purpose == purpose,
                                                                Account.parent_id.is_(None)))


def approved(world):
    plan = domain.save_plan(world["k"], world["year"], dict(SPLIT), world["pengurus"])
    posting.approve(plan, world["pengurus"], world["meeting"])
    _db.session.commit()
    return plan


def post_all(plan, by):
    job = posting.start_posting(plan, by)
    _db.session.commit()
    posting.post_job(job.id)
    return _db.session.get(jobs.Job, job.id)


def test_the_hand_checked_example(world):
    k = world["k"]
    assert domain.income_statement_shu(k, world["year"]) == 10_000_003
    plan = domain.save_plan(k, world["year"], dict(SPLIT), world["pengurus"])
    division = domain.preview(plan)
    assert division.pools == {"reserve": 4_000_001, "jm": 2_000_000, "ju": 2_500_000, "board": 500_000,
                              "staff": 500_000, "education": 250_000, "social": 250_000, "others": 0}
    assert division.parts == {"reserve": 4_000_006, "jm": 1_999_999, "ju": 2_499_998, "board": 500_000,
                              "staff": 500_000, "education": 250_000, "social": 250_000, "others": 0}
    assert sum(division.parts.values()) == 10_000_003
    got = {s.membership_id: (s.savings, s.transactions, s.jm, s.ju, s.total) for s in division.members}
    assert got == {
        world["ani"].id: (2_000_000, 150_000, 1_142_857, 374_999, 1_517_856),
        world["budi"].id: (1_200_000, 450_000, 685_714, 1_124_998, 1_810_712),
        world["citra"].id: (300_000, 0, 171_428, 0, 171_428),
        world["dedi"].id: (0, 400_001, 0, 1_000_001, 1_000_001),
    }


def test_posting_credits_sukarela_or_cash_the_reserve_and_the_funds(world):
    k, ani, budi = world["k"], world["ani"], world["budi"]
    posting.set_choice(budi, posting.CASH)
    _db.session.commit()
    before_ani = balances(ani.id)["sukarela"]
    plan = approved(world)
    job = post_all(plan, world["pengurus"])
    assert (job.status, job.done, job.total) == (jobs.DONE, 4, 4)
    _db.session.expire_all()
    assert balances(ani.id)["sukarela"] == before_ani + 1_517_856
    assert balances(budi.id)["sukarela"] == 0  # he took cash: owed in SHU payable
    assert account(k, Purpose.SHU_PAYABLE) == 1_810_712  # Budi's cash; "others" is 0 %
    assert account(k, Purpose.RESERVE) == 4_000_006
    assert (account(k, Purpose.SHU_BOARD), account(k, Purpose.SHU_STAFF), account(k, Purpose.SHU_EDUCATION),
            account(k, Purpose.SHU_SOCIAL)) == (500_000, 500_000, 250_000, 250_000)
    assert account(k, Purpose.SHU_CURRENT) == 0  # the year's SHU all divided
    assert {e.posted_by_id for e in _db.session.scalars(sa.select(Entry).where(Entry.kind == "shu"))} == {
        world["pengurus"].id}  # who started the posting
    assert books_check.check() == []  # every cache equals its lines, every trial balance sums to zero
    debits = _db.session.scalar(sa.select(sa.func.sum(Account.balance)).where(Account.koperasi_id == k.id))
    assert debits == 0  # the trial balance: debits equal credits
    notes = _db.session.scalars(sa.select(Notification).where(Notification.kind == Kind.SHU_CREDITED)).all()
    assert {(n.user_id, n.params["amount"], n.params["to"]) for n in notes} == {
        (ani.user_id, 1_517_856, "sukarela"), (budi.user_id, 1_810_712, "cash"),
        (world["citra"].user_id, 171_428, "sukarela"), (world["dedi"].user_id, 1_000_001, "sukarela")}
    assert all(n.url == f"/k/{k.slug}/me" and n.params["year"] == world["year"] for n in notes)


def test_posting_twice_posts_nothing_more(world):
    plan = approved(world)
    post_all(plan, world["pengurus"])
    entries = _db.session.scalar(sa.select(sa.func.count()).select_from(Entry))
    with pytest.raises(DomainError):
        posting.start_posting(plan, world["pengurus"])
    _db.session.rollback()
    job = _db.session.get(jobs.Job, plan.job_id)
    posting.post_job(job.id)  # the finished job run again: nothing
    assert posting.post_batch(plan.id) == 0
    posting.post_rest(plan.id)
    _db.session.commit()
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Entry)) == entries


def test_a_run_stopped_midway_resumes_without_double_posting(world, monkeypatch):
    monkeypatch.setattr(posting, "BATCH", 1)
    plan = approved(world)
    job = posting.start_posting(plan, world["pengurus"])
    _db.session.commit()
    assert posting.post_batch(plan.id) == 1  # one batch, then the worker died
    _db.session.commit()
    posting.post_job(job.id)
    _db.session.expire_all()
    assert _db.session.get(jobs.Job, job.id).done == 4
    shu_entries = _db.session.scalars(sa.select(Entry).where(Entry.kind == "shu")).all()
    assert len(shu_entries) == 5  # four batches of one member, then the reserve and funds
    assert account(world["k"], Purpose.SHU_CURRENT) == 0


def test_refusals_change_nothing(world, make_koperasi):
    k, year, by = world["k"], world["year"], world["pengurus"]
    with pytest.raises(DomainError, match="99") as refused:  # "… add up to 99%: they must total exactly 100%"
        domain.save_plan(k, year, {**SPLIT, "reserve_bp": 3900}, by)
    assert refused.value.errors[0][0] == "reserve_bp"
    with pytest.raises(DomainError) as refused:
        domain.save_plan(k, year + 1, dict(SPLIT), by)  # this year: still open
    assert refused.value.errors[0][0] == "year"
    with pytest.raises(DomainError) as refused:
        domain.save_plan(k, year, {**SPLIT, "override_idr": 5_000_000, "override_reason": ""}, by)
    assert refused.value.errors[0][0] == "override_reason"
    _db.session.rollback()
    assert domain.plan_of(k, year) is None
    plan = domain.save_plan(k, year, dict(SPLIT), by)
    _db.session.commit()
    with pytest.raises(DomainError, match="RAT"):  # record the RAT's approval first
        posting.start_posting(plan, by)
    _db.session.rollback()
    other = make_koperasi(name="Koperasi Lain", member_prefix="KLN")
    world["meeting"].koperasi_id = other.id  # another koperasi's RAT does not approve this plan
    with pytest.raises(DomainError):
        posting.approve(plan, by, world["meeting"])
    _db.session.rollback()
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(posting.ShuShare)) == 0
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(jobs.Job)) == 0
    assert not _db.session.get(domain.ShuPlan, plan.id).approved


def test_the_rats_own_vote_on_the_split_decides(world):
    """Voted in Kopz: an open vote is waited for, a split voted down is refused, a passed one is recorded."""
    k, year, by, meeting = world["k"], world["year"], world["pengurus"], world["meeting"]
    plan = domain.save_plan(k, year, dict(SPLIT), by)
    start = utcnow() - timedelta(hours=3)
    motion = voting.create(meeting, voting.ProposalData(kind="motion", topic="shu", title=f"Pembagian SHU {year}",
                                                        opens_at=start, closes_at=utcnow() + timedelta(hours=1)),
                           by, now=start, announce_it=False)
    for member, choice in ((world["ani"], "no"), (world["budi"], "no"), (world["citra"], "yes")):
        voting.cast(motion, member, choice=choice, now=start + timedelta(minutes=5))
    _db.session.commit()
    with pytest.raises(DomainError, match="masih dibuka"):
        posting.approve(plan, by, meeting)
    _db.session.rollback()
    _db.session.get(voting.Proposal, motion.id).closes_at = start + timedelta(hours=1)  # the vote closed
    _db.session.commit()
    with pytest.raises(DomainError, match="menolak pembagian SHU"):
        posting.approve(plan, by, meeting)
    _db.session.rollback()
    assert not _db.session.get(domain.ShuPlan, plan.id).approved
    again = voting.create(meeting, voting.ProposalData(kind="motion", topic="shu", title=f"Pembagian SHU {year} (2)",
                                                       opens_at=start + timedelta(hours=1),
                                                       closes_at=start + timedelta(hours=2, minutes=30)),
                          by, now=start + timedelta(hours=1), announce_it=False)
    for member in (world["ani"], world["budi"]):
        voting.cast(again, member, choice="yes", now=start + timedelta(hours=1, minutes=5))
    posting.approve(plan, by, meeting)  # the last vote on it decides
    _db.session.commit()
    assert _db.session.get(domain.ShuPlan, plan.id).approved


def test_an_approved_split_no_longer_changes_and_an_override_is_used(world):
    k, year, by = world["k"], world["year"], world["pengurus"]
    plan = domain.save_plan(k, year, {**SPLIT, "override_idr": 9_000_000, "override_reason": "Koreksi audit"}, by)
    assert domain.preview(plan).shu == 9_000_000
    posting.approve(plan, by, world["meeting"])
    _db.session.commit()
    assert plan.amounts["shu"] == 9_000_000
    with pytest.raises(DomainError, match="RAT"):  # the RAT approved it: it no longer changes
        domain.save_plan(k, year, dict(SPLIT), by)


def test_a_year_whose_shu_the_rat_approved_is_not_reopened(world):
    approved(world)
    with pytest.raises(DomainError) as refused:
        periods.reopen_year(world["k"], world["year"], world["pengurus"], "Koreksi audit tahunan")
    assert refused.value.errors[0][0] == "year"
    _db.session.rollback()
    assert domain.income_statement_shu(world["k"], world["year"]) == 10_000_003  # still closed


def test_average_of_month_end_balances(world):
    """Ani: wajib 1.200.000 from March (10 month-ends), sukarela 800.000 from June (7):
    (1.200.000 × 10 + 800.000 × 7) / 12 = 1.466.666,67 → 1.466.666."""
    figures = domain.savings_figures(world["k"], world["year"], ["wajib", "sukarela"], domain.AVERAGE)
    assert figures[world["ani"].id] == 1_466_666
    assert figures[world["citra"].id] == 300_000 * 7 // 12


shares = st.dictionaries(st.integers(1, 60), st.integers(0, 10**10), max_size=30)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shu=st.integers(0, 10**13), cuts=st.lists(st.integers(0, 10_000), min_size=7, max_size=7),
       savings=shares, transactions=shares)
def test_shares_sum_to_the_pools_and_everything_to_the_shu(shu, cuts, savings, transactions):
    points = sorted(cuts)  # eight parts from seven cuts of 0..10.000: they total 100 %
    bp = dict(zip(domain.PARTS, [b - a for a, b in zip([0, *points], [*points, 10_000], strict=True)], strict=True))
    division = domain.split(shu, bp, savings, transactions)
    assert sum(division.parts.values()) == shu
    assert division.parts["jm"] == sum(s.jm for s in division.members) <= division.pools["jm"]
    assert division.parts["ju"] == sum(s.ju for s in division.members) <= division.pools["ju"]
    assert all(s.jm >= 0 and s.ju >= 0 for s in division.members)
    assert division.remainder >= 0
    if sum(v for v in savings.values() if v > 0):  # someone earned JM: rounding leaves less than one Rupiah each
        assert division.pools["jm"] - division.parts["jm"] < max(len(division.members), 1)


@pytest.mark.postgres_only
def test_two_runs_at_once_post_once(app, world, monkeypatch):
    """Two workers on the same posting (a retried job, a double start): each batch is taken once."""
    monkeypatch.setattr(posting, "BATCH", 1)
    plan = approved(world)
    job = posting.start_posting(plan, world["pengurus"])
    _db.session.commit()
    job_id, k_id = job.id, world["k"].id
    outcome = race(app, 2, lambda i: lambda: posting.post_job(job_id))
    assert not outcome.crashed and not outcome.refused
    _db.session.expire_all()
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(
        Entry.koperasi_id == k_id, Entry.kind == "shu")) == 5  # four members, then the reserve and funds, once
    assert account(world["k"], Purpose.SHU_CURRENT) == 0
    assert balances(world["ani"].id)["sukarela"] == 800_000 + 1_517_856
    assert _db.session.get(jobs.Job, job_id).status == jobs.DONE
    assert books_check.check() == []
