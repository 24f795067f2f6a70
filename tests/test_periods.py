"""Closed periods and the book year (models/periods.py, /office/books/periods): a closed month
refuses postings, months close in order, the year's close moves income and expenses into
SHU of the current year (and its amounts are the income statement's), reopening needs an
admin and a reason, and the statements say what was closed and reopened."""

from __future__ import annotations

import re
import threading
import time
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from models import books, periods, savings
from models.duties import Role
from models.errors import DomainError
from models.koperasi import Koperasi
from models.ledger import YEAR_CLOSE, Entry, Leg, Line, Purpose, SavingsBalance, post
from models.membership import Membership
from models.periods import PeriodEvent
from models.zones import WIB
from tests.conftest import board, fund, login
from web.extensions import db as _db

TODAY = WIB.today()
LAST_YEAR = TODAY.year - 1
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = (THIS_MONTH - timedelta(days=1)).replace(day=1)
NIKS = [f"32730115089{n:05d}" for n in range(1, 10)]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def at_wib(day: date, hour: int = 10) -> datetime:
    """A posting time (naive UTC) for ``hour`` o'clock WIB on ``day``."""
    return datetime(day.year, day.month, day.day) + timedelta(hours=hour - 7)


def count(model) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def kop(make_koperasi):
    return make_koperasi(name="Koperasi Buku Rapi", member_prefix="KBR", province_code="32")


@pytest.fixture
def year(kop, make_member, make_user, db):
    """Last year's books, written out: a member's savings, loan interest and fees, store sales,
    salaries, rent and interest on savings, across several months."""
    member = make_member(kop, user=make_user(full_name="Siti Aminah"), nik=NIKS[0])
    fund(kop, 1_000_000, "bank")  # the bank pays the rent (cash and bank never go below zero); dated today
    savings.deposit(member, "sukarela", 2_000_000, "cash", None, at=at_wib(date(LAST_YEAR, 1, 5)))
    book = [  # (day, kind, debit purpose, credit purpose, amount)
        (date(LAST_YEAR, 2, 10), "repayment", Purpose.CASH, Purpose.INTEREST, 120_000),
        (date(LAST_YEAR, 3, 1), "repayment", Purpose.CASH, Purpose.FEES, 30_000),
        (date(LAST_YEAR, 6, 15), "store_sale", Purpose.CASH, Purpose.SALES, 900_000),
        (date(LAST_YEAR, 7, 31), "cash_out", Purpose.SALARIES, Purpose.CASH, 400_000),
        (date(LAST_YEAR, 9, 1), "cash_out", Purpose.RENT, Purpose.BANK, 150_000),
        (date(LAST_YEAR, 12, 31), "cash_out", Purpose.SAVINGS_INTEREST, Purpose.SUKARELA, 25_000),
    ]
    for day, kind, debit, credit, amount in book:
        post(kop, kind, [Leg(debit, amount), Leg(credit, -amount)], by=None, at=at_wib(day, 23 if day.day == 31 else 10))
    db.session.commit()
    return member  # income 1.050.000, expenses 575.000: a surplus of Rp475.000


# ---------------------------------------------------------------- months

def test_a_posting_dated_in_a_closed_month_is_refused_and_nothing_is_saved(kop, year, db):
    periods.close_month(kop, date(LAST_YEAR, 1, 1), board(kop))
    periods.close_month(kop, date(LAST_YEAR, 2, 1), board(kop))
    db.session.commit()
    entries, lines = count(Entry), count(Line)
    held = db.session.get(SavingsBalance, (year.id, "sukarela")).balance
    with pytest.raises(DomainError, match="Periode ini sudah ditutup"):
        savings.deposit(year, "sukarela", 50_000, "cash", None, at=at_wib(date(LAST_YEAR, 2, 28), 23))
    db.session.rollback()
    assert (count(Entry), count(Line)) == (entries, lines)
    assert db.session.get(SavingsBalance, (year.id, "sukarela")).balance == held
    # the month after is open, and the koperasi's own midnight is the border (1 March 00:30 WIB is 28 Feb in UTC)
    savings.deposit(year, "sukarela", 50_000, "cash", None, at=at_wib(date(LAST_YEAR, 3, 1), 0) + timedelta(minutes=30))
    db.session.commit()
    assert count(Entry) == entries + 1


def test_months_close_in_order_and_only_after_they_end(kop, year, db):
    with pytest.raises(DomainError, match=f"{LAST_YEAR}-01"):
        periods.close_month(kop, date(LAST_YEAR, 3, 1), board(kop))
    with pytest.raises(DomainError, match="setelah bulan itu berakhir"):
        periods.close_month(kop, THIS_MONTH, board(kop))
    with pytest.raises(DomainError, match="setelah bulan itu berakhir"):
        periods.close_month(kop, date(TODAY.year + 1, 1, 1), board(kop))
    db.session.rollback()
    assert count(PeriodEvent) == 0
    assert periods.close_month(kop, date(LAST_YEAR, 1, 1), board(kop)) is not None
    assert periods.close_month(kop, date(LAST_YEAR, 1, 1), board(kop)) is None  # again: nothing more
    # February has postings: March waits for it; a month without postings does not hold anyone up
    with pytest.raises(DomainError, match=f"{LAST_YEAR}-02"):
        periods.close_month(kop, date(LAST_YEAR, 3, 1), board(kop))
    assert count(PeriodEvent) == 1


# ---------------------------------------------------------------- the book year

def test_closing_the_year_moves_income_and_expenses_into_shu(kop, year, db):
    before = books.hasil_usaha(kop, date(LAST_YEAR, 1, 1), date(LAST_YEAR, 12, 31))
    assert (before.income.total, before.expenses.total, before.surplus) == (1_050_000, 575_000, 475_000)
    event = periods.close_year(kop, LAST_YEAR, board(kop))
    db.session.commit()
    closing = db.session.get(Entry, event.entry_id)
    assert closing.kind == YEAR_CLOSE
    assert closing.posted_at == datetime(LAST_YEAR, 12, 31, 16, 59, 59, 999999)  # 23:59:59.999999 WIB
    # the closing entry's amounts are the income statement's, account by account
    moved = {line.account.code: line.amount for line in closing.lines}
    expected = {row.code: row.amount for row in before.income.rows if row.amount}
    expected |= {row.code: -row.amount for row in before.expenses.rows if row.amount}
    assert moved == {**expected, "3401": -475_000}
    # at year end, income and expenses are zero, SHU of the current year holds the surplus, the sheet balances
    sheet = books.neraca(kop, date(LAST_YEAR, 12, 31))
    trial = books.trial_balance(kop, date(LAST_YEAR, 1, 1), date(LAST_YEAR, 12, 31))
    ends = {row.code: row.debit - row.credit for row in trial.rows}
    assert all(ends[row.code] == 0 for row in trial.rows if row.kind in ("income", "expense"))
    assert sheet.surplus == 0 and sheet.balanced and trial.balanced
    assert next(r.amount for r in sheet.equity.rows if r.purpose == Purpose.SHU_CURRENT) == 475_000
    # every month of the year is closed: a posting dated in it is refused
    assert all(periods.is_closed(kop, periods.MONTH, m) for m in periods.months_of(LAST_YEAR))
    entries = count(Entry)
    with pytest.raises(DomainError, match="closed|ditutup"):
        post(kop, "cash_out", [Leg(Purpose.RENT, 10_000), Leg(Purpose.CASH, -10_000)], by=None,
             at=at_wib(date(LAST_YEAR, 5, 5)))
    db.session.rollback()
    # closing twice changes nothing more
    assert periods.close_year(kop, LAST_YEAR, board(kop)) is None
    db.session.commit()
    assert count(Entry) == entries and count(PeriodEvent) == 13


def test_the_year_closes_after_its_months_were_closed_one_by_one(kop, year, db):
    """The usual way: December is closed in January, the year later; its closing entry still goes in."""
    for month in periods.months_of(LAST_YEAR):
        periods.close_month(kop, month, board(kop))
    event = periods.close_year(kop, LAST_YEAR, board(kop))
    db.session.commit()
    closing = {line.account.code: line.amount for line in db.session.get(Entry, event.entry_id).lines}
    assert closing["3401"] == -475_000 and sum(a for a in closing.values() if a > 0) == 1_050_000  # income debited
    assert books.neraca(kop, date(LAST_YEAR, 12, 31)).balanced


def test_the_current_year_cannot_be_closed(kop, db):
    with pytest.raises(DomainError, match="31 Desember"):
        periods.close_year(kop, TODAY.year, board(kop))


def test_reopening_needs_a_reason_and_reverses_the_closing_entry(kop, year, db, make_staff):
    admin = make_staff(kop, "admin")
    closed = periods.close_year(kop, LAST_YEAR, board(kop))
    db.session.commit()
    events = count(PeriodEvent)
    for reason in ("", "   ", "ok", "x" * 201):
        with pytest.raises(DomainError) as refused:
            periods.reopen_year(kop, LAST_YEAR, admin, reason)
        assert refused.value.field == "reason"
    with pytest.raises(DomainError, match="buka dulu tahun buku"):
        periods.reopen_month(kop, date(LAST_YEAR, 3, 1), admin, "Salah catat sewa bulan Maret")
    db.session.rollback()
    assert count(PeriodEvent) == events
    event = periods.reopen_year(kop, LAST_YEAR, admin, "Koreksi beban sewa yang salah catat")
    assert periods.reopen_year(kop, LAST_YEAR, admin, "Koreksi beban sewa yang salah catat") is event  # a double tap
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.reverses_id.is_not(None))) == 1
    reversal = db.session.get(Entry, event.entry_id)
    assert reversal.kind == YEAR_CLOSE and reversal.reverses_id == closed.entry_id
    assert reversal.posted_at == db.session.get(Entry, closed.entry_id).posted_at  # dated the same moment
    after = books.hasil_usaha(kop, date(LAST_YEAR, 1, 1), date(LAST_YEAR, 12, 31))
    assert (after.income.total, after.expenses.total) == (1_050_000, 575_000)  # back in their accounts
    assert not any(periods.is_closed(kop, periods.MONTH, m) for m in periods.months_of(LAST_YEAR))
    # a correction in the reopened year, then the year closes again with the corrected figures
    post(kop, "cash_out", [Leg(Purpose.RENT, 50_000), Leg(Purpose.CASH, -50_000)], by=admin, at=at_wib(date(LAST_YEAR, 9, 2)))
    again = periods.close_year(kop, LAST_YEAR, board(kop))
    db.session.commit()
    shu = {line.account.code: line.amount for line in db.session.get(Entry, again.entry_id).lines}["3401"]
    assert shu == -425_000 and books.neraca(kop, date(LAST_YEAR, 12, 31)).balanced


def test_reopening_a_month(kop, year, db, make_staff):
    admin = make_staff(kop, "admin")
    periods.close_month(kop, date(LAST_YEAR, 1, 1), board(kop))
    with pytest.raises(DomainError, match="belum ditutup"):
        periods.reopen_month(kop, date(LAST_YEAR, 2, 1), admin, "Tidak pernah ditutup")
    periods.reopen_month(kop, date(LAST_YEAR, 1, 1), admin, "Setoran tanggal 5 salah nominal")
    periods.reopen_month(kop, date(LAST_YEAR, 1, 1), admin, "Setoran tanggal 5 salah nominal")  # a double tap
    post(kop, "cash_out", [Leg(Purpose.SUPPLIES, 5_000), Leg(Purpose.CASH, -5_000)], by=admin,
         at=at_wib(date(LAST_YEAR, 1, 20)))
    db.session.commit()
    history = db.session.scalars(sa.select(PeriodEvent.action).order_by(PeriodEvent.id)).all()
    assert history == ["closed", "reopened"]


def test_the_history_is_append_only(kop, year, db):
    event = periods.close_month(kop, date(LAST_YEAR, 1, 1), board(kop))
    db.session.commit()
    event.action = "reopened"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_notes_say_what_was_closed_and_reopened(kop, year, db, make_staff, make_user):
    admin = make_staff(kop, "admin", user=make_user(full_name="Ibu Ratna"))
    periods.close_year(kop, LAST_YEAR, board(kop))
    db.session.commit()
    notes = periods.notes(kop, date(LAST_YEAR, 3, 1), date(LAST_YEAR, 3, 31))
    assert [(n.scope, n.action) for n in notes] == [("year", "closed")]  # the year stands for its months
    periods.reopen_year(kop, LAST_YEAR, admin, "Koreksi beban sewa")
    db.session.commit()
    notes = periods.notes(kop, date(LAST_YEAR, 3, 1), date(LAST_YEAR, 3, 31))
    assert [(n.scope, n.action, n.by, n.reason) for n in notes] == [("year", "reopened", "Ibu Ratna", "Koreksi beban sewa")]
    assert periods.notes(kop, date(LAST_YEAR - 1, 1, 1), date(LAST_YEAR - 1, 12, 31)) == []
    assert [n.action for n in periods.notes(kop, None, date(LAST_YEAR, 12, 31))] == ["reopened"]  # a balance sheet
    assert periods.notes(kop, None, date(TODAY.year, 1, 31)) == []  # next year's says nothing of this one


# ---------------------------------------------------------------- the office page

@pytest.fixture
def staff(app, kop, make_staff, make_user):
    return {role: login(app.test_client(), make_staff(kop, role, user=make_user(full_name=f"Staf {role}")))
            for role in (Role.PENGAWAS, Role.TELLER, Role.PENGURUS, Role.ADMIN)}


def page_of(kop) -> str:
    return f"/k/{kop.slug}/office/books/periods"


def test_the_page_shows_each_month_and_buttons_by_role(kop, year, staff, db):
    periods.close_month(kop, date(LAST_YEAR, 1, 1), board(kop))
    db.session.commit()
    for role, close, reopen in ((Role.PENGAWAS, False, False), (Role.TELLER, False, False),
                                (Role.PENGURUS, True, False), (Role.ADMIN, True, True)):
        html = staff[role].get(page_of(kop)).text
        assert f"Tahun buku {LAST_YEAR}" in html and "Terbuka" in html and "Ditutup oleh" in text_of(html)
        assert ('value="close_month"' in html) is close and ('value="close_year"' in html) is close
        assert ('value="reopen"' in html) is reopen
    staff[Role.ADMIN].post("/language", data={"lang": "en", "next": "/"})
    assert f"Book year {LAST_YEAR}" in staff[Role.ADMIN].get(page_of(kop)).text


def test_a_pengurus_closes_a_month_and_an_admin_reopens_it(kop, staff, db):
    pengurus, admin = staff[Role.PENGURUS], staff[Role.ADMIN]
    month = LAST_MONTH.strftime("%Y-%m")
    done = pengurus.post(page_of(kop), data={"form": "close_month", "scope": "month", "period": month})
    assert done.status_code == 303
    page = text_of(pengurus.get(page_of(kop)).text)
    assert "Ditutup oleh Staf pengurus" in page and 'value="reopen"' not in pengurus.get(page_of(kop)).text
    # no reason: refused, nothing recorded, the form comes back open with the message
    refused = admin.post(page_of(kop), data={"form": "reopen", "scope": "month", "period": month, "reason": " "})
    assert refused.status_code == 422 and "<details open" in refused.text
    assert count(PeriodEvent) == 1
    done = admin.post(page_of(kop), data={"form": "reopen", "scope": "month", "period": month,
                                          "reason": "Biaya listrik belum dicatat"})
    assert done.status_code == 303
    assert "Dibuka kembali oleh Staf admin" in text_of(admin.get(page_of(kop)).text)
    # the statements of that month say so
    month_end = THIS_MONTH - timedelta(days=1)
    report = text_of(admin.get(f"/k/{kop.slug}/office/books/hasil-usaha?from={LAST_MONTH}&to={month_end}").text)
    assert "dibuka kembali" in report and "Biaya listrik belum dicatat" in report


def test_closing_a_year_asks_for_confirmation(kop, year, staff, db):
    pengurus = staff[Role.PENGURUS]
    form = {"form": "close_year", "scope": "year", "period": str(LAST_YEAR)}
    refused = pengurus.post(page_of(kop), data=form)
    assert refused.status_code == 422 and "Centang kotak untuk mengonfirmasi" in refused.text
    assert count(PeriodEvent) == 0 and not db.session.scalar(sa.select(Entry.id).where(Entry.kind == YEAR_CLOSE))
    assert pengurus.post(page_of(kop), data={**form, "confirm": "y"}).status_code == 303
    assert db.session.scalar(sa.select(Entry.id).where(Entry.kind == YEAR_CLOSE))
    assert f"Tahun buku {LAST_YEAR} ditutup" in text_of(pengurus.get(
        f"/k/{kop.slug}/office/books/neraca?at={LAST_YEAR}-12-31").text)


def test_an_admin_reopens_the_year_from_the_page_and_the_ledger_shows_both_entries(kop, year, staff, db):
    periods.close_year(kop, LAST_YEAR, board(kop))
    db.session.commit()
    form = {"form": "reopen", "scope": "year", "period": str(LAST_YEAR), "reason": "Audit pengawas: beban sewa salah"}
    assert staff[Role.PENGURUS].post(page_of(kop), data=form).status_code == 403
    done = staff[Role.ADMIN].post(page_of(kop), data=form)
    assert done.status_code == 303
    assert f"Tahun buku {LAST_YEAR} dibuka kembali." in text_of(staff[Role.ADMIN].get(page_of(kop)).text)
    ledger = text_of(staff[Role.PENGAWAS].get(
        f"/k/{kop.slug}/office/books/accounts/3401?from={LAST_YEAR}-12-01&to={LAST_YEAR}-12-31").text)
    assert f"Penutupan tahun buku · Penutupan tahun buku {LAST_YEAR}" in ledger  # the close, then its reversal
    assert f"Penutupan tahun buku · Tahun buku {LAST_YEAR} dibuka kembali: Audit pengawas: beban sewa salah" in ledger
    assert not periods.is_closed(kop, periods.YEAR, date(LAST_YEAR, 1, 1))


@pytest.mark.parametrize("period", ["2026-13", "26-01", "abcd-ef", "1800-01"])
def test_a_period_that_does_not_exist_is_refused_not_a_500(kop, staff, period):
    response = staff[Role.PENGURUS].post(page_of(kop), data={"form": "close_month", "scope": "month", "period": period})
    assert response.status_code == 422 and "Periode ini tidak ada" in response.text
    assert count(PeriodEvent) == 0


# ---------------------------------------------------------------- a close and a posting at once (PostgreSQL)

def _in_request(app, work, done: dict, name: str) -> threading.Thread:
    """``work()`` in a request of its own (its own connection), committed; its outcome and the
    moment its commit returned go into ``done[name]``."""
    def run():
        with app.test_request_context("/", method="POST"):
            try:
                work()
                _db.session.commit()
                done[name] = ("done", time.monotonic())
            except DomainError as error:
                _db.session.rollback()
                done[name] = ("refused", str(error.message))
            finally:
                _db.session.remove()
    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.postgres_only
def test_a_posting_in_flight_holds_the_close_back(app, kop, year, db):
    """The posting checked the month while it was open: the close waits for it to commit,
    so no posting lands in a month after its close."""
    k, member, month = kop.id, year.id, date(LAST_YEAR, 1, 1)
    db.session.commit()
    checked, done = threading.Event(), {}

    def posting():
        savings.deposit(db.session.get(Membership, member), "sukarela", 10_000, "cash", None, at=at_wib(date(LAST_YEAR, 1, 20)))
        checked.set()
        time.sleep(0.5)  # a slow request, still open

    def closing():
        checked.wait(10)
        periods.close_month(db.session.get(Koperasi, k), month, None)

    threads = [_in_request(app, posting, done, "posting"), _in_request(app, closing, done, "closing")]
    for thread in threads:
        thread.join(30)
    assert done["posting"][0] == done["closing"][0] == "done"
    assert done["closing"][1] > done["posting"][1]  # the close committed after the posting did


@pytest.mark.postgres_only
def test_a_close_in_flight_refuses_the_posting(app, kop, year, db):
    k, member, month = kop.id, year.id, date(LAST_YEAR, 1, 1)
    db.session.commit()
    entries, closed, done = count(Entry), threading.Event(), {}

    def closing():
        periods.close_month(db.session.get(Koperasi, k), month, None)
        closed.set()
        time.sleep(0.5)

    def posting():
        closed.wait(10)
        savings.deposit(db.session.get(Membership, member), "sukarela", 10_000, "cash", None, at=at_wib(date(LAST_YEAR, 1, 20)))

    threads = [_in_request(app, closing, done, "closing"), _in_request(app, posting, done, "posting")]
    for thread in threads:
        thread.join(30)
    assert done["closing"][0] == "done" and done["posting"][0] == "refused"
    assert "sudah ditutup" in done["posting"][1]
    _db.session.expire_all()
    assert count(Entry) == entries

