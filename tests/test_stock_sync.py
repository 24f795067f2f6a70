"""POST /seller/stock-sync: stock changes made offline, sent later as one batch."""

from __future__ import annotations

import pytest

from models.market import Product, StockChange
from tests.conftest import login
from web.extensions import db

URL = "/seller/stock-sync"


@pytest.fixture
def seller(make_koperasi, make_store, make_product, make_user):
    koperasi = make_koperasi()
    owner = make_user("Siti Rahmawati", mobile="081277770001")
    store = make_store(koperasi, owner=owner)
    product = make_product(store, stock=5)
    return owner, store, product


def stock_of(product_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Product, product_id).stock


def test_changes_are_applied_in_order_and_each_answered(client, seller):
    owner, _store, product = seller
    login(client, owner)
    changes = [{"product_id": product.id, "delta": 1, "key": "k1"},
               {"product_id": product.id, "delta": 1, "key": "k2"},
               {"product_id": product.id, "delta": -1, "key": "k3"}]
    response = client.post(URL, json={"changes": changes})
    assert response.status_code == 200
    assert response.json["results"] == [{"key": "k1", "ok": True, "stock": 6}, {"key": "k2", "ok": True, "stock": 7},
                                         {"key": "k3", "ok": True, "stock": 6}]
    # The phone keeps the newest number it saw, with the time of the product's last change.
    [seen] = response.json["seen"]
    assert (seen["product_id"], seen["stock"]) == (product.id, 6)
    assert f'data-stock-at="{seen["at"]}"' in client.get("/seller").text
    assert stock_of(product.id) == 6
    response = client.post(URL, json={"changes": [{"product_id": product.id, "set_to": 40, "key": "k4"}]})
    assert response.json["results"] == [{"key": "k4", "ok": True, "stock": 40}]
    assert stock_of(product.id) == 40


def test_resending_the_same_keys_changes_nothing_more(client, seller):
    owner, _store, product = seller
    login(client, owner)
    batch = {"changes": [{"product_id": product.id, "delta": 2, "key": "same-1"},
                         {"product_id": product.id, "delta": -1, "key": "same-2"}]}
    first = client.post(URL, json=batch).json
    again = client.post(URL, json=batch).json
    assert first == again  # the first answers are repeated
    assert stock_of(product.id) == 6
    assert db.session.query(StockChange).count() == 2


def test_someone_elses_product_is_refused(client, seller, make_store, make_product, make_user):
    _owner, store, product = seller
    other = make_user("Budi Santoso", mobile="081277770002")
    make_store(store.koperasi, owner=other, name="Toko Budi")
    login(client, other)
    response = client.post(URL, json={"changes": [{"product_id": product.id, "delta": -5, "key": "x"}]})
    assert response.status_code == 200
    assert response.json["results"] == [
        {"key": "x", "ok": False, "error": "Produk ini bukan milik Anda atau sudah tidak ada."}]
    assert stock_of(product.id) == 5


def test_a_deleted_product_is_refused_and_the_others_still_apply(client, seller, make_product):
    owner, store, product = seller
    gone = make_product(store, name="Gula Aren 1 kg", stock=3)
    gone_id = gone.id
    db.session.delete(gone)
    db.session.commit()
    login(client, owner)
    response = client.post(URL, json={"changes": [{"product_id": gone_id, "delta": 1, "key": "a"},
                                                  {"product_id": product.id, "delta": 1, "key": "b"}]})
    assert response.json["results"] == [
        {"key": "a", "ok": False, "error": "Produk ini bukan milik Anda atau sudah tidak ada."},
        {"key": "b", "ok": True, "stock": 6}]


def test_stock_below_zero_is_refused_with_the_message_and_the_stock(client, seller):
    owner, _store, product = seller
    login(client, owner)
    response = client.post(URL, json={"changes": [{"product_id": product.id, "delta": -6, "key": "neg"},
                                                  {"product_id": product.id, "set_to": -1, "key": "neg2"},
                                                  {"product_id": product.id, "delta": -5, "key": "ok"}]})
    refused, bad_set, applied = response.json["results"]
    assert refused == {"key": "neg", "ok": False, "error": "Stok tidak cukup untuk itu.", "stock": 5}
    assert bad_set["ok"] is False and bad_set["stock"] == 5
    assert applied == {"key": "ok", "ok": True, "stock": 0}
    assert stock_of(product.id) == 0
    # A refused key was not recorded: once corrected, it may be sent again.
    assert db.session.query(StockChange).filter_by(key="neg").count() == 0


@pytest.mark.parametrize("body", [
    b"not json",
    b"[]",
    b'{"changes": "many"}',
    b'{"changes": [{"product_id": "1", "delta": 1, "key": "k"}]}',
    b'{"changes": [{"product_id": 1, "delta": 1}]}',
    b'{"changes": [{"product_id": 1, "delta": 1, "key": ""}]}',
])
def test_malformed_json_is_a_clear_400(client, seller, body):
    owner, _store, product = seller
    login(client, owner)
    response = client.post(URL, data=body, content_type="application/json")
    assert response.status_code == 400
    assert "Kirim perubahan stok sebagai JSON" in response.json["error"]
    assert stock_of(product.id) == 5


def test_anonymous_is_sent_to_login(client, seller):
    _owner, _store, product = seller
    response = client.post(URL, json={"changes": [{"product_id": product.id, "delta": 1, "key": "k"}]})
    assert response.status_code == 303 and "/login" in response.headers["Location"]
    assert stock_of(product.id) == 5


def test_csrf_token_is_required_from_the_header(app, client, seller, monkeypatch):
    owner, _store, product = seller
    login(client, owner)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    batch = {"changes": [{"product_id": product.id, "delta": 1, "key": "csrf"}]}
    response = client.post(URL, json=batch)
    assert response.status_code == 400 and "Sesi berakhir" in response.text
    assert stock_of(product.id) == 5
    page = client.get("/").text
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post(URL, json=batch, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.json["results"][0]["stock"] == 6
