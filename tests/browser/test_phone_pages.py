"""Pages a newcomer meets on a 360 px phone: adding to the cart, a loan's numbers and
its schedule, the market's grid, the directory's first screen, htmx errors under the CSP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from models import loans
from models.accounts import User
from models.orders import CartItem
from tests.browser.conftest import HEIGHT, TIMEOUT_MS, WIDTH, log_in
from tests.conftest import fund
from web.extensions import db

ROOT = Path(__file__).resolve().parents[2]
TILES = "https://tiles.kopz.test/{z}/{x}/{y}.png"

BUYER = "081344440001"

# Elements in <main> whose content is wider than their box (a table 615 px in a 328 px box).
OVERFLOWING = """() => [...document.querySelectorAll(
  'main div, main section, main table, main dl, main ol, main ul, main li, main details, main article, main p')]
  .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.tagName.toLowerCase() + '.' + e.className + ' ' + e.scrollWidth + '>' + e.clientWidth)"""

# Text boxes narrower than about three characters (a label printed one letter per line).
SLIVERS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(e => e.textContent.trim().length > 2
               && e.getBoundingClientRect().width < 1.5 * parseFloat(getComputedStyle(e).fontSize))
  .map(e => e.textContent.trim())"""


def cart_link(page: Page):
    return page.locator("header.top").get_by_role("link", name=re.compile("^Keranjang"))


@pytest.fixture
def shop(make_koperasi, make_store, make_product, make_user):
    kop = make_koperasi(name="Koperasi Pasar Baru")
    store = make_store(kop, owner=make_user("Siti Rahmawati"), name="Warung Bu Siti")
    make_user("Dewi Pembeli", mobile=BUYER)
    return store, make_product(store, name="Gula Aren 1 kg", price_idr=25_000, stock=9)


def test_add_to_cart_keeps_the_product_page_and_counts_in_the_header(mobile: Page, shop):
    _store, sugar = shop
    page = mobile
    log_in(page, BUYER)
    page.goto(f"/market/{sugar.id}")
    expect(cart_link(page)).to_have_text("Keranjang")  # empty: no number
    page.get_by_label("Jumlah").fill("2")
    page.get_by_role("button", name="Tambah ke keranjang").tap()

    expect(page.get_by_role("status").filter(has_text="Ditambahkan")).to_be_visible()
    expect(cart_link(page)).to_have_text(re.compile(r"^Keranjang\s*1$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Gula Aren 1 kg")
    expect(page.locator("header.top")).to_have_count(1)
    assert page.url.endswith(f"/market/{sugar.id}")

    page.reload()  # the address bar never holds the POST: a reload is the product page again
    expect(page.get_by_role("heading", level=1)).to_have_text("Gula Aren 1 kg")
    expect(cart_link(page)).to_have_text(re.compile(r"^Keranjang\s*1$"))
    assert db.session.scalar(db.select(CartItem.quantity).where(CartItem.product_id == sugar.id)) == 2


def test_add_to_cart_without_javascript_comes_back_to_the_product(browser, device, live_server, shop):
    _store, sugar = shop
    context = browser.new_context(base_url=live_server, java_script_enabled=False, **device)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        log_in(page, BUYER)
        page.goto(f"/market/{sugar.id}")
        page.get_by_role("button", name="Tambah ke keranjang").tap()
        page.wait_for_load_state()
        assert page.url.endswith(f"/market/{sugar.id}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Gula Aren 1 kg")
        expect(page.get_by_role("status")).to_contain_text("Ditambahkan ke keranjang")
        expect(cart_link(page)).to_have_text(re.compile(r"^Keranjang\s*1$"))
    finally:
        context.close()


@pytest.fixture
def member_with_loan(make_koperasi, make_member, make_user, make_staff):
    kop = fund(make_koperasi(name="Koperasi Simpan Pinjam Sejahtera"))
    product = loans.save_product(kop, {
        "name": "Modal Usaha UMKM", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 100, "fee_mode": "deducted",
        "max_amount_idr": 10_000_000, "min_tenor": 3, "max_tenor": 24, "late_fee_mode": "per_instalment",
        "late_fee_idr": 5_000, "requires_guarantor": False, "requires_documents": False, "active": True})
    member = make_member(kop, user=make_user("Sari Anggota", mobile="081344440002"))
    staff = db.session.get(User, kop.created_by_id)
    loan = loans.apply(member, product, 5_000_000, 12, "Tambah stok dan etalase warung sembako")
    loans.approve(loan, staff)
    loans.disburse(loan, make_staff(kop, "teller", user=make_user("Tari Teller", mobile="081344440003")), "cash")
    db.session.commit()
    return kop, product, loan


def test_a_loan_page_reads_at_360_px(mobile: Page, member_with_loan):
    kop, product, loan = member_with_loan
    page = mobile
    log_in(page, "081344440002")
    page.goto(f"/k/{kop.slug}/me/loans/{loan.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Modal Usaha UMKM")
    assert page.evaluate(SLIVERS, ".facts dt, .facts dd") == []
    assert page.evaluate(OVERFLOWING) == []
    assert page.evaluate("document.documentElement.scrollWidth") == WIDTH

    # Each instalment is one row: due date, amount and status at a glance, the split on tap.
    first = page.locator(".instalment").first
    expect(first).to_contain_text("Rp466.666")  # 416.666 principal + 50.000 interest (flat 1 % a month)
    expect(first).to_contain_text("Belum jatuh tempo")
    expect(first.get_by_text("Pokok")).to_be_hidden()
    first.locator("summary").tap()
    expect(first.get_by_text("Pokok")).to_be_visible()
    expect(first.get_by_text("Bunga")).to_be_visible()
    assert page.evaluate(OVERFLOWING) == []

    page.goto(f"/k/{kop.slug}/simulator?product={product.id}&amount=5.000.000&tenor=12")
    expect(page.get_by_role("heading", name="Biaya pinjaman ini")).to_be_visible()
    assert page.evaluate(SLIVERS, ".facts dt, .facts dd") == []
    assert page.evaluate(OVERFLOWING) == []


def test_the_market_is_a_two_column_grid_of_cards(mobile: Page, make_koperasi, make_store, make_product,
                                                  make_user):
    store = make_store(make_koperasi(name="Koperasi Pasar Baru"), owner=make_user("Siti Rahmawati"),
                       name="Warung Bu Siti")
    make_product(store, name="Kopi Robusta 250 g", price_idr=30_000, stock=0, category="food")
    make_product(store, name="Sabun Batang Sereh", price_idr=8_000, stock=2, category="health")
    make_product(store, name="Keripik Tempe", price_idr=12_000, member_price_idr=10_000, stock=40)
    make_product(store, name="Tas Anyaman Pandan", price_idr=95_000, stock=7, category="crafts")
    page = mobile
    page.goto("/market")
    cards = page.locator(".product-card")
    expect(cards).to_have_count(4)
    boxes = [cards.nth(i).bounding_box() for i in range(4)]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[1]["x"] > boxes[0]["x"] + boxes[0]["width"] - 1
    assert boxes[2]["y"] > boxes[0]["y"]
    assert all(b["x"] + b["width"] <= WIDTH for b in boxes)
    assert boxes[2]["y"] + boxes[2]["height"] < HEIGHT * 1.6  # four products in about a screen and a half

    sold_out = cards.filter(has_text="Kopi Robusta 250 g")
    expect(sold_out).to_contain_text("Habis")
    expect(sold_out).to_contain_text("Rp30.000")
    expect(sold_out).to_contain_text("Warung Bu Siti")
    expect(cards.filter(has_text="Sabun Batang Sereh")).to_contain_text("Sisa 2")
    expect(cards.filter(has_text="Tas Anyaman Pandan")).not_to_contain_text("Sisa")
    assert page.evaluate(SLIVERS, ".product-card *") == []
    assert page.evaluate("document.documentElement.scrollWidth") == WIDTH

    # Every category reads in full in its select (none cut off at the right edge).
    cut = page.evaluate("""() => {
        const select = document.querySelector('select[name=category]');
        const style = getComputedStyle(select);
        const ctx = document.createElement('canvas').getContext('2d');
        ctx.font = style.font;
        const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
        return [...select.options].filter(o => ctx.measureText(o.text).width > room).map(o => o.text);
    }""")
    assert cut == []


def test_directory_results_start_on_the_first_screen(mobile: Page, make_koperasi):
    make_koperasi(name="Koperasi Priangan Sejahtera")
    page = mobile
    for url in ("/koperasi", "/koperasi?province=32&jenis=simpan_pinjam"):
        page.goto(url)
        first = page.locator(".hit").first
        expect(first).to_contain_text("Koperasi Priangan Sejahtera")
        box = first.bounding_box()
        bottom_bar = page.locator("nav.nav").bounding_box()["y"]
        assert box["y"] + box["height"] <= bottom_bar, url
        assert page.evaluate("document.documentElement.scrollWidth") == WIDTH


def test_an_htmx_form_error_breaks_no_content_security_rule(mobile: Page):
    page = mobile
    problems: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and "422" not in msg.text
            and problems.append(f"console: {msg.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI));"
        "document.addEventListener('htmx:afterSettle', () => (window.__settled = (window.__settled || 0) + 1));"
    )
    page.goto("/register")
    page.get_by_label("Nama lengkap").fill("Rina Wulandari")
    page.get_by_label("Nomor HP").fill("0813")
    page.get_by_role("button", name="Buat akun").tap()
    expect(page.locator(".field.invalid")).not_to_have_count(0)  # the form, swapped in place with its errors
    page.get_by_label("Nomor HP").fill("0813 44")
    page.get_by_role("button", name="Buat akun").tap()
    # Settling (after the swap) is where htmx used to set inline styles: wait for both.
    for _ in range(100):
        if page.evaluate("window.__settled || 0") >= 2:
            break
        page.wait_for_timeout(50)
    assert page.evaluate("window.__settled || 0") >= 2
    problems += [f"CSP: {v}" for v in page.evaluate("window.__csp || []")]
    assert problems == []


def test_the_map_uses_the_tile_setting_and_a_search_under_it_breaks_no_csp_rule(mobile: Page, app, monkeypatch,
                                                                                make_koperasi):
    monkeypatch.setitem(app.config, "MAP_TILES_URL", TILES)
    monkeypatch.setitem(app.config, "MAP_TILES_ATTRIBUTION", "Peta: Kopz Tiles")
    make_koperasi(name="Koperasi Priangan Sejahtera")
    make_koperasi(name="Koperasi Pasundan Mandiri", jenis="konsumen", lat=-6.93, lng=107.62)
    page = mobile
    tile = (ROOT / "static/icons/icon-192.png").read_bytes()
    asked: list[str] = []
    page.route("https://tiles.kopz.test/**", lambda route: (asked.append(route.request.url),
                                                           route.fulfill(body=tile, content_type="image/png")))
    problems: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    response = page.goto("/koperasi")
    assert "img-src 'self' data: blob: https://tiles.kopz.test;" in response.headers["content-security-policy"]
    page.get_by_role("link", name="Tampilkan peta").tap()
    expect(page.locator("#map .leaflet-tile-loaded").first).to_be_visible()
    expect(page.locator("#map")).to_contain_text("Peta: Kopz Tiles")
    assert asked and all(url.startswith("https://tiles.kopz.test/") for url in asked)

    # A filter under the map swaps the results (and the map) with htmx: Leaflet had styled
    # the old map box, and htmx used to copy that style attribute over while settling.
    page.locator("details.filters summary").tap()
    page.get_by_label("Jenis").select_option("konsumen")
    expect(page.locator(".hit")).to_have_count(1)
    expect(page.locator("#map .leaflet-marker-icon")).to_have_count(1)
    # And a form error swapped in the same place (a position outside Indonesia, as a phone's GPS could give).
    page.evaluate("""() => { const form = document.getElementById('search');
        form.elements.lat.value = '52.52'; form.elements.lng.value = '13.40'; form.requestSubmit(); }""")
    expect(page.locator("#results").get_by_text("Lokasi itu di luar Indonesia", exact=False)).to_be_visible()
    problems += [f"CSP: {v}" for v in page.evaluate("window.__csp || []")]
    assert problems == []


def test_without_a_tile_server_the_directory_is_a_list_only(mobile: Page, app, monkeypatch, make_koperasi):
    monkeypatch.setitem(app.config, "MAP_TILES_URL", "")
    make_koperasi(name="Koperasi Priangan Sejahtera")
    page = mobile
    response = page.goto("/koperasi?view=map")
    assert "https:" not in response.headers["content-security-policy"]
    expect(page.locator(".hit")).to_contain_text("Koperasi Priangan Sejahtera")
    expect(page.get_by_role("link", name="Tampilkan peta")).to_have_count(0)
    expect(page.locator("#map")).to_have_count(0)


def test_a_big_store_pages_and_finds_a_product_at_360_px(mobile: Page, make_koperasi, make_store, make_product,
                                                         make_user):
    store = make_store(make_koperasi(), owner=make_user("Budi Santoso", mobile="081344440009"), name="Toko Budi")
    for n in range(25):
        make_product(store, name=f"Barang {n:02d}", stock=4)
    cable = make_product(store, name="Kabel Data USB-C", stock=7)
    page = mobile
    log_in(page, "081344440009")
    page.goto("/seller")
    expect(page.locator(".seller-row")).to_have_count(20)
    expect(page.get_by_text("Halaman 1 dari 2")).to_be_visible()
    assert page.evaluate(OVERFLOWING) == []
    assert page.evaluate("document.documentElement.scrollWidth") == WIDTH

    page.get_by_role("searchbox", name="Cari produk").fill("kabel")
    page.get_by_role("button", name="Cari").tap()
    expect(page.locator(".seller-row")).to_have_count(1)
    expect(page.get_by_text("Produk ditemukan: 1")).to_be_visible()
    row = page.locator(f"#product-{cable.id}")
    row.locator('button[name="delta"][value="1"]').tap()
    expect(row.locator(".stock-count")).to_have_text("8")
    assert page.evaluate(OVERFLOWING) == []
    assert page.evaluate("document.documentElement.scrollWidth") == WIDTH
