"""A seller with a store, buyers who are members with savings, and sales completed in chosen
months: the world the working-capital tests build on."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from models import loans, sales_record, savings
from models import orders as shop
from models.accounts import User
from models.orders import Choice, OrderEvent, OrderStatus, add_to_cart, checkout
from tests.conftest import board, fund
from web.extensions import db as _db

WORKING = dict(name="Modal Kerja UMKM", method="flat", monthly_rate_bp=100, fee_bp=0, fee_mode="deducted",
               max_amount_idr=50_000_000, min_tenor=1, max_tenor=24, late_fee_mode="per_instalment",
               late_fee_idr=0)
BUYER_NIKS = [f"32730115089500{n:02d}" for n in range(11, 30)]


# The fixtures both capital test modules take (imported there by name).
@pytest.fixture
def kop(make_koperasi):
    return fund(make_koperasi())


@pytest.fixture
def store(kop, make_store, make_user):
    return make_store(kop, owner=make_user(full_name="Siti Penjual"))


@pytest.fixture
def goods(store, make_product):
    return make_product(store, name="Beras 5 kg", price_idr=100_000, stock=500)


def buyers(kop, make_member, make_user, n: int, sukarela: int = 5_000_000) -> list:
    """``n`` members of the koperasi, each with simpanan sukarela to shop with."""
    out = []
    for i in range(n):
        membership = make_member(kop, user=make_user(full_name=f"Pembeli {i + 1}"), nik=BUYER_NIKS[i])
        savings.deposit(membership, "sukarela", sukarela, "cash", board(kop))
        out.append(membership)
    _db.session.commit()
    return out


def sell(buyer, product, quantity: int = 1, payment: str = "savings", when: datetime | None = None,
         key: str | None = None):
    """One order by ``buyer`` (a membership), taken to completed by the seller; its completion dated ``when``."""
    user, seller = buyer.user, _db.session.get(User, product.store.owner_id)
    add_to_cart(user, product, quantity)
    order = checkout(user, {product.store_id: Choice(payment=payment)}, key=key or f"buy-{user.id}-{_count()}").orders[0]
    for to in (OrderStatus.ACCEPTED, OrderStatus.READY, OrderStatus.COMPLETED):
        shop.move(order, to, seller, as_seller=True)
    if when:
        redate(order.id, OrderStatus.COMPLETED, when)
    _db.session.commit()
    return order


def cancel(buyer, product, when: datetime | None = None):
    """An order the buyer cancels before the seller accepts it."""
    user = buyer.user
    add_to_cart(user, product, 1)
    order = checkout(user, {product.store_id: Choice(payment="cash")}, key=f"cancel-{user.id}-{_count()}").orders[0]
    shop.move(order, OrderStatus.CANCELLED, user, as_seller=False)
    if when:
        redate(order.id, OrderStatus.CANCELLED, when)
    _db.session.commit()
    return order


def redate(order_id: int, status: str, when: datetime) -> None:
    _db.session.execute(sa.update(OrderEvent).where(OrderEvent.order_id == order_id, OrderEvent.status == status)
                        .values(at=when))


def _count() -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(shop.Order))


def capital_loan(kop, store, teller, amount: int = 3_000_000, tenor: int = 6, pledge: int = 10,
                 terms: dict | None = None, start: date | None = None, today: date | None = None):
    """A working-capital loan applied for from the store, approved by the board, paid out by the teller."""
    product = loans.save_product(kop, dict(terms or WORKING))
    seller = _db.session.get(User, store.owner_id)
    loan = sales_record.apply_for_capital(store, seller, product, amount, tenor, "Tambah stok beras", pledge, today=today)
    loans.approve(loan, board(kop))
    loans.disburse(loan, teller, "cash", today=start)
    _db.session.commit()
    return loan
