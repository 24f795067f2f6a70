"""Interest on simpanan sukarela at month end: the daily balances, both methods worked out
by hand, the PP 15/2009 tax threshold, once per member and month whatever happens, the
settings' legal cap, and what the member's statement shows."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from models import books_check, ledger, months, savings
from models import savings_interest as si
from models.koperasi import Koperasi
from models.ledger import Entry
from models.membership import Membership
from tests.conftest import board, login
from tests.test_duties import profile_form
from tests.test_ledger_concurrency import race
from web.extensions import db as _db

NIKS = [f"32730115089{n:05d}" for n in range(1, 20)]
MARCH = date(2026, 3, 1)


def utc(wib: str) -> datetime:
    """A WIB wall-clock time as the naive UTC the database keeps."""
    return datetime.fromisoformat(wib) - timedelta(hours=7)


@pytest.fixture
def kop(make_koperasi, db):
    k = make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB", pokok_idr=100_000, wajib_idr=20_000)
    k.savings_rate_bp = 600  # 6 % a year
    db.session.commit()
    return k


@pytest.fixture
def member(kop, make_member, make_user):
    return make_member(kop, user=make_user(full_name="Siti Aminah"), nik=NIKS[0])


@pytest.fixture
def march(kop, member, db):
    """Sukarela in March 2026 (31 days, WIB):
    1 Mar 01:00 WIB (28 Feb 18:00 UTC) +1.000.000 → days 1–4:   1.000.000
    5 Mar  +2.000.000                             → days 5–19:  3.000.000
    20 Mar −2.500.000                             → days 20–24:   500.000
    25 Mar +500.000                               → days 25–31: 1.000.000
    1 Apr 02:00 WIB (31 Mar 19:00 UTC) +9.000.000: April's, not March's."""
    savings.deposit(member, "sukarela", 1_000_000, "cash", None, at=utc("2026-03-01 01:00"))
    savings.deposit(member, "sukarela", 2_000_000, "cash", None, at=utc("2026-03-05 10:00"))
    savings.withdraw(member, 2_500_000, "cash", None, at=utc("2026-03-20 15:00"))
    savings.deposit(member, "sukarela", 500_000, "bank", None, at=utc("2026-03-25 09:00"))
    savings.deposit(member, "sukarela", 9_000_000, "cash", None, at=utc("2026-04-01 02:00"))
    db.session.commit()


MARCH_DAYS = [1_000_000] * 4 + [3_000_000] * 15 + [500_000] * 5 + [1_000_000] * 7


def test_the_daily_balances_come_from_the_lines_in_the_koperasis_days(kop, member, march):
    assert len(MARCH_DAYS) == 31
    assert si.daily_balances(kop, member.id, MARCH) == MARCH_DAYS


def test_interest_on_the_lowest_daily_balance_by_hand(kop, member, march):
    kop.interest_method = "minimum"
    worked = si.work_out(kop, member.id, MARCH)
    # 500.000 × 6 % × 31 / 365 = 2.547,95 → Rp2.548
    assert worked.base == 500_000 and worked.interest == 2_548 and worked.tax == 0


def test_interest_on_the_average_daily_balance_by_hand(kop, member, march):
    kop.interest_method = "average"
    worked = si.work_out(kop, member.id, MARCH)
    # Σ daily = 4 × 1.000.000 + 15 × 3.000.000 + 5 × 500.000 + 7 × 1.000.000 = 58.500.000
    # 58.500.000 / 31 × 6 % × 31 / 365 = 58.500.000 × 6 % / 365 = 9.616,44 → Rp9.616
    assert sum(worked.daily) == 58_500_000 and worked.interest == 9_616


@pytest.mark.parametrize("balance, interest, tax", [
    (32_444_444, 240_000, 0),  # 32.444.444 × 9 % × 30 / 365 = 239.999,997 → 240.000: not above, no tax
    (32_444_580, 240_001, 24_000),  # → 240.001: above, 10 % of all of it = 24.000,1 → 24.000
])
def test_the_tax_starts_above_rp240000(kop, balance, interest, tax):
    kop.savings_rate_bp, kop.interest_method, kop.interest_tax = 900, "average", True
    worked = si.work_out(kop, 0, date(2026, 4, 1), daily=[balance] * 30)
    assert (worked.interest, worked.tax) == (interest, tax)
    kop.interest_tax = False  # the koperasi's setting: no withholding
    assert si.work_out(kop, 0, date(2026, 4, 1), daily=[balance] * 30).tax == 0


def _kinds(member_id: int) -> list[tuple[str, int]]:
    return _db.session.execute(sa.select(Entry.kind, sa.func.count()).where(
        Entry.membership_id == member_id, Entry.kind.in_(si.MONTH_END_KINDS)).group_by(Entry.kind)
        .order_by(Entry.kind)).all()


def test_posted_once_with_the_tax_and_the_cached_balance(kop, member, db, make_member, make_user):
    kop.savings_rate_bp, kop.interest_method = 900, "average"
    rich = make_member(kop, user=make_user(full_name="Budi Kaya"), nik=NIKS[1])
    savings.deposit(rich, "sukarela", 40_000_000, "bank", None, at=utc("2026-02-10 10:00"))
    db.session.commit()
    before = ledger.balances(rich.id)["sukarela"]
    run = si.post_interest(kop, MARCH)
    db.session.commit()
    # 40.000.000 × 9 % × 31 / 365 = 305.753,42 → 305.753; tax 10 % = 30.575,3 → 30.575
    assert [(i.interest, i.tax) for i in run.posted] == [(305_753, 30_575)]
    assert ledger.balances(rich.id)["sukarela"] == before + 305_753 - 30_575
    assert _kinds(rich.id) == [("interest_tax", 1), ("savings_interest", 1)]
    interest = db.session.scalar(sa.select(Entry).where(Entry.kind == "savings_interest"))
    assert interest.posted_at == months.closing_stamp(kop, MARCH)  # dated the last second of March
    assert {line.account.purpose: line.amount for line in interest.lines} == {
        "savings_interest": 305_753, "savings_sukarela": -305_753}
    tax = db.session.scalar(sa.select(Entry).where(Entry.kind == "interest_tax"))
    assert {line.account.purpose: line.amount for line in tax.lines} == {
        "savings_sukarela": 30_575, "tax_payable": -30_575}

    again = si.post_interest(kop, MARCH)  # a rerun: nothing more
    db.session.commit()
    assert again.posted == [] and again.already == 1
    assert _kinds(rich.id) == [("interest_tax", 1), ("savings_interest", 1)]
    assert books_check.check() == []


def test_a_crash_half_way_posts_nothing_twice(kop, member, march, db, monkeypatch, make_member, make_user):
    other = make_member(kop, user=make_user(full_name="Dewi"), nik=NIKS[2])
    savings.deposit(other, "sukarela", 2_000_000, "cash", None, at=utc("2026-02-01 10:00"))
    db.session.commit()
    real_post, calls = si.post, []

    def crashing(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 2:
            raise RuntimeError("the worker died")
        return real_post(*args, **kwargs)

    monkeypatch.setattr(si, "post", crashing)
    with pytest.raises(RuntimeError):
        si.post_interest(kop, MARCH)
    db.session.rollback()  # the process is gone: its transaction with it
    monkeypatch.setattr(si, "post", real_post)
    first = si.post_interest(kop, MARCH)
    db.session.commit()
    second = si.post_interest(kop, MARCH)
    db.session.commit()
    assert len(first.posted) == 2 and second.posted == [] and second.already == 2
    for membership in (member, other):
        assert _kinds(membership.id) == [("savings_interest", 1)]
    assert books_check.check() == []


def test_a_month_not_ended_is_refused(kop, member):
    with pytest.raises(si.DomainError):
        si.post_interest(kop, months.current(kop))


def test_the_month_end_postings_are_not_in_the_months_base(kop, member, march, db):
    kop.interest_method = "average"
    si.post_interest(kop, MARCH)
    db.session.commit()
    assert si.daily_balances(kop, member.id, MARCH) == MARCH_DAYS  # the interest is April's opening, not March's
    april = si.daily_balances(kop, member.id, date(2026, 4, 1))
    assert april[0] == 1_000_000 + 9_616 + 9_000_000


@pytest.mark.postgres_only
def test_two_workers_at_once_post_each_members_interest_once(app, kop, member, march, make_member, make_user):
    others = [make_member(kop, user=make_user(full_name=f"Anggota {i}"), nik=NIKS[3 + i]) for i in range(3)]
    for other in others:
        savings.deposit(other, "sukarela", 5_000_000, "cash", None, at=utc("2026-02-15 10:00"))
    _db.session.commit()
    kop_id = kop.id

    def work(_i):
        koperasi = _db.session.get(Koperasi, kop_id)
        return lambda: len(si.post_interest(koperasi, MARCH).posted)

    outcome = race(app, 4, work)
    assert outcome.crashed == [] and outcome.refused == []
    assert sum(outcome.done) == 4  # each of the 4 members once, whichever worker posted it
    count = _db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == "savings_interest"))
    assert count == 4
    assert books_check.check() == []


def test_the_statement_shows_interest_and_tax_as_their_own_lines(app, kop, member, db):
    kop.savings_rate_bp, kop.interest_method = 900, "minimum"
    savings.deposit(member, "sukarela", 40_000_000, "bank", None, at=utc("2026-02-10 10:00"))
    si.post_interest(kop, MARCH)
    db.session.commit()
    client = login(app.test_client(), db.session.get(Membership, member.id).user)
    page = client.get(f"/k/{kop.slug}/me?month=2026-03").text
    assert "Bunga simpanan sukarela" in page and "+Rp305.753" in page
    assert "Pajak final atas bunga (PPh, PP 15/2009)" in page and "-Rp30.575" in page


# ---------------------------------------------------------------- settings

def test_a_rate_above_the_cap_is_refused_with_the_form_back(app, kop, db):
    client = login(app.test_client(), board(kop))
    form = profile_form(kop, savings_rate_bp="9,5", interest_method="average", interest_tax="y", wajib_due_day="15")
    response = client.post(f"/k/{kop.slug}/office/profile", data=form)
    assert response.status_code == 422
    assert "Paling tinggi 9% setahun" in response.text and 'value="9,5"' in response.text
    db.session.expire_all()
    assert db.session.get(Koperasi, kop.id).savings_rate_bp == 600  # nothing saved
    form["savings_rate_bp"] = "9"
    assert client.post(f"/k/{kop.slug}/office/profile", data=form).status_code == 303
    db.session.expire_all()
    saved = db.session.get(Koperasi, kop.id)
    assert (saved.savings_rate_bp, saved.interest_method, saved.interest_tax, saved.wajib_due_day) == (
        900, "average", True, 15)


def test_a_due_day_beyond_28_is_refused(app, kop, db):
    client = login(app.test_client(), board(kop))
    form = profile_form(kop, savings_rate_bp="4,5", interest_method="minimum", wajib_due_day="31")
    response = client.post(f"/k/{kop.slug}/office/profile", data=form)
    assert response.status_code == 422 and "Pilih tanggal 1 sampai 28" in response.text
    db.session.expire_all()
    assert db.session.get(Koperasi, kop.id).wajib_due_day == 10


def test_the_month_end_command(app, kop, member, march, db):
    kop.interest_method = "minimum"
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["month-end", "--koperasi", kop.slug, "--month", "2026-03"])
    assert result.exit_code == 0, result.output
    assert f"{kop.slug} 2026-03 interest:" in result.output
    again = runner.invoke(args=["month-end", "--koperasi", kop.slug, "--month", "2026-03"])
    assert again.exit_code == 0 and "already 1" in again.output
    db.session.expire_all()
    assert _kinds(member.id) == [("savings_interest", 1)]
    refused = runner.invoke(args=["month-end", "--koperasi", kop.slug, "--month", months.label(months.current(kop))])
    assert refused.exit_code == 1
