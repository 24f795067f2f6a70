"""The koperasi's statements (models/books.py) on a small example computed by hand, and a
property: after any sequence of teller operations the trial balance sums to zero and the
balance sheet balances, and the statements agree with each other."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import books, books_check, books_flows, loans, savings
from models.accounts import User
from models.errors import DomainError
from models.ledger import CHART, Account
from models.market import open_store
from models.orders import Choice, add_to_cart, checkout, move
from tests.conftest import board, empty_tables, store_data
from web.extensions import db as _db

NIKS = [f"32730115089{n:05d}" for n in range(1, 10)]
PRODUCT = dict(name="Modal Usaha", method="flat", monthly_rate_bp=100, fee_bp=100, fee_mode="deducted",
               max_amount_idr=20_000_000, min_tenor=3, max_tenor=24, late_fee_mode="per_day", late_fee_idr=5_000)
EVER = (date(2000, 1, 1), date(2099, 12, 31))


def at_wib(day: date, hour: int) -> datetime:
    """A posting time (naive UTC) for ``hour`` o'clock WIB on ``day``."""
    return datetime(day.year, day.month, day.day) + timedelta(hours=hour - 7)


@pytest.fixture
def example(make_koperasi, make_staff, make_member, make_user, make_product, db):
    """A small koperasi in WIB (Bandung), written out so every figure below can be checked by hand:

    5 Jan  Siti and Budi pay simpanan pokok, Rp100.000 each, cash
    6 Jan  Siti: sukarela Rp1.500.000 cash, wajib Rp20.000 by bank
    10 Jan Budi borrows Rp1.200.000 (flat 1 %/month, 6 months, 1 % fee deducted): cash out Rp1.188.000
    1 Feb  03:00 WIB (still 31 Jan in UTC): Budi's sukarela Rp300.000 by bank
    10 Feb Budi's first instalment on time, cash: Rp200.000 principal + Rp12.000 interest
    later  the koperasi's own store sells 2 × Rp25.000, cash
    """
    kop = make_koperasi(pokok_idr=100_000, wajib_idr=20_000, province_code="32")
    teller = make_staff(kop, "teller")
    siti = make_member(kop, user=make_user(full_name="Siti Aminah"), status="approved", nik=NIKS[0])
    budi = make_member(kop, user=make_user(full_name="Budi Santoso"), status="approved", nik=NIKS[1])
    for member in (siti, budi):
        savings.deposit(member, "pokok", 100_000, "cash", teller, at=at_wib(date(2026, 1, 5), 9))
    savings.deposit(siti, "sukarela", 1_500_000, "cash", teller, at=at_wib(date(2026, 1, 6), 10))
    savings.deposit(siti, "wajib", 20_000, "bank", teller, at=at_wib(date(2026, 1, 6), 10))
    loan = loans.apply(budi, loans.save_product(kop, dict(PRODUCT)), 1_200_000, 6, "Modal warung kelontong")
    loans.approve(loan, board(kop))
    loans.disburse(loan, teller, "cash", today=date(2026, 1, 10))
    savings.deposit(budi, "sukarela", 300_000, "bank", teller, at=at_wib(date(2026, 2, 1), 3))
    loans.repay(loan, 212_000, "cash", teller, today=date(2026, 2, 10))
    own = open_store(db.session.get(User, kop.created_by_id), kop, store_data(name="Toko Koperasi"), own_store=True)
    buyer = make_user(full_name="Pembeli Umum")
    add_to_cart(buyer, make_product(own, price_idr=25_000, stock=4), 2)
    db.session.commit()
    [order] = checkout(buyer, {own.id: Choice("pickup", "cash")}, key="own-sale").orders
    for status in ("accepted", "ready", "completed"):
        move(order, status, board(kop), as_seller=True)
    db.session.commit()
    return kop


def amounts(group: books.Group) -> dict[str, int]:
    return {row.code: row.amount for row in group.rows if row.amount}


def test_the_chart_keeps_every_code_already_posted_to_and_has_the_standard_accounts():
    codes = {purpose: code for purpose, code, _kind, _label in CHART}
    assert {codes[p] for p in ("cash", "bank", "loans_receivable", "savings_sukarela", "settlement", "shu_payable",
                               "savings_pokok", "savings_wajib", "interest_income", "fee_income", "penalty_income",
                               "store_sales")} == {"1101", "1102", "1301", "2101", "2201", "2301", "3101", "3102",
                                                   "4101", "4102", "4103", "4201"}
    assert len(codes) == len(set(codes.values())) == len(CHART) == 41  # purposes and codes unique
    first_digit = {"asset": "1", "liability": "2", "equity": "3", "income": "4", "expense": "5"}
    assert all(code[0] == first_digit[kind] for _purpose, code, kind, _label in CHART)
    assert [code for _p, code, _k, _l in CHART] == sorted(codes.values())  # listed in code order
    assert all(len(purpose) <= 20 and len(code) <= 8 for purpose, code, _k, _l in CHART)  # fits the columns


def test_the_balance_sheet_at_the_end_of_january(example):
    sheet = books.neraca(example, date(2026, 1, 31))
    # cash 200.000 + 1.500.000 − 1.188.000; Budi's sukarela arrived on 1 Feb WIB
    assert amounts(sheet.assets) == {"1101": 512_000, "1102": 20_000, "1301": 1_200_000}
    assert amounts(sheet.liabilities) == {"2101": 1_500_000}
    assert amounts(sheet.equity) == {"3101": 200_000, "3102": 20_000, "3401": 12_000}  # the fee, not yet closed
    assert sheet.assets.total == 1_732_000 == sheet.liabilities_and_equity and sheet.surplus == 12_000
    assert len(sheet.assets.rows) + len(sheet.liabilities.rows) + len(sheet.equity.rows) == 26  # every account


def test_the_balance_sheet_with_everything(example):
    sheet = books.neraca(example, EVER[1])
    # cash 512.000 + 212.000 repaid + 50.000 sold; bank 20.000 + 300.000; loan 1.200.000 − 200.000
    assert amounts(sheet.assets) == {"1101": 774_000, "1102": 320_000, "1301": 1_000_000}
    assert amounts(sheet.liabilities) == {"2101": 1_800_000}
    assert amounts(sheet.equity) == {"3101": 200_000, "3102": 20_000, "3401": 74_000}  # fee + interest + sale
    assert sheet.assets.total == 2_094_000 == sheet.liabilities_and_equity


def test_the_income_statement_by_period(example):
    january = books.hasil_usaha(example, date(2026, 1, 1), date(2026, 1, 31))
    assert amounts(january.income) == {"4102": 12_000} and january.surplus == 12_000
    february = books.hasil_usaha(example, date(2026, 2, 1), date(2026, 2, 28))
    assert amounts(february.income) == {"4101": 12_000} and amounts(february.expenses) == {}
    everything = books.hasil_usaha(example, *EVER)
    assert amounts(everything.income) == {"4101": 12_000, "4102": 12_000, "4201": 50_000}
    assert everything.income.total == everything.surplus == 74_000 and everything.expenses.total == 0
    assert len(everything.income.rows) == 5 and len(everything.expenses.rows) == 10


def test_the_trial_balance_of_january(example):
    trial = books.trial_balance(example, date(2026, 1, 1), date(2026, 1, 31))
    moved = {row.code: (row.debit, row.credit) for row in trial.rows if row.debit or row.credit}
    assert moved == {"1101": (1_700_000, 1_188_000), "1102": (20_000, 0), "1301": (1_200_000, 0),
                     "2101": (0, 1_500_000), "3101": (0, 200_000), "3102": (0, 20_000), "4102": (0, 12_000)}
    assert trial.debit == trial.credit == 2_920_000
    assert len(trial.rows) == len(CHART)


def test_the_general_ledger_of_cash_in_february(example):
    cash = books.general_ledger(example, "1101", date(2026, 2, 1), date(2026, 2, 28))
    assert cash.opening == 512_000 and cash.closing == 724_000 and not cash.truncated
    [line] = cash.lines
    assert (line.entry_kind, line.debit, line.credit, line.balance) == ("repayment", 212_000, 0, 724_000)
    assert line.ref.startswith(example.member_prefix + "-")
    sukarela = books.general_ledger(example, "2101", *EVER)  # a credit account runs up with its credits
    assert [(line.credit, line.balance) for line in sukarela.lines] == [(1_500_000, 1_500_000), (300_000, 1_800_000)]
    assert books.general_ledger(example, "9999", *EVER) is None


def test_accounts_a_koperasi_has_not_been_given_yet_are_zero(example, db):
    """Koperasi registered before the full chart have only the accounts they posted to."""
    db.session.execute(sa.delete(Account).where(Account.koperasi_id == example.id, Account.code >= "5000"))
    db.session.commit()
    sheet = books.neraca(example, EVER[1])
    assert sheet.balanced and amounts(sheet.equity)["3401"] == 74_000
    assert books.general_ledger(example, "5201", *EVER).lines == []
    assert books_check.check_statements() == []


def test_ledger_check_names_an_account_outside_the_chart(example, db):
    db.session.add(Account(koperasi_id=example.id, purpose="mystery", code="1999", kind="asset"))
    db.session.commit()
    assert [p for p in books_check.check() if "not in the chart" in p] != []


# ---------------------------------------------------------------- property

START = date(2026, 3, 2)
steps = st.lists(st.one_of(
    st.tuples(st.just("deposit"), st.integers(0, 1), st.sampled_from(["wajib", "sukarela"]),
              st.integers(1, 2_000_000), st.sampled_from(["cash", "bank"])),
    st.tuples(st.just("withdraw"), st.integers(0, 1), st.integers(1, 1_500_000), st.sampled_from(["cash", "bank"])),
    st.tuples(st.just("borrow"), st.integers(0, 1), st.integers(100_000, 3_000_000), st.sampled_from(["cash", "bank"])),
    st.tuples(st.just("repay"), st.integers(1, 600_000), st.sampled_from(["cash", "bank", "sukarela"])),
    st.tuples(st.just("wait"), st.integers(1, 40)),
), min_size=3, max_size=12)


@settings(deadline=None, max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(steps=steps, cut=st.integers(0, 120))
def test_after_any_operations_the_statements_balance_and_agree(steps, cut, make_koperasi, make_staff, make_member,
                                                               make_user):
    empty_tables()
    kop = make_koperasi(pokok_idr=100_000, wajib_idr=25_000)
    teller = make_staff(kop, "teller")
    members = [make_member(kop, user=make_user(full_name=f"Anggota {n}"), nik=NIKS[n]) for n in range(2)]
    product = loans.save_product(kop, dict(PRODUCT))
    _db.session.commit()
    day, open_loans = START, []
    for op, *args in steps:
        try:
            if op == "wait":
                day += timedelta(days=args[0])
            elif op == "deposit":
                savings.deposit(members[args[0]], args[1], args[2], args[3], teller, at=at_wib(day, 10))
            elif op == "withdraw":
                savings.withdraw(members[args[0]], args[1], args[2], teller, at=at_wib(day, 10))
            elif op == "borrow":
                loan = loans.apply(members[args[0]], product, args[1], 6, "Modal usaha warung")
                loans.approve(loan, board(kop))
                loans.disburse(loan, teller, args[2], today=day)
                open_loans.append(loan)
            elif open_loans:
                loans.repay(open_loans[0], args[0], args[1], teller, today=day)
            _db.session.commit()
        except DomainError:
            _db.session.rollback()
    middle, end = START + timedelta(days=cut), day + timedelta(days=1)
    assert books_check.check_statements() == []
    for at in (START - timedelta(days=1), middle, end):
        sheet = books.neraca(kop, at)
        assert sheet.balanced, at
        trial = books.trial_balance(kop, START - timedelta(days=400), at)
        assert trial.debit == trial.credit
        # the balance sheet is the trial balance's net, account by account
        nets = {row.code: books.normal(row.kind, row.debit, row.credit) for row in trial.rows}
        assert {r.code: r.amount for r in sheet.assets.rows} == {r.code: nets[r.code] for r in sheet.assets.rows}
    # the surplus of a period is the change in the balance sheet's surplus over it
    earlier, later = books.neraca(kop, middle), books.neraca(kop, end)
    if middle < end:
        assert books.hasil_usaha(kop, middle + timedelta(days=1), end).surplus == later.surplus - earlier.surplus
    cash = books.general_ledger(kop, "1101", START, end)
    assert cash.closing == amounts(later.assets).get("1101", 0)
    assert (cash.lines[-1].balance if cash.lines else cash.opening) == cash.closing
    # the cash flow and the changes in equity agree with the balance sheet, now and in the period before
    start = min(middle, end)
    flow = books_flows.cash_flow(kop, start, end)
    cash_and_bank = amounts(later.assets).get("1101", 0) + amounts(later.assets).get("1102", 0)
    assert flow.opening + flow.net == flow.closing == cash_and_bank
    opening_sheet = books.neraca(kop, start - timedelta(days=1))
    assert flow.opening == amounts(opening_sheet.assets).get("1101", 0) + amounts(opening_sheet.assets).get("1102", 0)
    previous_sheet = books.neraca(kop, flow.previous_end)
    assert flow.previous_opening + flow.previous_net == flow.previous_closing == (
        amounts(previous_sheet.assets).get("1101", 0) + amounts(previous_sheet.assets).get("1102", 0))
    changes = books_flows.equity_changes(kop, start, end)
    assert changes.total("now").closing == later.equity.total
    assert changes.total("now").opening == opening_sheet.equity.total
    assert changes.total("before").closing == previous_sheet.equity.total
    assert {r.code: r.now.closing for r in changes.rows} == {r.code: r.amount for r in later.equity.rows}
    assert changes.surplus == books.hasil_usaha(kop, start, end).surplus
