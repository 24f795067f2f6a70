"""Stock changes on the seller page with no signal: shown at once, kept across a
reload, sent once the phone is back online, applied exactly once."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from models.market import Product
from tests.browser.conftest import log_in, worker_ready
from web.extensions import db

WAITING = "Menunggu dikirim"


def stock_of(product_id: int) -> int | None:
    db.session.expire_all()
    product = db.session.get(Product, product_id)
    return None if product is None else product.stock


def tap(page: Page, product_id: int, delta: str) -> None:
    page.locator(f'#product-{product_id} button[name="delta"][value="{delta}"]').tap()


def test_offline_stock_changes_are_kept_and_sent_once(phone: Page, make_koperasi, make_user, make_store,
                                                      make_product):
    owner = make_user("Siti Rahmawati", mobile="081366660001")
    store = make_store(make_koperasi(), owner=owner, name="Warung Bu Siti")
    sugar = make_product(store, name="Gula Aren 1 kg", stock=5)
    coffee = make_product(store, name="Kopi Robusta 250 g", stock=2)
    sugar_id, coffee_id = sugar.id, coffee.id
    page, context = phone, phone.context
    log_in(page, "081366660001")
    page.goto("/seller")
    worker_ready(page)
    row, other = page.locator(f"#product-{sugar_id}"), page.locator(f"#product-{coffee_id}")
    expect(row.locator(".stock-count")).to_have_text("5")

    context.set_offline(True)
    try:
        tap(page, sugar_id, "1")
        tap(page, sugar_id, "1")
        tap(page, sugar_id, "-1")
        expect(row.locator(".stock-count")).to_have_text("6")
        expect(row.locator(".stock-state[role=status]")).to_have_text(WAITING)
        # Meanwhile the product is deleted on the server; the change to it is queued all the same.
        db.session.delete(db.session.get(Product, coffee_id))
        db.session.commit()
        tap(page, coffee_id, "1")
        expect(other.locator(".stock-count")).to_have_text("3")
        assert stock_of(sugar_id) == 5  # nothing reached the server

        # The seller page was kept by the worker: a reload offline shows the queued changes.
        page.reload()
        expect(row.locator(".stock-count")).to_have_text("6")
        expect(row.locator(".stock-state[role=status]")).to_have_text(WAITING)
    finally:
        context.set_offline(False)

    # Back online: the queue is sent; the server's number is shown and the mark goes.
    expect(row.get_by_text(WAITING)).to_have_count(0)
    expect(row.locator(".stock-count")).to_have_text("6")
    expect(other.get_by_role("alert")).to_have_text(
        "Tidak tersimpan. Produk ini bukan milik Anda atau sudah tidak ada.")
    assert stock_of(sugar_id) == 6  # +1 +1 −1, each applied exactly once

    # Nothing is left in the queue to send twice: a reload and another pass change nothing.
    page.reload()
    expect(row.locator(".stock-count")).to_have_text("6")
    expect(page.get_by_text(WAITING)).to_have_count(0)
    assert page.evaluate("""() => new Promise((resolve) => {
        const req = indexedDB.open("kopz");
        req.onsuccess = () => {
            const all = req.result.transaction("stock-queue").objectStore("stock-queue").getAll();
            all.onsuccess = () => resolve(all.result.length);
        };
    })""") == 0
    assert stock_of(sugar_id) == 6


def test_a_change_the_server_refuses_shows_why_and_its_number(phone: Page, make_koperasi, make_user, make_store,
                                                              make_product):
    owner = make_user("Budi Santoso", mobile="081366660002")
    store = make_store(make_koperasi(), owner=owner, name="Budi Cell")
    cable = make_product(store, name="Kabel Data USB-C", stock=1, category="electronics", unit="pcs")
    page = phone
    log_in(page, "081366660002")
    page.goto("/seller")
    worker_ready(page)
    row = page.locator(f"#product-{cable.id}")
    page.context.set_offline(True)
    try:
        tap(page, cable.id, "-1")
        expect(row.locator(".stock-count")).to_have_text("0")
        # A buyer took the last one at the counter meanwhile (another device).
        db.session.get(Product, cable.id).stock = 0
        db.session.commit()
    finally:
        page.context.set_offline(False)
    expect(row.get_by_role("alert")).to_have_text("Tidak tersimpan. Stok tidak cukup untuk itu.")
    expect(row.locator(".stock-count")).to_have_text("0")
    assert stock_of(cable.id) == 0


def test_an_offline_reload_starts_from_the_newest_stock_the_phone_has_seen(phone: Page, make_koperasi, make_user,
                                                                          make_store, make_product):
    owner = make_user("Made Wirawan", mobile="081366660003")
    store = make_store(make_koperasi(), owner=owner, name="Warung Made")
    rice = make_product(store, name="Beras Bali 5 kg", stock=7)
    page = phone
    log_in(page, "081366660003")
    page.goto("/seller")
    worker_ready(page)  # the worker now keeps this page, saying 7
    row = page.locator(f"#product-{rice.id}")
    tap(page, rice.id, "1")  # online: sent at once
    expect(row.locator(".stock-count")).to_have_text("8")
    expect(row.get_by_text(WAITING)).to_have_count(0)
    assert stock_of(rice.id) == 8

    page.context.set_offline(True)
    try:
        page.reload()  # the kept page still says 7; the phone has seen 8 since
        expect(row.locator(".stock-count")).to_have_text("8")
        tap(page, rice.id, "1")
        expect(row.locator(".stock-count")).to_have_text("9")
        page.reload()
        expect(row.locator(".stock-count")).to_have_text("9")
        expect(row.locator(".stock-state[role=status]")).to_have_text(WAITING)
    finally:
        page.context.set_offline(False)
    expect(row.get_by_text(WAITING)).to_have_count(0)
    expect(row.locator(".stock-count")).to_have_text("9")
    assert stock_of(rice.id) == 9

    # A number newer than what the phone saw (a sale on another device) wins on the next load.
    db.session.get(Product, rice.id).stock = 4
    db.session.commit()
    page.reload()
    expect(row.locator(".stock-count")).to_have_text("4")


DATABASES = "() => indexedDB.databases().then((all) => all.map((d) => d.name))"


def test_indexeddb_is_opened_only_on_the_stock_page_and_cleared_at_logout(phone: Page, make_koperasi, make_user,
                                                                         make_store, make_product):
    owner = make_user("Rina Marlina", mobile="081366660004")
    store = make_store(make_koperasi(), owner=owner, name="Warung Rina")
    make_product(store, name="Minyak Goreng 1 L", stock=3)
    page = phone
    for url in ("/", "/market", "/koperasi"):  # a visitor
        page.goto(url)
        page.wait_for_load_state("load")
        assert "kopz" not in page.evaluate(DATABASES), url
    log_in(page, "081366660004")
    page.goto("/cards")
    page.wait_for_load_state("load")
    assert "kopz" not in page.evaluate(DATABASES)  # a member's page needs no offline queue
    page.goto("/seller")
    expect(page.locator(".stock-count")).to_have_text("3")
    page.wait_for_function("() => indexedDB.databases().then((all) => all.some((d) => d.name === 'kopz'))")

    page.goto("/account")
    page.get_by_role("button", name="Keluar", exact=True).tap()
    page.wait_for_url(lambda url: "/account" not in url)
    page.wait_for_load_state("load")
    assert "kopz" not in page.evaluate(DATABASES)  # Clear-Site-Data: "storage" took the queue with it


def test_changes_queued_offline_are_sent_from_any_page_once_online(phone: Page, make_koperasi, make_user, make_store,
                                                                   make_product):
    owner = make_user("Dewi Lestari", mobile="081366660005")
    store = make_store(make_koperasi(), owner=owner, name="Warung Dewi")
    salt = make_product(store, name="Garam Dapur 500 g", stock=5)
    page = phone
    log_in(page, "081366660005")
    page.goto("/")
    worker_ready(page)  # the worker keeps the home page for offline
    page.goto("/seller")
    row = page.locator(f"#product-{salt.id}")
    expect(row.locator(".stock-count")).to_have_text("5")
    page.context.set_offline(True)
    try:
        tap(page, salt.id, "1")
        expect(row.locator(".stock-state[role=status]")).to_have_text(WAITING)
        page.goto("/")  # the seller moves on before the signal is back: the kept home page
        page.wait_for_load_state("load")
        assert stock_of(salt.id) == 5
    finally:
        page.context.set_offline(False)
    # The home page has no stock form, yet sends what waits, and then stops looking.
    page.wait_for_function("() => localStorage.getItem('kopz-stock-queued') === null")
    assert stock_of(salt.id) == 6
