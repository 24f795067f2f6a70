"""The home after login: cards with balances, the next instalment, orders, the seller's
new orders, the staff member's offices, the platform admin's queue; the ways in from the
account page; koperasi logos. Logged out, the home stays the welcome page."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from models import loans, savings
from models.accounts import User
from models.home import today_wib
from models.koperasi import Koperasi, KoperasiLogo
from models.membership import apply as apply_to_join
from models.orders import Choice, add_to_cart, checkout, move
from tests.conftest import fund, koperasi_data, login

NIKS = [f"32730115089{n:05d}" for n in range(1, 50)]


def _product_terms() -> dict:
    return {"name": "Modal Usaha", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 0, "fee_mode": "deducted",
            "max_amount_idr": 10_000_000, "min_tenor": 3, "max_tenor": 24, "late_fee_mode": "per_instalment",
            "late_fee_idr": 0, "requires_guarantor": False, "requires_documents": False, "active": True}


def _active_loan(db, membership, amount=1_200_000, tenor=12, start=None):
    """A flat 1 % loan paid out on ``start``: 1.200.000 over 12 months is 112.000 a month."""
    product = loans.save_product(membership.koperasi, _product_terms())
    staff = db.session.get(User, membership.koperasi.created_by_id)
    membership.koperasi.single_person_loans = True  # a small koperasi: its one pengurus approves and pays out
    loan = loans.apply(membership, product, amount, tenor, "Modal warung sembako")
    loans.approve(loan, staff)
    fund(membership.koperasi, amount)  # the koperasi has the cash it lends
    loans.disburse(loan, staff, "cash", today=start or today_wib())
    db.session.commit()
    return loan


def _order(db, buyer, product):
    add_to_cart(buyer, product, 1)
    [order] = checkout(buyer, {product.store_id: Choice()}, key=f"home-{buyer.id}-{product.id}").orders
    db.session.commit()
    return order


def _in_english(client):
    client.post("/language", data={"lang": "en"})
    return client


@pytest.fixture
def dewi(make_user):
    return make_user(full_name="Dewi Lestari")


@pytest.fixture
def dewi_client(app, dewi):
    return login(app.test_client(), dewi)


# ---------------------------------------------------------------- logged out

def test_logged_out_home_is_the_welcome_page_with_a_way_to_register_a_koperasi(client):
    html = client.get("/").text
    assert 'class="hero"' in html and 'href="/register"' in html
    assert 'href="/koperasi/new"' in html  # "Do you run a koperasi? Register it"
    assert 'id="home-cards"' not in html


# ---------------------------------------------------------------- a member

def test_each_card_shows_its_savings_and_what_is_left_to_do(dewi_client, dewi, make_koperasi, make_member,
                                                            make_user, db):
    sejahtera = make_koperasi(name="Koperasi Sejahtera", member_prefix="KSJ")
    makmur = make_koperasi(name="Koperasi Makmur", member_prefix="KMK", pokok_idr=150_000)
    tani = make_koperasi(name="Koperasi Tani", member_prefix="KTN")
    active = make_member(sejahtera, user=dewi, nik=NIKS[0])
    savings.deposit(active, "sukarela", 250_000, "cash", None)
    make_member(makmur, user=dewi, status="approved", nik=NIKS[1])
    make_member(tani, user=dewi, status="applied", nik=NIKS[2])
    rich = make_member(sejahtera, user=make_user(full_name="Budi Tetangga"), nik=NIKS[3])  # someone else
    savings.deposit(rich, "sukarela", 9_000_000, "cash", None)
    db.session.commit()

    html = dewi_client.get("/").text
    lines = re.findall(r'<li><a class="home-line" href="(/k/[^"]+/me)">(.*?)</a></li>', html, re.S)
    assert [href for href, _ in lines] == [f"/k/{makmur.slug}/me", f"/k/{sejahtera.slug}/me", f"/k/{tani.slug}/me"]
    by_slug = {href.split("/")[2]: body for href, body in lines}
    assert "Rp350.000" in by_slug[sejahtera.slug] and "KSJ-00001" in by_slug[sejahtera.slug]
    assert "Simpanan pokok yang harus dibayar: Rp150.000" in by_slug[makmur.slug]
    assert "Menunggu persetujuan" in by_slug[tani.slug] and "Rp" not in by_slug[tani.slug]
    assert "Rp9.350.000" not in html and "Rp9.000.000" not in html and "Budi Tetangga" not in html
    assert 'id="home-store"' not in html and 'id="home-offices"' not in html and "/admin" not in html


def test_a_person_with_no_membership_is_shown_where_to_find_one(dewi_client):
    html = dewi_client.get("/").text
    assert "Anda belum menjadi anggota koperasi mana pun." in html
    assert 'class="button" href="/koperasi"' in html


def test_next_instalment_with_its_date_and_an_overdue_flag(dewi_client, dewi, make_koperasi, make_member,
                                                           make_user, db):
    late_kop, fresh_kop = make_koperasi(name="Koperasi Lama"), make_koperasi(name="Koperasi Baru")
    late = _active_loan(db, make_member(late_kop, user=dewi, nik=NIKS[0]), start=today_wib() - timedelta(days=75))
    fresh = _active_loan(db, make_member(fresh_kop, user=dewi, nik=NIKS[1]))
    _active_loan(db, make_member(fresh_kop, user=make_user(full_name="Orang Lain"), nik=NIKS[2]), amount=7_000_000)

    html = dewi_client.get("/").text
    dues = re.findall(r'<a class="home-due( overdue)?" href="([^"]+)">(.*?)</a>', html, re.S)
    assert [(flag, href) for flag, href, _ in dues] == [
        (" overdue", f"/k/{late_kop.slug}/me/loans/{late.id}"), ("", f"/k/{fresh_kop.slug}/me/loans/{fresh.id}")]
    late_text, fresh_text = dues[0][2], dues[1][2]
    assert "Rp112.000" in late_text and "Terlambat: Rp224.000" in late_text  # two months unpaid
    assert "Rp112.000" in fresh_text and "Terlambat" not in fresh_text
    assert "Rp7.000.000" not in html and "Rp653.333" not in html  # the other member's loan


def test_orders_in_progress_only_mine_and_unfinished(dewi_client, dewi, make_koperasi, make_store, make_product,
                                                      make_user, db):
    kop = make_koperasi()
    store = make_store(kop, owner=make_user(full_name="Bu Siti"), name="Warung Bu Siti")
    rice = make_product(store, name="Beras", price_idr=75_000)
    oil = make_product(store, name="Minyak", price_idr=32_000)
    open_order = _order(db, dewi, rice)
    done = _order(db, dewi, oil)
    move(done, "cancelled", dewi, as_seller=False)
    db.session.commit()
    _order(db, make_user(full_name="Pembeli Lain"), oil)

    html = dewi_client.get("/").text
    assert f'href="/orders/{open_order.id}"' in html and "Rp75.000" in html and "Warung Bu Siti" in html
    assert f'href="/orders/{done.id}"' not in html and "Rp32.000" not in html
    assert 'href="/orders"' in html


def test_a_seller_sees_new_orders_and_the_way_to_the_store(app, make_koperasi, make_store, make_product,
                                                            make_user, db):
    seller = make_user(full_name="Bu Siti")
    store = make_store(make_koperasi(), owner=seller)
    product = make_product(store)
    _order(db, make_user(full_name="Pembeli Satu"), product)
    _order(db, make_user(full_name="Pembeli Dua"), product)
    html = login(app.test_client(), seller).get("/").text
    assert re.search(r'href="/seller/orders">Pesanan baru: 2</a>', html)
    assert 'href="/seller"' in html


# ---------------------------------------------------------------- staff

def test_a_staff_member_sees_every_office_with_what_waits(app, dewi, make_koperasi, make_member, make_store,
                                                          make_staff, make_user, db):
    quiet = make_koperasi(admin=dewi, name="Koperasi Aman")
    busy = make_koperasi(admin=dewi, name="Koperasi Sibuk")
    teller_at = make_koperasi(name="Koperasi Teller")
    make_staff(teller_at, "teller", user=dewi)
    pending = make_koperasi(admin=dewi, name="Koperasi Baru Daftar", status="pending")
    elsewhere = make_koperasi(name="Koperasi Tetangga")  # not Dewi's office
    for nik in NIKS[:2]:
        apply_to_join(make_user(), busy, full_name="Calon Anggota", nik=nik, address="Jl. Dago No. 10, Bandung",
                      occupation="Petani", is_umkm=False, business_name=None, agreed=True, consented=True)
    applicant = make_member(busy, nik=NIKS[2])
    loans.apply(applicant, loans.save_product(busy, _product_terms()), 1_000_000, 6, "Modal usaha tani")
    make_store(teller_at, status="pending")  # for its pengurus: a teller approves no store
    to_pay = loans.apply(make_member(teller_at, nik=NIKS[4]), loans.save_product(teller_at, _product_terms()),
                         2_000_000, 6, "Modal usaha")
    loans.approve(to_pay, db.session.get(User, teller_at.created_by_id))
    make_member(elsewhere, status="applied", nik=NIKS[3])
    db.session.commit()

    html = login(app.test_client(), dewi).get("/").text
    offices = re.findall(r'<li class="home-office">(.*?)</li>', html, re.S)
    assert [re.search(r'href="/k/([^"/]+)/office"', o).group(1) for o in offices] == [
        quiet.slug, pending.slug, busy.slug, teller_at.slug]
    assert "Tidak ada yang menunggu" in offices[0]
    assert "Menunggu verifikasi" in offices[1]
    assert f'href="/k/{busy.slug}/office/applications">Pendaftaran: 2</a>' in offices[2]
    assert f'href="/k/{busy.slug}/office/loans">Pinjaman untuk ditinjau: 1</a>' in offices[2]
    assert "Toko untuk disetujui" not in offices[3]  # what waits for a teller is paying out
    assert f'href="/k/{teller_at.slug}/office/loans/list?status=approved">Pinjaman untuk dicairkan: 1</a>' in offices[3]
    assert elsewhere.slug not in html


# ---------------------------------------------------------------- platform admin

def test_a_platform_admin_sees_the_koperasi_to_verify(app, make_koperasi, make_user, db):
    make_koperasi(status="pending"), make_koperasi(status="pending"), make_koperasi()
    admin = db.session.scalar(sa.select(User).where(User.is_platform_admin))
    html = login(app.test_client(), admin).get("/").text
    assert 'href="/admin/koperasi">Koperasi untuk diverifikasi: 2</a>' in html
    account = login(app.test_client(), admin).get("/account").text
    assert 'href="/admin/koperasi"' in account


# ---------------------------------------------------------------- both languages

@pytest.mark.parametrize(("lang", "words"), [
    ("id", ["Kartu saya", "Kantor saya", "Halo, Dewi", "Daftarkan koperasi"]),
    ("en", ["My cards", "My offices", "Hello, Dewi", "Register a koperasi"]),
])
def test_home_in_both_languages(app, dewi, make_koperasi, make_member, db, lang, words):
    make_member(make_koperasi(admin=dewi, name="Koperasi Dua Bahasa"), user=dewi)
    client = login(app.test_client(), dewi)
    client.post("/language", data={"lang": lang})
    html = client.get("/").text
    assert f'<html lang="{lang}">' in html
    for word in words:
        assert word in html, word


# ---------------------------------------------------------------- the account page

def test_account_lists_the_ways_in(app, dewi, make_koperasi, make_member, db):
    kop = make_koperasi(admin=dewi, name="Koperasi Pintu")
    make_member(kop, user=dewi)
    html = _in_english(login(app.test_client(), dewi)).get("/account").text
    assert 'href="/orders">My orders</a>' in html
    assert f'href="/seller/open/{kop.slug}">Open a store</a>' in html
    assert 'href="/koperasi/new">Register a koperasi</a>' in html
    assert f'href="/k/{kop.slug}/office"' in html and "My offices" in html
    assert "/admin" not in html  # not a platform admin


def test_account_of_a_seller_links_the_store(app, make_koperasi, make_store, make_user):
    seller = make_user(full_name="Bu Siti")
    make_store(make_koperasi(), owner=seller)
    html = _in_english(login(app.test_client(), seller)).get("/account").text
    assert 'href="/seller">My store</a>' in html and "Open a store" not in html


# ---------------------------------------------------------------- logos

def _png(colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 300), colour).save(out, "PNG")
    return out.getvalue()


def _profile_form(koperasi, **overrides) -> dict:
    data = koperasi_data(name=koperasi.name, legal_number=koperasi.legal_number, **overrides)
    return {key: ("" if value is None else value if isinstance(value, list) else value if isinstance(value, tuple)
                  else str(value)) for key, value in data.items()}


def test_uploaded_logo_replaces_the_letter_everywhere_the_koperasi_is_shown(app, dewi, make_koperasi,
                                                                            make_member, db):
    kop = make_koperasi(admin=dewi, name="Koperasi Berlogo")
    make_member(kop, user=dewi)
    client = login(app.test_client(), dewi)
    letter = '<span class="home-logo" aria-hidden="true">K</span>'
    assert letter in client.get("/").text

    response = client.post(f"/k/{kop.slug}/office/profile", content_type="multipart/form-data",
                           data=_profile_form(kop, logo=(io.BytesIO(_png()), "logo.png", "image/png")))
    assert response.status_code == 303
    version = db.session.get(Koperasi, kop.id).logo_version
    src = f'src="/k/{kop.slug}/logo.webp?v={version}&amp;s='  # s: the size shown, twice (80 or 144 px)
    assert version and letter not in client.get("/").text and src in client.get("/").text
    assert src in client.get("/cards").text
    assert src in client.get(f"/k/{kop.slug}").text
    assert src in client.get("/koperasi?q=Berlogo").text
    assert src in client.get(f"/k/{kop.slug}/office/profile").text  # the current logo, to replace
    image = client.get(f"/k/{kop.slug}/logo.webp?v={version}")
    assert image.mimetype == "image/webp" and "immutable" in image.headers["Cache-Control"]

    client.post(f"/k/{kop.slug}/office/profile", content_type="multipart/form-data",
                data=_profile_form(kop, logo=(io.BytesIO(_png((20, 20, 200))), "baru.png", "image/png")))
    newer = db.session.get(Koperasi, kop.id).logo_version
    assert newer != version and f"?v={newer}" in client.get("/").text  # a new logo, a new URL


def test_a_file_that_is_not_a_picture_keeps_the_old_logo(app, dewi, make_koperasi, db):
    kop = make_koperasi(admin=dewi, name="Koperasi Berlogo")
    client = login(app.test_client(), dewi)
    client.post(f"/k/{kop.slug}/office/profile", content_type="multipart/form-data",
                data=_profile_form(kop, logo=(io.BytesIO(_png()), "logo.png", "image/png")))
    db.session.expire_all()
    before = db.session.get(KoperasiLogo, kop.id).data
    version = db.session.get(Koperasi, kop.id).logo_version

    response = client.post(f"/k/{kop.slug}/office/profile", content_type="multipart/form-data",
                           data=_profile_form(kop, description="Deskripsi baru yang tidak boleh tersimpan.",
                                              logo=(io.BytesIO(b"%PDF-1.4 bukan gambar"), "ktp.pdf")))
    assert response.status_code == 422 and "Berkas ini bukan gambar." in response.text
    db.session.expire_all()
    assert db.session.get(KoperasiLogo, kop.id).data == before
    assert db.session.get(Koperasi, kop.id).logo_version == version
    assert db.session.get(Koperasi, kop.id).description != "Deskripsi baru yang tidak boleh tersimpan."


def test_a_koperasi_without_a_logo_shows_its_letter_on_the_profile_and_in_results(client, make_koperasi):
    kop = make_koperasi(name="Warung Bersama")
    assert '<span class="logo" aria-hidden="true">W</span>' in client.get(f"/k/{kop.slug}").text
    assert '<span class="hit-logo" aria-hidden="true">W</span>' in client.get("/koperasi?q=Warung").text
