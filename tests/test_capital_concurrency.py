"""Repayment from sales under real concurrency: two orders completed at once for the last
instalment never take more than the loan owes (PostgreSQL, real connections)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import books_check
from models import orders as shop
from models.accounts import User
from models.capital import SaleDeduction
from models.ledger import balances
from models.loans import Loan, LoanStatus
from models.orders import Choice, Order, OrderStatus, add_to_cart, checkout
from tests.capital_setup import buyers, capital_loan
from tests.conftest import fund
from tests.test_ledger_concurrency import race
from web.extensions import db as _db


@pytest.fixture
def setup(make_koperasi, make_store, make_member, make_product, make_staff, make_user, db):
    kop = fund(make_koperasi())
    store = make_store(kop, owner=make_user(full_name="Siti Penjual"))
    goods = make_product(store, price_idr=100_000, stock=100)
    loan = capital_loan(kop, store, make_staff(kop, "teller"), amount=100_000, tenor=1, pledge=50)  # owes 101.000
    seller = _db.session.get(User, store.owner_id)
    ready = []
    for i, buyer in enumerate(buyers(kop, make_member, make_user, 3)):
        add_to_cart(buyer.user, goods, 10)
        order = checkout(buyer.user, {store.id: Choice(payment="savings")}, key=f"race-{i}").orders[0]
        for to in (OrderStatus.ACCEPTED, OrderStatus.READY):
            shop.move(order, to, seller, as_seller=True)
        ready.append(order.id)
    _db.session.commit()
    return {"loan": loan.id, "orders": ready, "seller": seller.id, "membership": store.membership_id}


@pytest.mark.postgres_only
def test_three_orders_completed_at_once_pay_the_last_instalment_once(app, setup):
    def work(i):
        order, seller = _db.session.get(Order, setup["orders"][i]), _db.session.get(User, setup["seller"])
        return lambda: shop.move(order, OrderStatus.COMPLETED, seller, as_seller=True)

    outcome = race(app, 3, work)
    assert outcome.crashed == [] and outcome.refused == [] and len(outcome.done) == 3
    taken = _db.session.scalars(sa.select(SaleDeduction.amount_idr)).all()
    assert sum(taken) == 101_000 and len(taken) == 1
    assert _db.session.get(Loan, setup["loan"]).status == LoanStatus.PAID_OFF
    assert balances(setup["membership"])["sukarela"] == 3 * 1_000_000 - 101_000
    assert books_check.check() == []
