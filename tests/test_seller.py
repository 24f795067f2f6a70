"""The seller area: opening a store, the stock page at the stall, prices in place,
products with photos, and that nobody touches another seller's products."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
import sqlalchemy as sa
from PIL import Image

from models.market import Product, ProductPhoto, StockChange, Store
from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure
from tests.conftest import login, store_data
from web.media import public_store


@pytest.fixture
def kop(make_koperasi):
    return make_koperasi()


@pytest.fixture
def store(kop, make_store):
    return make_store(kop)


@pytest.fixture
def seller(app, store, db):
    from models.accounts import User
    return login(app.test_client(), db.session.get(User, store.owner_id))


def htmx(product):
    return {"HX-Request": "true", "HX-Target": f"product-{product.id}"}


def store_form(**overrides):
    data = {"name": "Keripik Bu Ani", "description": "Keripik singkong.", "nib": "", "address": "Jl. Dago No. 12",
            "lat": "-6.8915", "lng": "107.6107", "pickup": "y", "delivery_km": "5", "delivery_fee_idr": "10.000",
            "cod": "y", "whatsapp": "081234500009", "opening_hours": "08.00–17.00"}
    data.update(overrides)
    return data


# ---------------------------------------------------------------- open a store

def test_an_active_member_opens_a_store_that_waits_for_approval(app, kop, make_member, db):
    member = make_member(kop).user
    client = login(app.test_client(), member)
    page = client.get(f"/seller/open/{kop.slug}")
    assert page.status_code == 200 and "Buka toko" in page.text
    response = client.post(f"/seller/open/{kop.slug}", data=store_form())
    assert response.status_code == 303
    store = db.session.scalar(sa.select(Store).where(Store.owner_id == member.id))
    assert store.status == "pending" and store.delivery_fee_idr == 10_000 and store.koperasi_id == kop.id
    assert f"/seller/open/{kop.slug}" in client.get(f"/k/{kop.slug}/me").text
    seller_page = client.get(response.headers["Location"])
    assert "Menunggu persetujuan" in seller_page.text


def test_only_active_members_may_open_a_store(app, kop, make_member, make_user, db):
    applicant = make_member(kop, status="applied").user
    stranger = make_user()
    for user in (applicant, stranger):
        client = login(app.test_client(), user)
        assert client.get(f"/seller/open/{kop.slug}").status_code == 404
        assert client.post(f"/seller/open/{kop.slug}", data=store_form()).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Store)) == 0
    assert app.test_client().get(f"/seller/open/{kop.slug}").status_code == 303


def test_a_bad_store_form_says_why_and_keeps_what_was_typed(app, kop, make_member, db):
    client = login(app.test_client(), make_member(kop).user)
    response = client.post(f"/seller/open/{kop.slug}", data=store_form(lat="48.85", nib="123"))
    assert response.status_code == 422
    assert 'value="Keripik Bu Ani"' in response.text and 'value="48.85"' in response.text
    assert "Posisi peta harus di Indonesia" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Store)) == 0


def test_a_koperasi_admin_opens_the_koperasi_own_store_open_at_once(app, kop, db):
    from models.accounts import User
    admin = db.session.get(User, kop.created_by_id)
    client = login(app.test_client(), admin)
    assert client.post(f"/seller/open/{kop.slug}", data=store_form(name="Toko Koperasi")).status_code == 303
    store = db.session.scalar(sa.select(Store).where(Store.owner_id == admin.id))
    assert store.status == "approved" and store.membership_id is None


# ---------------------------------------------------------------- the seller page

def test_the_seller_page_lists_only_own_products_and_flags_low_stock(kop, store, seller, make_store, make_product):
    make_product(store, name="Gula Aren", stock=0)
    make_product(store, name="Kopi Robusta", stock=2)
    make_product(store, name="Teh Melati", stock=40)
    other = make_store(kop, name="Toko Lain")
    make_product(other, name="Sabun Sereh")
    page = seller.get("/seller")
    assert page.status_code == 200
    assert "Gula Aren" in page.text and "Teh Melati" in page.text and "Sabun Sereh" not in page.text
    assert "Stok habis" in page.text and "Stok menipis" in page.text
    assert 'href="/seller/orders"' in page.text and 'id="order-badge"' in page.text
    assert "hx-trigger" not in page.text.split('id="order-badge"')[1].split(">")[0]  # shown on load, never polled
    assert page.text.count("data-offline-stock") == 3
    assert 'role="search"' not in page.text  # three products: nothing to search


def test_a_seller_with_two_stores_picks_one(kop, store, seller, make_product, db):
    from models.accounts import User
    from models.market import open_store
    second = open_store(db.session.get(User, store.owner_id), kop, store_data(name="Kedai Kedua"))
    db.session.commit()
    make_product(second, name="Es Cendol")
    make_product(store, name="Beras Merah")
    first_page = seller.get("/seller")
    assert "Beras Merah" in first_page.text and "Es Cendol" not in first_page.text
    second_page = seller.get(f"/seller?store={second.id}")
    assert "Es Cendol" in second_page.text and "Beras Merah" not in second_page.text


# ---------------------------------------------------------------- stock

def test_plus_minus_and_set_to_by_normal_post_redirect_back(store, seller, make_product, db):
    product = make_product(store, stock=5)
    url = f"/seller/products/{product.id}/stock"
    response = seller.post(url, data={"delta": "1", "key": "a" * 32})
    assert response.status_code == 303 and response.headers["Location"].startswith("/seller")
    seller.post(url, data={"delta": "-1", "key": "b" * 32})
    seller.post(url, data={"delta": "-1", "key": "c" * 32})
    assert db.session.get(Product, product.id).stock == 4
    seller.post(url, data={"set_to": "12", "set": "1", "key": "d" * 32})
    db.session.expire_all()
    assert db.session.get(Product, product.id).stock == 12


def test_htmx_stock_change_returns_only_the_row(store, seller, make_product, db):
    product = make_product(store, stock=3)
    response = seller.post(f"/seller/products/{product.id}/stock", data={"delta": "1", "key": "e" * 32},
                           headers=htmx(product))
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<li id="product-{product.id}"')
    assert "<html" not in response.text and '<output class="stock-count">4</output>' in response.text


def test_stock_never_goes_negative_and_says_so(store, seller, make_product, db):
    product = make_product(store, stock=0)
    response = seller.post(f"/seller/products/{product.id}/stock", data={"delta": "-1", "key": "f" * 32},
                           headers=htmx(product))
    assert response.status_code == 422 and "Stok tidak cukup" in response.text
    page = seller.post(f"/seller/products/{product.id}/stock", data={"set_to": "-4", "set": "1", "key": "g" * 32})
    assert page.status_code == 422 and "Stok adalah bilangan bulat" in page.text
    assert db.session.get(Product, product.id).stock == 0


def test_the_same_key_twice_applies_once(store, seller, make_product, db):
    product = make_product(store, stock=5)
    for _ in range(2):
        seller.post(f"/seller/products/{product.id}/stock", data={"delta": "-1", "key": "h" * 32})
    assert db.session.get(Product, product.id).stock == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StockChange)) == 1


# ---------------------------------------------------------------- price in place

def test_price_edited_in_place(store, seller, make_product, db):
    product = make_product(store, price_idr=75_000)
    form = seller.get(f"/seller/products/{product.id}/price", headers=htmx(product))
    assert form.status_code == 200 and 'name="price_idr"' in form.text and "<html" not in form.text
    row = seller.post(f"/seller/products/{product.id}/price", data={"price_idr": "82.500"}, headers=htmx(product))
    assert row.status_code == 200 and "82.500" in row.text and 'name="price_idr"' not in row.text
    assert db.session.get(Product, product.id).price_idr == 82_500
    assert seller.post(f"/seller/products/{product.id}/price", data={"price_idr": "90000"}).status_code == 303


@pytest.mark.parametrize("typed, message", [("abc", "Masukkan"), ("0", "di atas Rp0"), ("-5.000", "di atas Rp0")])
def test_a_bad_price_is_refused_with_nothing_saved(store, seller, make_product, db, typed, message):
    product = make_product(store, price_idr=75_000)
    response = seller.post(f"/seller/products/{product.id}/price", data={"price_idr": typed}, headers=htmx(product))
    assert response.status_code == 422 and message in response.text and f'value="{typed}"' in response.text
    page = seller.post(f"/seller/products/{product.id}/price", data={"price_idr": typed})
    assert page.status_code == 422 and message in page.text
    db.session.expire_all()
    assert db.session.get(Product, product.id).price_idr == 75_000


# ---------------------------------------------------------------- products and photos

def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (1600, 1200), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"  # Make
    exif[0x0131] = "GPS-di-sini"  # Software
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def product_form(**overrides):
    data = {"name": "Keripik Pedas", "description": "Renyah.", "category": "food", "unit": "bungkus",
            "price_idr": "15.000", "member_price_idr": "", "stock": "7", "active": "y"}
    data.update(overrides)
    return data


def test_a_product_with_a_real_photo_is_stored_as_webp_without_exif(app, store, seller, db):
    raw = jpeg_with_exif()
    assert b"KameraRahasia" in raw
    response = seller.post(f"/seller/products/new?store={store.id}",
                           data={**product_form(), "photos": (io.BytesIO(raw), "foto.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    product = db.session.scalar(sa.select(Product).where(Product.store_id == store.id))
    assert product.price_idr == 15_000 and product.stock == 7
    photo = db.session.scalar(sa.select(ProductPhoto).where(ProductPhoto.product_id == product.id))
    assert product.photo_version == photo.version
    for name, longest in ((photo.thumb, 320), (photo.detail, 1080)):
        path = os.path.join(app.config["MEDIA_DIR"], "public", "p", name)  # a file in the media folder
        with open(path, "rb") as stored:
            data = stored.read()
        assert name == hashlib.sha256(data).hexdigest() + ".webp"
        assert data[:4] == b"RIFF" and data[8:12] == b"WEBP" and b"KameraRahasia" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert max(image.size) == longest and not image.getexif()
    served = app.test_client().get(f"/media/p/{photo.thumb}")  # through WhiteNoise, written after start-up
    assert served.status_code == 200 and served.mimetype == "image/webp" and served.data[8:12] == b"WEBP"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert app.test_client().get(f"/media/p/{'0' * 64}.webp").status_code == 404


@pytest.mark.parametrize("upload, message", [
    (b"%PDF-1.4 bukan gambar", "bukan gambar"),
    (b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 10), "lebih besar"),
])
def test_a_non_image_or_oversized_file_is_refused_and_nothing_saved(store, seller, db, upload, message):
    response = seller.post(f"/seller/products/new?store={store.id}",
                           data={**product_form(), "photos": (io.BytesIO(upload), "berkas.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and message in response.text and "Keripik Pedas" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProductPhoto)) == 0


def test_a_product_is_edited_and_a_hidden_products_photo_is_on_no_public_page(app, store, seller, make_product, db):
    product = make_product(store)
    page = seller.get(f"/seller/products/{product.id}")
    assert page.status_code == 200 and product.name in page.text
    response = seller.post(f"/seller/products/{product.id}",
                           data={**product_form(name="Keripik Manis"), "active": "",
                                 "photos": (io.BytesIO(jpeg_with_exif()), "a.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert product.name == "Keripik Manis" and not product.active and product.stock == 10
    photo = db.session.scalar(sa.select(ProductPhoto).where(ProductPhoto.product_id == product.id))
    visitor = app.test_client()
    assert visitor.get(f"/market/{product.id}").status_code == 404
    assert photo.thumb not in visitor.get("/market").text and photo.thumb not in visitor.get(f"/toko/{store.slug}").text
    assert f'src="/media/p/{photo.thumb}"' in seller.get(f"/seller/products/{product.id}").text


def test_another_seller_gets_404_on_every_url_of_my_product(app, kop, store, make_store, make_product, db):
    from models.accounts import User
    product = make_product(store, stock=5, price_idr=75_000)
    other = make_store(kop, name="Toko Tetangga")
    intruder = login(app.test_client(), db.session.get(User, other.owner_id))
    base = f"/seller/products/{product.id}"
    assert intruder.get(base).status_code == 404
    assert intruder.post(base, data=product_form()).status_code == 404
    assert intruder.get(f"{base}/price").status_code == 404
    assert intruder.post(f"{base}/price", data={"price_idr": "1"}).status_code == 404
    assert intruder.post(f"{base}/stock", data={"delta": "-1", "key": "i" * 32}).status_code == 404
    assert intruder.post(f"{base}/stock", data={"delta": "1"}, headers=htmx(product)).status_code == 404
    assert intruder.get(f"/seller/products/new?store={store.id}").status_code == 404
    assert intruder.get(f"/seller?store={store.id}").status_code == 404
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert product.stock == 5 and product.price_idr == 75_000
    assert app.test_client().get("/seller").status_code == 303


def test_seller_page_budget_with_60_products(store, seller, make_product):
    for n in range(60):
        make_product(store, name=f"Produk {n:02d}", stock=n % 5)
    page = measure(seller, "/seller")
    assert page.status == 200 and page.body.count("data-offline-stock") == 20  # one page of 20
    assert "Halaman 1 dari 3" in page.body
    assert len(page.queries) <= MAX_QUERIES, page.queries
    assert page.html_gzip <= MAX_HTML_GZIP
    product_id = int(page.body.split('id="product-')[1].split('"')[0])
    fragment = measure(seller, f"/seller/products/{product_id}/price",
                       headers={"HX-Request": "true", "HX-Target": f"product-{product_id}"})
    assert fragment.html_gzip < page.html_gzip and len(fragment.queries) <= MAX_QUERIES


def test_a_seller_with_thousands_of_products_gets_a_small_page_and_finds_one(store, seller, db):
    """The page holds 20 products whatever the catalogue's size, in the same few queries; a search
    finds one among them; a stock change without JavaScript comes back to the page and search it was on."""
    from models.market import Product
    db.session.execute(sa.insert(Product), [
        dict(store_id=store.id, koperasi_id=store.koperasi_id, name=f"Barang {n:04d}", description="", category="food",
             unit="pcs", price_idr=1_000 + n, stock=5, active=True) for n in range(2000)])
    db.session.commit()
    first = measure(seller, "/seller")
    assert first.status == 200 and first.body.count("data-offline-stock") == 20
    assert "Barang 0000" in first.body and "Barang 0020" not in first.body and "Halaman 1 dari 100" in first.body
    assert len(first.queries) <= MAX_QUERIES and first.html_gzip <= MAX_HTML_GZIP
    last = measure(seller, "/seller?page=100")
    assert "Barang 1999" in last.body and len(last.queries) == len(first.queries)
    found = measure(seller, "/seller?q=barang+1234")
    assert found.body.count("data-offline-stock") == 1 and "Barang 1234" in found.body
    assert "Produk ditemukan: 1" in found.body
    assert "Tidak ada produk yang cocok." in seller.get("/seller?q=tidak-ada").text
    product = db.session.scalar(sa.select(Product).where(Product.name == "Barang 1234"))
    action = found.body.split(f'id="product-{product.id}"')[1].split('class="stock"')[0].split('action="')[-1]
    response = seller.post(action.split('"')[0].replace("&amp;", "&"), data={"delta": "1", "key": "k" * 32})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/seller?store={store.id}&q=barang+1234")
    db.session.expire_all()
    assert db.session.get(Product, product.id).stock == 6


def test_seller_edits_their_store_and_no_one_else_can(app, db, make_koperasi, make_store, make_user):
    from models.accounts import User
    from models.market import Store
    from tests.conftest import login, store_data

    kop = make_koperasi()
    store = make_store(kop)
    owner = login(app.test_client(), db.session.get(User, store.owner_id))
    data = {k: v for k, v in store_data(name="Warung Bu Siti Baru", opening_hours="07.00–21.00").items()
            if v is not None and v is not False}
    data.update(pickup="y", cod="y", lat="-6.8915", lng="107.6107", delivery_fee_idr="10.000")
    response = owner.post(f"/seller/stores/{store.id}", data=data)
    assert response.status_code == 303
    assert db.session.get(Store, store.id).name == "Warung Bu Siti Baru"
    bad = owner.post(f"/seller/stores/{store.id}", data={**data, "lat": "40.7", "name": "Nama Diketik"})
    assert bad.status_code == 422 and "Posisi peta harus di Indonesia" in bad.text and "Nama Diketik" in bad.text
    assert db.session.get(Store, store.id).name == "Warung Bu Siti Baru"
    stranger = login(app.test_client(), make_user(full_name="Orang Lain"))
    assert stranger.get(f"/seller/stores/{store.id}").status_code == 404
    assert stranger.post(f"/seller/stores/{store.id}", data=data).status_code == 404


def test_a_photo_follows_the_listing_rule_not_a_copy_of_it(app, kop, store, seller, make_product, db):
    """A product in an approved store of a koperasi that is no longer verified is not listed:
    no public page prints its photo's address any more; its seller still sees it. (The file
    itself is public under an unguessable name, as models/storage.py explains.)"""
    product = make_product(store)
    name = public_store().put(b"RIFF-thumb", "webp")
    db.session.add(ProductPhoto(product_id=product.id, position=0, version="abc123", thumb=name, detail=name))
    db.session.get(Product, product.id).photo_version = "abc123"
    db.session.commit()
    assert f"/media/p/{name}" in app.test_client().get("/market").text
    kop.status = "pending"
    db.session.commit()
    visitor = app.test_client()
    assert name not in visitor.get("/market").text and visitor.get(f"/market/{product.id}").status_code == 404
    assert f"/media/p/{name}" in seller.get(f"/seller/products/{product.id}").text
