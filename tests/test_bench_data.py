"""The benchmark data generator (web/bench_data.py): books that the app's own proof accepts, stock that
matches the orders, logins that work, searches that find some but not all."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from models import books_check, catalogue, directory
from models.market import Product, StockChange
from models.membership import Membership
from models.orders import Order, OrderItem
from web.bench_data import PASSWORD, Refused, generate


@pytest.mark.postgres_only
def test_small_scale_keeps_the_books_and_the_stock_right(app, db, client, tmp_path):
    manifest = generate(db.engine, "small", "pbkdf2:sha256:1000", tmp_path / "manifest.json", echo=lambda _: None)
    assert json.loads((tmp_path / "manifest.json").read_text())["big_koperasi"] == manifest["big_koperasi"]
    db.session.expire_all()

    assert books_check.check() == []  # balanced entries, cached balances = lines, cash ≥ 0, statements balance
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)
                             .where(Membership.status == "active", Membership.member_number.is_(None))) == 0

    # Stock now = initial stock less what the orders that were not cancelled took, product by product.
    initial = dict(db.session.execute(sa.select(StockChange.product_id, sa.func.sum(StockChange.delta))
                                      .group_by(StockChange.product_id)).all())
    taken = dict(db.session.execute(
        sa.select(OrderItem.product_id, sa.func.sum(OrderItem.quantity)).join(Order, Order.id == OrderItem.order_id)
        .where(Order.status != "cancelled").group_by(OrderItem.product_id)).all())
    stock = dict(db.session.execute(sa.select(Product.id, Product.stock)).all())
    assert taken and stock == {pid: initial[pid] - taken.get(pid, 0) for pid in stock}

    # A one-word and a several-word search each find some, not all.
    def products(words=""):
        return len(catalogue.search(catalogue.criteria(words), per_page=1000).hits)

    def koperasi(words=""):
        return len(directory.search(directory.criteria(words), per_page=1000).hits)

    for words in (manifest["search"]["market_one"], manifest["search"]["market_several"]):
        assert 0 < products(words) < products(), words
    assert 0 < koperasi(manifest["search"]["directory_one"]) < koperasi()

    # The manifest's member logs in with the known password and sees their page.
    member = manifest["members"][0]
    response = client.post("/login", data={"login": member["mobile"], "password": PASSWORD})
    assert response.status_code == 303
    assert client.get(f"/k/{member['slug']}/me").status_code == 200


@pytest.mark.sqlite_only
def test_the_generator_refuses_sqlite_with_a_reason(app, db):
    with pytest.raises(Refused, match="PostgreSQL"):
        generate(db.engine, "tiny", "pbkdf2:sha256:1000", None, echo=lambda _: None)
