"""The cart, checkout, the buyer's orders and the seller's order desk, through the web."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import ledger, savings
from models import orders as shop
from models.market import Product
from models.orders import CartItem, Choice, Order, add_to_cart, checkout
from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure
from tests.conftest import login


@pytest.fixture
def kop(make_koperasi):
    return make_koperasi()


@pytest.fixture
def seller(make_user):
    return make_user(full_name="Siti Penjual")


@pytest.fixture
def store(kop, make_store, seller):
    return make_store(kop, owner=seller)


@pytest.fixture
def buyer(make_user):
    return make_user(full_name="Budi Pembeli")


@pytest.fixture
def buyer_client(app, buyer):
    return login(app.test_client(), buyer)


def orders_of(db, user):
    return db.session.scalars(sa.select(Order).where(Order.buyer_id == user.id).order_by(Order.id)).all()


def stock_of(db, product):
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def place(db, user, product, n, start=0, choice=None):
    """n separate orders of one item each, made through the domain."""
    for i in range(n):
        add_to_cart(user, product, 1)
        checkout(user, {product.store_id: choice or Choice()}, key=f"seed-{user.id}-{start + i}")
        db.session.commit()


def checkout_data(per_store: dict, key: str = "k" * 32) -> dict:
    data = {"key": key}
    for store_id, (fulfilment, payment, address) in per_store.items():
        data |= {f"fulfilment-{store_id}": fulfilment, f"payment-{store_id}": payment,
                 f"address-{store_id}": address}
    return data


# ---------------------------------------------------------------- cart

def test_add_to_cart_shows_the_cart_grouped_by_store(buyer_client, store, make_product, db, buyer):
    product = make_product(store, name="Kopi Gayo 250 g", price_idr=45_000, stock=5)
    response = buyer_client.post("/cart/add", data={"product_id": product.id, "quantity": 2})
    assert response.status_code == 303 and response.location.endswith("/cart")
    page = buyer_client.get("/cart").text
    assert "Keranjang" in page and store.name in page and "Kopi Gayo 250 g" in page
    assert "Rp90.000" in page and f'name="fulfilment-{store.id}"' in page


def test_a_quantity_above_stock_is_refused_with_the_stock_left(buyer_client, store, make_product, db, buyer):
    product = make_product(store, stock=3)
    response = buyer_client.post("/cart/add", data={"product_id": product.id, "quantity": 4},
                                 headers={"HX-Request": "true", "HX-Target": "add"})
    assert response.status_code == 422 and "Stok tinggal 3." in response.text
    assert shop.cart(buyer) == []
    buyer_client.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    [item] = shop.cart(buyer)
    response = buyer_client.post(f"/cart/items/{item.id}", data={"quantity": 9})
    assert response.status_code == 422 and "Stok tinggal 3." in response.text and 'aria-invalid="true"' in response.text
    db.session.expire_all()
    assert shop.cart(buyer)[0].quantity == 1
    assert buyer_client.post(f"/cart/items/{item.id}", data={"quantity": 0}).status_code == 303
    assert "Keranjang Anda kosong." in buyer_client.get("/cart").text


def test_anonymous_add_goes_to_login_and_back_to_the_product(client, store, make_product):
    product = make_product(store)
    response = client.post("/cart/add", data={"product_id": product.id, "quantity": 1},
                           headers={"Referer": f"http://localhost/market/{product.id}"})
    assert response.status_code == 303 and f"next=/market/{product.id}" in response.location.replace("%2F", "/")
    response = client.post("/cart/add", data={"product_id": product.id},
                           headers={"Referer": "https://evil.example/x"})
    assert "evil" not in response.location
    assert client.get("/cart").status_code == 303


def test_another_buyers_cart_line_does_not_exist(buyer_client, store, make_product, make_user, db):
    other = make_user(full_name="Lain")
    item = add_to_cart(other, make_product(store), 1)
    db.session.commit()
    assert buyer_client.post(f"/cart/items/{item.id}", data={"quantity": 0}).status_code == 404


# ---------------------------------------------------------------- checkout

def test_checkout_two_stores_delivery_and_pickup(buyer_client, kop, store, make_store, make_product, db, buyer):
    rice = make_product(store, name="Beras", price_idr=75_000, stock=10)
    other = make_store(kop, name="Toko Tani", pickup=True, delivery_km=None, cod=False)
    seeds = make_product(other, name="Benih Cabai", price_idr=15_000, stock=4)
    buyer_client.post("/cart/add", data={"product_id": rice.id, "quantity": 2})
    buyer_client.post("/cart/add", data={"product_id": seeds.id, "quantity": 1})
    page = buyer_client.get("/cart").text
    assert "Seller delivers" not in page
    response = buyer_client.post("/cart/checkout", data=checkout_data(
        {store.id: ("delivery", "cash", ""), other.id: ("pickup", "transfer", "")}))
    assert response.status_code == 422 and "Masukkan alamat pengiriman untuk Warung Bu Siti." in response.text
    assert 'selected value="delivery"' in response.text and orders_of(db, buyer) == []
    response = buyer_client.post("/cart/checkout", data=checkout_data(
        {store.id: ("delivery", "cash", "Jl. Cihampelas No. 5, Bandung"), other.id: ("pickup", "transfer", "")}))
    assert response.status_code == 303 and response.location.endswith("/orders")
    first, second = orders_of(db, buyer)
    assert (first.fulfilment, first.total_idr, first.delivery_address) == (
        "delivery", 160_000, "Jl. Cihampelas No. 5, Bandung")
    assert (second.fulfilment, second.payment, second.total_idr) == ("pickup", "transfer", 15_000)
    assert stock_of(db, rice) == 8 and stock_of(db, seeds) == 3 and shop.cart(buyer) == []
    page = buyer_client.get("/orders").text
    assert f"Pesanan dibuat: {first.number}, {second.number}." in page


def test_pay_from_savings_only_for_members(app, kop, store, make_product, make_member, make_user, db):
    member = make_member(kop)
    teller = db.session.get(type(member.user), kop.created_by_id)
    savings.deposit(member, "sukarela", 100_000, "cash", teller)
    db.session.commit()
    product = make_product(store, price_idr=30_000)
    client = login(app.test_client(), member.user)
    client.post("/cart/add", data={"product_id": product.id, "quantity": 2})
    assert "Dari simpanan sukarela saya" in client.get("/cart").text
    response = client.post("/cart/checkout", data=checkout_data({store.id: ("pickup", "savings", "")}))
    assert response.status_code == 303
    assert ledger.balances(member.id)["sukarela"] == 40_000

    stranger = make_user(full_name="Bukan Anggota")
    client = login(app.test_client(), stranger)
    client.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    assert "Dari simpanan sukarela saya" not in client.get("/cart").text
    response = client.post("/cart/checkout", data=checkout_data({store.id: ("pickup", "savings", "")}))
    assert response.status_code == 422
    assert "Bayar dari simpanan perlu keanggotaan aktif di Koperasi Sejahtera Bersama." in response.text
    assert orders_of(db, stranger) == []


def test_a_changed_price_shows_the_new_price_and_orders_nothing(buyer_client, store, make_product, db, buyer):
    product = make_product(store, name="Gula Aren", price_idr=20_000, stock=10)
    buyer_client.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    db.session.execute(sa.update(Product).where(Product.id == product.id).values(price_idr=26_500))
    db.session.commit()
    data = checkout_data({store.id: ("pickup", "cash", "")})
    response = buyer_client.post("/cart/checkout", data=data)
    assert response.status_code == 422
    assert "Beberapa barang berubah sejak Anda menambahkannya: Gula Aren." in response.text
    assert "Rp26.500" in response.text and orders_of(db, buyer) == [] and stock_of(db, product) == 10
    assert buyer_client.post("/cart/checkout", data=data).status_code == 303
    assert [o.total_idr for o in orders_of(db, buyer)] == [26_500]


def test_sold_out_during_checkout_orders_nothing(buyer_client, kop, store, make_store, make_product, db, buyer,
                                                 monkeypatch):
    first = make_product(store, name="Telur", stock=10)
    other = make_store(kop, name="Toko Dua")
    last = make_product(other, name="Madu Hutan", stock=1)
    buyer_client.post("/cart/add", data={"product_id": first.id, "quantity": 2})
    buyer_client.post("/cart/add", data={"product_id": last.id, "quantity": 1})
    real, sold, last_id = shop.active_memberships, [], last.id

    def someone_else_buys_it(user):  # another buyer takes the last jar while this checkout runs
        if not sold:
            sold.append(1)
            db.session.execute(sa.update(Product).where(Product.id == last_id).values(stock=0)
                               .execution_options(synchronize_session=False))
        return real(user)

    monkeypatch.setattr(shop, "active_memberships", someone_else_buys_it)
    response = buyer_client.post("/cart/checkout", data=checkout_data(
        {store.id: ("pickup", "cash", ""), other.id: ("pickup", "cash", "")}))
    assert response.status_code == 422 and "Beberapa barang berubah sejak Anda menambahkannya: Madu Hutan." in response.text
    assert orders_of(db, buyer) == [] and stock_of(db, first) == 10
    assert [item.product.name for item in shop.cart(buyer)] == ["Telur"]  # the sold-out jar left the cart
    again = buyer_client.post("/cart/checkout", data=checkout_data({store.id: ("pickup", "cash", "")}, key="b2" * 16))
    assert again.status_code == 303 and len(orders_of(db, buyer)) == 1


def test_the_same_key_twice_orders_once(buyer_client, store, make_product, db, buyer):
    product = make_product(store, stock=10)
    buyer_client.post("/cart/add", data={"product_id": product.id, "quantity": 3})
    data = checkout_data({store.id: ("pickup", "cash", "")}, key="a1" * 16)
    assert buyer_client.post("/cart/checkout", data=data).status_code == 303
    assert buyer_client.post("/cart/checkout", data=data).status_code == 303
    assert len(orders_of(db, buyer)) == 1 and stock_of(db, product) == 7


# ---------------------------------------------------------------- buyer's orders

def test_buyer_sees_own_orders_only_and_can_cancel_a_new_one(app, buyer_client, store, make_product, make_user,
                                                             db, buyer):
    product = make_product(store, name="Sambal Roa", stock=5)
    place(db, buyer, product, 1)
    [order] = orders_of(db, buyer)
    assert stock_of(db, product) == 4
    page = buyer_client.get(f"/orders/{order.id}").text
    assert "Sambal Roa" in page and "Baru" in page and "WIB" in page and "https://wa.me/6281234500002" in page
    other = login(app.test_client(), make_user(full_name="Pembeli Lain"))
    assert other.get(f"/orders/{order.id}").status_code == 404
    assert order.number not in other.get("/orders").text
    assert other.post(f"/orders/{order.id}/cancel").status_code == 404
    assert app.test_client().get("/orders").status_code == 303

    assert buyer_client.post(f"/orders/{order.id}/cancel").status_code == 303
    assert stock_of(db, product) == 5
    response = buyer_client.post(f"/orders/{order.id}/cancel")
    assert response.status_code == 422 and "Pesanan berstatus Dibatalkan tidak bisa diubah menjadi Dibatalkan." \
        in response.text


# ---------------------------------------------------------------- seller's orders

def test_seller_moves_own_orders_and_bad_moves_are_refused(app, kop, store, make_store, make_product, make_user,
                                                           seller, db, buyer):
    product = make_product(store, stock=10)
    place(db, buyer, product, 1)
    [order] = orders_of(db, buyer)
    client = login(app.test_client(), seller)
    assert order.number in client.get("/seller/orders").text
    assert "https://wa.me/" in client.get(f"/seller/orders/{order.id}").text

    response = client.post(f"/seller/orders/{order.id}/move", data={"to": "completed"})
    assert response.status_code == 422 and "tidak bisa diubah menjadi Selesai" in response.text
    assert client.post(f"/seller/orders/{order.id}/move", data={"to": "accepted"}).status_code == 303
    response = client.post(f"/seller/orders/{order.id}/move", data={"to": "delivering"})
    assert response.status_code == 422 and "Pesanan ini diambil di toko." in response.text
    response = client.post(f"/seller/orders/{order.id}/move", data={"to": "cancelled", "reason": "x"})
    assert response.status_code == 422 and "Beri tahu pembeli alasan pesanan dibatalkan." in response.text
    assert client.post(f"/seller/orders/{order.id}/move", data={"to": "ready"}).status_code == 303
    assert client.post(f"/seller/orders/{order.id}/move", data={"to": "completed"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "completed"
    response = client.post(f"/seller/orders/{order.id}/paid")
    assert response.status_code == 422 and "Hanya pesanan transfer bank" in response.text

    rival = make_user(full_name="Penjual Lain")
    make_store(kop, owner=rival, name="Toko Saingan")
    other = login(app.test_client(), rival)
    assert other.get(f"/seller/orders/{order.id}").status_code == 404
    assert other.post(f"/seller/orders/{order.id}/move", data={"to": "cancelled", "reason": "iseng saja"}
                      ).status_code == 404
    assert order.number not in other.get("/seller/orders").text


def test_seller_cancel_with_reason_returns_stock_and_transfer_marked_paid(app, store, make_product, seller, db,
                                                                          buyer):
    product = make_product(store, stock=10)
    place(db, buyer, product, 2, choice=Choice("pickup", "transfer"))
    first, second = orders_of(db, buyer)
    client = login(app.test_client(), seller)
    assert client.post(f"/seller/orders/{first.id}/move",
                       data={"to": "cancelled", "reason": "Stok rusak kena hujan"}).status_code == 303
    assert stock_of(db, product) == 9
    assert "Stok rusak kena hujan" in login(app.test_client(), buyer).get(f"/orders/{first.id}").text
    assert client.post(f"/seller/orders/{second.id}/paid").status_code == 303
    db.session.expire_all()
    assert db.session.get(Order, second.id).paid_at is not None


def test_badge_counts_new_orders_of_my_stores(app, kop, store, make_product, make_user, seller, db, buyer):
    product = make_product(store, stock=10)
    place(db, buyer, product, 3)
    shop.move(orders_of(db, buyer)[0], "accepted", seller, as_seller=True)
    db.session.commit()
    body = login(app.test_client(), seller).get("/seller/orders/badge").text
    # A page kept from before this badge stopped polling asks once more, and is told to ask no more.
    assert 'id="order-badge"' in body and "hx-trigger" not in body and ">2</span>" in body
    assert '<span id="order-badge" class="badge">2</span>' in login(app.test_client(), seller).get("/seller").text
    body = login(app.test_client(), make_user(full_name="Tanpa Toko")).get("/seller/orders/badge").text
    assert "></span>" in body


# ---------------------------------------------------------------- budgets

def _fits(m, limit=MAX_HTML_GZIP):
    assert m.status == 200
    assert len(m.queries) <= MAX_QUERIES, m.queries
    assert m.html_gzip <= limit


def test_budgets(app, kop, store, make_store, make_product, make_user, seller, db, buyer, buyer_client):
    stores = [store] + [make_store(kop, name=f"Toko {i}") for i in range(4)]
    for s in stores:
        for i in range(4):
            add_to_cart(buyer, make_product(s, name=f"Produk {s.id}-{i}", stock=500), 1)
    db.session.commit()
    m = measure(buyer_client, "/cart")
    _fits(m)
    assert m.body.count('class="cart-line"') == 20

    db.session.execute(sa.delete(CartItem))
    db.session.commit()
    product = make_product(store, name="Laris", stock=1000)
    place(db, buyer, product, 40)
    m = measure(buyer_client, "/orders")
    _fits(m)
    assert m.body.count('class="hit"') == 40
    order = orders_of(db, buyer)[0]
    _fits(measure(buyer_client, f"/orders/{order.id}"))

    other = make_user(full_name="Pembeli Kedua")
    place(db, other, product, 20)
    seller_client = login(app.test_client(), seller)
    m = measure(seller_client, "/seller/orders")
    _fits(m)
    assert m.body.count('class="hit"') == 30 and "Halaman 1 dari 2" in m.body  # 30 a page
    second = measure(seller_client, "/seller/orders?page=2")
    _fits(second)
    assert second.body.count('class="hit"') == 30 and len(second.queries) == len(m.queries)
    assert not set(m.body.split('class="hit" href="')[1:]) & set(second.body.split('class="hit" href="')[1:])
    _fits(measure(seller_client, f"/seller/orders/{order.id}"))
    badge = measure(seller_client, "/seller/orders/badge")
    _fits(badge, limit=1024)
    assert ">60</span>" in badge.body and len(badge.queries) <= 2
