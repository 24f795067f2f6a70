"""Marketplace rules at the domain level: stock, checkout, payment from savings, orders."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from models import books_check, ledger, savings
from models.errors import DomainError
from models.market import Product, change_stock
from models.orders import Choice, MemberTransaction, Order, add_to_cart, cart, checkout, move
from tests.conftest import store_data


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
    orders = checkout(buyer, {store.id: Choice("delivery", "cash", "Jl. Cihampelas No. 5, Bandung")}, key="c-1").orders
    db.session.commit()
    assert len(orders) == 2 and cart(buyer) == []
    assert db.session.get(Product, rice.id).stock == 3 and db.session.get(Product, coffee.id).stock == 3
    by_store = {o.store_id: o for o in orders}
    assert by_store[store.id].total_idr == 150_000 + 10_000 and by_store[store.id].number.startswith("ORD-")
    assert checkout(buyer, {}, key="c-1").orders[0].id in {o.id for o in orders}  # a retry returns the same orders


def test_a_changed_price_stops_checkout_and_is_shown(store, make_product, make_user, db):
    product = make_product(store, price_idr=10_000)
    buyer = make_user(full_name="Pembeli")
    add_to_cart(buyer, product, 1)
    db.session.commit()
    db.session.execute(sa.update(Product).values(price_idr=12_000))
    db.session.commit()
    result = checkout(buyer, {}, key="c-2")
    db.session.commit()
    assert result.orders == [] and result.adjusted == ["Beras Pandan Wangi 5 kg"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    assert cart(buyer)[0].price_seen_idr == 12_000  # the buyer now sees the new price
    assert len(checkout(buyer, {}, key="c-3").orders) == 1


def test_a_sold_out_line_is_taken_out_and_the_rest_can_be_bought(store, make_product, make_user, db):
    gone, short, fine = (make_product(store, name=n, stock=5) for n in ("Gula Pasir 1 kg", "Minyak Goreng 2 L", "Teh Celup"))
    buyer = make_user(full_name="Pembeli")
    for product in (gone, short, fine):
        add_to_cart(buyer, product, 3)
    db.session.commit()
    db.session.execute(sa.update(Product).where(Product.id == gone.id).values(stock=0))
    db.session.execute(sa.update(Product).where(Product.id == short.id).values(stock=2))
    db.session.commit()
    result = checkout(buyer, {}, key="c-7")
    db.session.commit()
    assert result.orders == [] and sorted(result.adjusted) == ["Gula Pasir 1 kg", "Minyak Goreng 2 L"]
    assert {(i.product.name, i.quantity) for i in cart(buyer)} == {("Minyak Goreng 2 L", 2), ("Teh Celup", 3)}
    [order] = checkout(buyer, {}, key="c-8").orders  # confirming again goes through
    db.session.commit()
    assert {(i.name, i.quantity) for i in order.items} == {("Minyak Goreng 2 L", 2), ("Teh Celup", 3)}


def test_what_cannot_be_seen_cannot_be_bought(kop, make_koperasi, make_store, make_product, make_user, db):
    unverified = make_koperasi(name="Koperasi Belum Terverifikasi")
    hidden = make_product(make_store(unverified), name="Keripik Rahasia")
    unverified.status = "pending"
    db.session.commit()
    buyer = make_user(full_name="Pembeli")
    with pytest.raises(DomainError):
        add_to_cart(buyer, hidden, 1)
    db.session.rollback()
    # Already in a cart when the koperasi lost its verification: checkout takes it out.
    listed = make_product(make_store(kop, name="Warung Terbuka"), name="Keripik Singkong")
    add_to_cart(buyer, listed, 1)
    db.session.commit()
    kop.status = "pending"
    db.session.commit()
    result = checkout(buyer, {}, key="c-9")
    db.session.commit()
    assert result.orders == [] and result.adjusted == ["Keripik Singkong"] and cart(buyer) == []


@pytest.mark.parametrize(("payment", "purpose"), [("cash", "cash"), ("transfer", "bank")])
def test_a_sale_of_the_koperasis_own_store_is_in_its_books(kop, make_product, make_user, db, payment, purpose):
    from models.accounts import User
    from models.ledger import Account, Line
    from models.market import open_store

    board = db.session.get(User, kop.created_by_id)
    own = open_store(board, kop, store_data(name="Toko Koperasi"), own_store=True)
    product = make_product(own, price_idr=25_000, stock=4)
    buyer = make_user(full_name="Pembeli Umum")
    add_to_cart(buyer, product, 2)
    db.session.commit()
    [order] = checkout(buyer, {own.id: Choice("pickup", payment)}, key=f"own-{payment}").orders
    for status in ("accepted", "ready", "completed"):
        move(order, status, board, as_seller=True)
    db.session.commit()

    def balance(p):
        return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Line.amount), 0)).join(Account)
                                 .where(Account.koperasi_id == kop.id, Account.purpose == p))

    assert balance(purpose) == 50_000 and balance("store_sales") == -50_000
    assert books_check.check() == []


def saver_with_cart(kop, make_member, product, saved: int, quantity: int, db):
    """A member with ``saved`` in sukarela who put ``quantity`` of ``product`` in the cart."""
    buyer = make_member(kop)
    savings.deposit(buyer, "sukarela", saved, "cash", db.session.get(type(buyer.user), kop.created_by_id))
    add_to_cart(buyer.user, product, quantity)
    db.session.commit()
    return buyer


def test_savings_payment_is_held_then_reaches_the_seller(kop, store, make_product, make_member, db):
    buyer = saver_with_cart(kop, make_member, make_product(store, price_idr=30_000), 100_000, 2, db)
    [order] = checkout(buyer.user, {store.id: Choice("pickup", "savings")}, key="c-4").orders
    db.session.commit()
    assert ledger.balances(buyer.id)["sukarela"] == 40_000 and order.paid_at
    for status in ("accepted", "ready", "completed"):
        move(order, status, store_owner(store, db), as_seller=True)
    db.session.commit()
    assert ledger.balances(store.membership_id)["sukarela"] == 60_000
    assert db.session.scalar(sa.select(MemberTransaction.amount_idr)) == 60_000
    assert books_check.check() == []


def test_cancel_returns_stock_and_savings(kop, store, make_product, make_member, db):
    product = make_product(store, price_idr=50_000, stock=1)
    buyer = saver_with_cart(kop, make_member, product, 50_000, 1, db)
    [order] = checkout(buyer.user, {store.id: Choice("pickup", "savings")}, key="c-5").orders
    db.session.commit()
    with pytest.raises(DomainError):
        move(order, "completed", buyer.user, as_seller=False)  # buyers only cancel new orders
    db.session.rollback()
    move(db.session.get(Order, order.id), "cancelled", buyer.user, as_seller=False)
    db.session.commit()
    assert db.session.get(Product, product.id).stock == 1
    assert ledger.balances(buyer.id)["sukarela"] == 50_000 and books_check.check() == []


def test_invalid_transitions_are_refused(store, make_product, make_user, db):
    product = make_product(store)
    buyer = make_user(full_name="Pembeli")
    add_to_cart(buyer, product, 1)
    db.session.commit()
    [order] = checkout(buyer, {}, key="c-6").orders
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


@pytest.mark.postgres_only
def test_a_double_tapped_checkout_gives_every_tap_the_first_orders(app, kop, store, make_product, make_member, db):
    product = make_product(store, price_idr=20_000, stock=5)
    buyer = saver_with_cart(kop, make_member, product, 100_000, 1, db)
    taps, user_id, store_id = 10, buyer.user_id, store.id
    barrier, results, errors = threading.Barrier(taps, timeout=30), [], []

    def tap():
        with app.app_context():
            from models.accounts import User

            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                result = checkout(user, {store_id: Choice("pickup", "savings")}, key="double-tap")
                db.session.commit()
                results.append(tuple(o.id for o in result.orders))
            except Exception as error:  # noqa: BLE001 - any failure is what this test is about
                db.session.rollback()
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=tap) for _ in range(taps)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1 and len(results) == taps and len(results[0]) == 1
    db.session.expire_all()
    assert db.session.get(Product, product.id).stock == 4
    assert ledger.balances(buyer.id)["sukarela"] == 80_000 and books_check.check() == []


def test_the_buttons_offered_are_the_moves_the_rules_allow(kop, store, make_product, make_user, db):
    """The order pages show what ``move`` and ``mark_paid`` accept, from the model, not a copy."""
    from models.orders import offer

    product, buyer = make_product(store, stock=5), make_user(full_name="Pembeli")
    seller = db.session.get(type(buyer), store.owner_id)
    made = {}
    for fulfilment, payment in (("pickup", "cash"), ("delivery", "transfer")):
        add_to_cart(buyer, product, 1)
        made[fulfilment] = checkout(buyer, {store.id: Choice(fulfilment, payment, "Jl. Dago No. 10, Bandung")},
                                    key=f"offer-{fulfilment}").orders[0]
    pickup, delivery = made["pickup"], made["delivery"]
    assert offer(pickup, as_seller=False) == offer(delivery, as_seller=False) and offer(pickup, as_seller=False).cancel
    assert offer(pickup, as_seller=True).moves == ["accepted"] and not offer(pickup, as_seller=True).mark_paid
    assert offer(delivery, as_seller=True).mark_paid
    for order in (pickup, delivery):
        move(order, "accepted", seller, as_seller=True)
    assert offer(pickup, as_seller=True).moves == ["ready"] and offer(delivery, as_seller=True).moves == ["delivering"]
    assert not offer(pickup, as_seller=False).cancel and offer(pickup, as_seller=True).cancel
    for order in (pickup, delivery):  # every button offered is a move the model accepts
        for to in offer(order, as_seller=True).moves:
            move(order, to, seller, as_seller=True)
    assert offer(pickup, as_seller=True).moves == ["completed"]
