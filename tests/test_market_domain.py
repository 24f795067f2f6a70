"""Marketplace rules at the domain level: stock, checkout, payment from savings, orders."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from models import ledger, savings
from models.errors import DomainError
from models.market import Product, change_stock
from models.orders import Choice, MemberTransaction, Order, add_to_cart, cart, checkout, move


@pytest.fixture
def kop(make_koperasi):
    return make_koperasi()


@pytest.fixture
def store(kop, make_store):
    return make_store(kop)


def test_stock_never_goes_below_zero_and_a_key_applies_once(store, make_product, db):
    product = make_product(store, stock=3)
    assert change_stock(product, delta=-2, key="k-1") == 1
    assert change_stock(product, delta=-2, key="k-1") == 1  # replayed: not applied again
    with pytest.raises(DomainError):
        change_stock(product, delta=-2, key="k-2")
    db.session.rollback()
    assert change_stock(product, set_to=8, key="k-3") == 8
    db.session.commit()
    assert db.session.get(Product, product.id).stock == 8


def test_member_price_applies_to_members_of_the_koperasi(kop, store, make_product, make_member, make_user, db):
    product = make_product(store, price_idr=20_000, member_price_idr=18_000)
    member = make_member(kop).user
    stranger = make_user(full_name="Pembeli Umum")
    assert add_to_cart(member, product, 1).price_seen_idr == 18_000
    assert add_to_cart(stranger, product, 1).price_seen_idr == 20_000


def test_quantity_is_limited_to_stock(store, make_product, make_user, db):
    product = make_product(store, stock=2)
    buyer = make_user(full_name="Pembeli")
    with pytest.raises(DomainError):
        add_to_cart(buyer, product, 3)


def test_checkout_makes_one_order_per_store_and_reserves_stock(kop, store, make_store, make_product, make_user, db):
    other = make_store(kop, name="Kopi Tani Jaya")
    rice, coffee = make_product(store, stock=5), make_product(other, name="Kopi Arabika 250 g", stock=4)
    buyer = make_user(full_name="Pembeli")
    add_to_cart(buyer, rice, 2)
    add_to_cart(buyer, coffee, 1)
    db.session.commit()
    orders = checkout(buyer, {store.id: Choice("delivery", "cash", "Jl. Cihampelas No. 5, Bandung")}, key="c-1")
    db.session.commit()
    assert len(orders) == 2 and cart(buyer) == []
    assert db.session.get(Product, rice.id).stock == 3 and db.session.get(Product, coffee.id).stock == 3
    by_store = {o.store_id: o for o in orders}
    assert by_store[store.id].total_idr == 150_000 + 10_000 and by_store[store.id].number.startswith("ORD-")
    assert checkout(buyer, {}, key="c-1")[0].id in {o.id for o in orders}  # a retry returns the same orders


def test_a_changed_price_stops_checkout_and_is_shown(store, make_product, make_user, db):
    product = make_product(store, price_idr=10_000)
    buyer = make_user(full_name="Pembeli")
    add_to_cart(buyer, product, 1)
    db.session.commit()
    db.session.execute(sa.update(Product).values(price_idr=12_000))
    db.session.commit()
    with pytest.raises(DomainError, match="Beras"):
        checkout(buyer, {}, key="c-2")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    assert cart(buyer)[0].price_seen_idr == 12_000  # the buyer now sees the new price
    assert len(checkout(buyer, {}, key="c-3")) == 1


def test_savings_payment_is_held_then_reaches_the_seller(kop, store, make_product, make_member, db):
    buyer = make_member(kop)
    teller = db.session.get(type(buyer.user), kop.created_by_id)
    savings.deposit(buyer, "sukarela", 100_000, "cash", teller)
    product = make_product(store, price_idr=30_000)
    add_to_cart(buyer.user, product, 2)
    db.session.commit()
    [order] = checkout(buyer.user, {store.id: Choice("pickup", "savings")}, key="c-4")
    db.session.commit()
    assert ledger.balances(buyer.id)["sukarela"] == 40_000 and order.paid_at
    for status in ("accepted", "ready", "completed"):
        move(order, status, store_owner(store, db), as_seller=True)
    db.session.commit()
    assert ledger.balances(store.membership_id)["sukarela"] == 60_000
    assert db.session.scalar(sa.select(MemberTransaction.amount_idr)) == 60_000
    assert ledger.check() == []


def test_cancel_returns_stock_and_savings(kop, store, make_product, make_member, db):
    buyer = make_member(kop)
    teller = db.session.get(type(buyer.user), kop.created_by_id)
    savings.deposit(buyer, "sukarela", 50_000, "cash", teller)
    product = make_product(store, price_idr=50_000, stock=1)
    add_to_cart(buyer.user, product, 1)
    db.session.commit()
    [order] = checkout(buyer.user, {store.id: Choice("pickup", "savings")}, key="c-5")
    db.session.commit()
    with pytest.raises(DomainError):
        move(order, "completed", buyer.user, as_seller=False)  # buyers only cancel new orders
    db.session.rollback()
    move(db.session.get(Order, order.id), "cancelled", buyer.user, as_seller=False)
    db.session.commit()
    assert db.session.get(Product, product.id).stock == 1
    assert ledger.balances(buyer.id)["sukarela"] == 50_000 and ledger.check() == []


def test_invalid_transitions_are_refused(store, make_product, make_user, db):
    product = make_product(store)
    buyer = make_user(full_name="Pembeli")
    add_to_cart(buyer, product, 1)
    db.session.commit()
    [order] = checkout(buyer, {}, key="c-6")
    db.session.commit()
    seller = store_owner(store, db)
    with pytest.raises(DomainError):
        move(order, "completed", seller, as_seller=True)
    db.session.rollback()
    with pytest.raises(DomainError):
        move(db.session.get(Order, order.id), "cancelled", seller, as_seller=True, reason="")  # needs a reason
    db.session.rollback()
    move(db.session.get(Order, order.id), "accepted", seller, as_seller=True)
    with pytest.raises(DomainError):
        move(db.session.get(Order, order.id), "delivering", seller, as_seller=True)  # pickup order


def store_owner(store, db):
    from models.accounts import User

    return db.session.get(User, store.owner_id)


@pytest.mark.postgres_only
def test_two_buyers_racing_for_the_last_item(app, store, make_product, make_user, db):
    product = make_product(store, stock=1)
    buyers = [make_user(full_name=f"Pembeli {n}") for n in range(6)]
    for buyer in buyers:
        add_to_cart(buyer, product, 1)
    db.session.commit()
    barrier, results = threading.Barrier(len(buyers)), []

    def buy(user_id):
        with app.app_context():
            from models.accounts import User

            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                checkout(user, {}, key=f"race-{user_id}")
                db.session.commit()
                results.append("ok")
            except DomainError:
                db.session.rollback()
                results.append("sold out")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=buy, args=(b.id,)) for b in buyers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    assert results.count("ok") == 1 and results.count("sold out") == len(buyers) - 1
    assert db.session.get(Product, product.id).stock == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
