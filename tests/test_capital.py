"""Working capital from the sales record: the record equals the orders, the ceiling, and
repayment from sales (never more than owed, once per order, stops at payoff, taken back
with a refund)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from models import books_check, capital, loans, months, sales_record
from models import orders as shop
from models.accounts import User
from models.capital import CapitalLoan, SaleDeduction
from models.errors import DomainError
from models.ledger import Entry, balances
from models.loans import LoanStatus
from tests import capital_setup
from tests.capital_setup import WORKING, buyers, cancel, capital_loan, sell
from tests.conftest import board
from web.extensions import db as _db

TODAY = date(2026, 7, 15)  # the record then covers 2026-01 … 2026-06

kop, store, goods = capital_setup.kop, capital_setup.store, capital_setup.goods  # the shared fixtures


def at(month: int, day: int = 10) -> datetime:
    return datetime(2026, month, day, 5)


@pytest.fixture
def teller(kop, make_staff):
    return make_staff(kop, "teller")


@pytest.fixture
def people(kop, make_member, make_user):
    return buyers(kop, make_member, make_user, 3)


def seller_of(store) -> User:
    return _db.session.get(User, store.owner_id)


# ---------------------------------------------------------------- the record

def test_the_record_equals_the_orders_month_by_month(store, goods, people, db):
    a, b, c = people
    sell(a, goods, 1, when=at(1))          # January: 100.000
    sell(a, goods, 2, when=at(2))          # February: 200.000 (a: repeat buyer)
    sell(b, goods, 1, "cash", when=at(2))  # February: +100.000, paid in cash: still a sale
    sell(b, goods, 3, when=at(5))          # May: 300.000 (b: repeat buyer)
    sell(c, goods, 4, when=at(6, 30))      # June: 400.000 (c: once)
    sell(c, goods, 9, when=at(7, 2))       # July: the running month, not in the record
    sell(a, goods, 9, when=datetime(2025, 12, 31, 5))  # before the window
    cancel(c, goods, when=at(3))
    cancel(a, goods, when=at(7))           # the running month: not counted
    rec = sales_record.record(store, today=TODAY)
    assert [(m.month, m.sales, m.orders) for m in rec.months] == [
        ("2026-01", 100_000, 1), ("2026-02", 300_000, 2), ("2026-03", 0, 0), ("2026-04", 0, 0),
        ("2026-05", 300_000, 1), ("2026-06", 400_000, 1)]
    assert (rec.orders, rec.cancellations, rec.repeat_buyers) == (5, 1, 2)
    # growth: (Apr–Jun 700.000 − Jan–Mar 400.000) / 400.000 = 75 %
    assert rec.growth_bp == 7500 and rec.sales == 1_100_000 and rec.average(3) == 233_333


def test_growth_is_none_when_the_earlier_months_sold_nothing(store, goods, people, db):
    sell(people[0], goods, 1, when=at(6))
    assert sales_record.record(store, today=TODAY).growth_bp is None


def test_the_application_keeps_the_record_as_it_was(kop, store, goods, people, teller, db):
    sell(people[0], goods, 2, when=at(5))
    loan = capital_loan(kop, store, teller, pledge=0, today=TODAY)
    sell(people[1], goods, 5, when=at(6))  # sold after applying: not in what the seller showed
    cap = _db.session.get(CapitalLoan, loan.id)
    shown = sales_record.snapshot(cap)
    assert shown.sales == 200_000 and shown.orders == 1
    assert sales_record.record(store, today=TODAY).sales == 700_000


def test_the_ceiling_follows_the_rule_less_what_the_seller_owes(kop, store, goods, people, teller, db):
    for month in range(1, 7):
        sell(people[month % 3], goods, 10, when=at(month))  # 1.000.000 a month
    rec = sales_record.record(store, today=TODAY)
    membership = store.membership_id
    assert sales_record.ceiling(kop.id, rec, membership).suggested == 1_500_000  # default 150 % of 6 months
    capital.save_rule(kop, 200, 3)
    first = capital_loan(kop, store, teller, amount=500_000, tenor=5, pledge=0, today=TODAY)
    c = sales_record.ceiling(kop.id, rec, membership)
    assert (c.average, c.by_rule, c.outstanding, c.suggested) == (1_000_000, 2_000_000, 500_000, 1_500_000)
    assert sales_record.ceiling(kop.id, rec, membership, loan_id=first.id).outstanding == 0


@pytest.mark.parametrize("percent,months", [(5, 6), (501, 6), (150, 0), (150, 7), (None, 6), ("150", 6)])
def test_a_rule_out_of_range_is_refused(kop, percent, months, db):
    with pytest.raises(DomainError):
        capital.save_rule(kop, percent, months)


def test_only_the_owner_of_an_open_member_store_applies(kop, store, make_store, make_user, db):
    product = loans.save_product(kop, dict(WORKING))
    stranger = make_user(full_name="Orang Lain")
    with pytest.raises(DomainError):
        sales_record.apply_for_capital(store, stranger, product, 1_000_000, 6, "Tambah stok", 10)
    pending = make_store(kop, owner=make_user(full_name="Toko Baru"), status="pending", name="Toko Baru")
    with pytest.raises(DomainError):
        sales_record.apply_for_capital(pending, seller_of(pending), product, 1_000_000, 6, "Tambah stok", 10)
    for pledge in (51, -1, "x"):
        with pytest.raises(DomainError):
            sales_record.apply_for_capital(store, seller_of(store), product, 1_000_000, 6, "Tambah stok", pledge)


# ---------------------------------------------------------------- repayment from sales

def test_a_completed_savings_order_pays_its_share_in_one_entry(kop, store, goods, people, teller, db):
    loan = capital_loan(kop, store, teller, pledge=10)
    owed_before = loans.owed(loan).total
    order = sell(people[0], goods, 2)
    deduction = capital.deduction_of(order.id)
    entry = _db.session.get(Entry, deduction.entry_id)
    assert deduction.amount_idr == 20_000 and entry.kind == "repayment" and entry.memo == order.number
    assert sum(line.amount for line in entry.lines) == 0 and entry.total == 20_000
    _db.session.refresh(loan)
    assert loans.owed(loan).total == owed_before - 20_000
    assert balances(store.membership_id)["sukarela"] == 180_000  # the proceeds less the share
    assert capital.from_orders(loan.id) == {entry.id: order.number}
    assert books_check.check() == []


def test_cash_orders_and_stores_without_a_pledge_pay_nothing(kop, store, goods, people, teller, db):
    loan = capital_loan(kop, store, teller, pledge=10)
    assert capital.deduction_of(sell(people[0], goods, 1, payment="cash").id) is None
    capital.set_pledge(_db.session.get(CapitalLoan, loan.id), 0)
    _db.session.commit()
    assert capital.deduction_of(sell(people[1], goods, 1).id) is None
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(SaleDeduction)) == 0


def test_a_deduction_never_exceeds_what_is_owed_and_stops_at_payoff(kop, store, goods, people, teller, db):
    loan = capital_loan(kop, store, teller, amount=100_000, tenor=1, pledge=50)  # owes 101.000
    first = sell(people[0], goods, 10)  # 1.000.000: half would be 500.000
    assert capital.deduction_of(first.id).amount_idr == 101_000
    _db.session.refresh(loan)
    assert loan.status == LoanStatus.PAID_OFF
    assert balances(store.membership_id)["sukarela"] == 1_000_000 - 101_000
    second = sell(people[1], goods, 10)
    assert capital.deduction_of(second.id) is None
    assert books_check.check() == []


def test_a_deduction_is_made_once_per_order(kop, store, goods, people, teller, db):
    capital_loan(kop, store, teller, pledge=10)
    order = sell(people[0], goods, 3)
    entries = _db.session.scalar(sa.select(sa.func.count()).select_from(Entry))
    again = capital.deduct_from_sale(_db.session.get(shop.Order, order.id), seller_of(store))
    _db.session.commit()
    assert again.id == capital.deduction_of(order.id).id
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Entry)) == entries


def test_a_refunded_order_takes_its_deduction_back_with_it(kop, store, goods, people, teller, db):
    loan = capital_loan(kop, store, teller, amount=100_000, tenor=1, pledge=50)
    buyer_before = balances(people[0].id)["sukarela"]
    order = sell(people[0], goods, 10)
    _db.session.refresh(loan)
    assert loan.status == LoanStatus.PAID_OFF
    shop.refund(_db.session.get(shop.Order, order.id), seller_of(store), "Beras basah, uang kembali")
    _db.session.commit()
    _db.session.refresh(loan)
    deduction = capital.deduction_of(order.id)
    assert deduction.reversal_id is not None and loan.status == LoanStatus.ACTIVE
    assert loans.owed(loan).total == 101_000
    assert balances(people[0].id)["sukarela"] == buyer_before
    assert balances(store.membership_id)["sukarela"] == 0
    assert _db.session.get(shop.Order, order.id).status == "cancelled"
    next_month = months.next_month(months.current(kop))  # the record counts full months
    assert sales_record.record(store, today=next_month).cancellations == 1
    assert books_check.check() == []


def test_a_refund_waits_when_a_later_payment_stands(kop, store, goods, people, teller, db):
    capital_loan(kop, store, teller, pledge=10)
    first = sell(people[0], goods, 1)
    sell(people[1], goods, 1)
    with pytest.raises(DomainError):
        shop.refund(_db.session.get(shop.Order, first.id), seller_of(store), "Barang rusak di jalan")
    _db.session.rollback()
    assert capital.deduction_of(first.id).reversal_id is None
    assert _db.session.get(shop.Order, first.id).status == "completed"


def test_a_refund_needs_a_reason_and_a_completed_order(kop, store, goods, people, db):
    order = sell(people[0], goods, 1)
    with pytest.raises(DomainError):
        shop.refund(order, seller_of(store), "")
    cancelled = cancel(people[1], goods)
    with pytest.raises(DomainError):
        shop.refund(cancelled, seller_of(store), "Barang rusak di jalan")


def test_the_pledge_changes_only_while_the_loan_is_open(kop, store, goods, people, teller, db):
    loan = capital_loan(kop, store, teller, amount=100_000, tenor=1, pledge=50)
    cap = _db.session.get(CapitalLoan, loan.id)
    with pytest.raises(DomainError):
        capital.set_pledge(cap, 51)
    capital.set_pledge(cap, 20)
    assert cap.pledge_percent == 20
    loans.repay(loan, 101_000, "cash", board(kop))
    _db.session.commit()
    with pytest.raises(DomainError):
        capital.set_pledge(cap, 30)
