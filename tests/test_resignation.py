"""No money is stranded at the edges of resignation: a resigned membership takes no
posting, resignation waits for open orders, and the member's stores close."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import books_check, ledger, resignation, savings
from models.accounts import User
from models.errors import DomainError
from models.ledger import Entry
from models.market import Store
from models.orders import Choice, add_to_cart, checkout, move


@pytest.fixture
def kop(make_koperasi):
    return make_koperasi(pokok_idr=100_000, wajib_idr=20_000)


@pytest.fixture
def board(kop, db):
    return db.session.get(User, kop.created_by_id)


def _resign(member, board, db):
    resignation.request(member)
    resignation.confirm(member, board)
    db.session.commit()


def test_reversing_a_withdrawal_after_resignation_is_refused(kop, make_member, board, db):
    member = make_member(kop)
    savings.deposit(member, "sukarela", 300_000, "cash", board)
    taken = savings.withdraw(member, 100_000, "cash", board)
    db.session.commit()
    _resign(member, board, db)
    with pytest.raises(DomainError, match="Keanggotaan ini sudah ditutup"):
        savings.reverse(db.session.get(Entry, taken.id), board, "Penarikan salah catat")
    db.session.rollback()
    assert ledger.balances(member.id) == {"pokok": 0, "wajib": 0, "sukarela": 0}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.reverses_id == taken.id)) == 0
    assert books_check.check() == []


def test_no_posting_reaches_a_resigned_membership(kop, make_member, board, db):
    member = make_member(kop)
    _resign(member, board, db)
    with pytest.raises(DomainError):
        ledger.post(kop, "deposit", [ledger.Leg(ledger.Purpose.CASH, 10_000),
                                     ledger.Leg(ledger.SAVINGS["sukarela"], -10_000, membership_id=member.id)],
                    by=board, membership_id=member.id)


def test_an_open_order_as_buyer_holds_the_resignation(kop, make_member, make_store, make_product, board, db):
    member = make_member(kop)
    savings.deposit(member, "sukarela", 100_000, "cash", board)
    store = make_store(kop, name="Warung Sebelah")
    add_to_cart(member.user, make_product(store, price_idr=40_000), 1)
    db.session.commit()
    [order] = checkout(member.user, {store.id: Choice("pickup", "savings")}, key="before-leaving").orders
    db.session.commit()
    with pytest.raises(DomainError, match="pesanan|orders"):
        resignation.request(member)
    db.session.rollback()
    seller = db.session.get(User, store.owner_id)
    move(order, "cancelled", seller, as_seller=True, reason="Stok habis di gudang")
    db.session.commit()
    _resign(member, board, db)
    assert member.status == "resigned" and ledger.balances(member.id)["sukarela"] == 0
    assert books_check.check() == []


def test_a_sellers_open_order_holds_the_resignation_and_leaving_closes_the_store(
        kop, make_store, make_product, make_user, board, db):
    from models.membership import Membership

    store = make_store(kop, name="Kue Basah Bu Ani")
    member = db.session.get(Membership, store.membership_id)
    product = make_product(store, price_idr=15_000)
    buyer = make_user(full_name="Pembeli Umum")
    add_to_cart(buyer, product, 1)
    db.session.commit()
    [order] = checkout(buyer, {store.id: Choice("pickup", "cash")}, key="from-a-leaving-seller").orders
    db.session.commit()
    with pytest.raises(DomainError, match="pesanan|orders"):
        resignation.request(member)
    db.session.rollback()
    owner = db.session.get(User, store.owner_id)
    for status in ("accepted", "ready", "completed"):
        move(db.session.get(type(order), order.id), status, owner, as_seller=True)
    db.session.commit()
    _resign(member, board, db)
    assert db.session.get(Store, store.id).status == "closed"
    with pytest.raises(DomainError):  # what its koperasi no longer lists cannot be bought
        add_to_cart(make_user(full_name="Pembeli Lain"), product, 1)
