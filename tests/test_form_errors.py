"""Bad input, as a user meets it: one submit shows every field's problem (the form's
own and the domain's rules together), with what was typed, a picture chosen is kept
for the next submit, and the address stays on the form's page."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
import sqlalchemy as sa
from PIL import Image

from models import loans
from models.accounts import User
from models.koperasi import Koperasi, KoperasiLogo
from models.loans import Loan
from models.market import Product, ProductPhoto, Store
from models.membership import Membership
from models.savings import balances
from tests.conftest import koperasi_data, login, store_data
from tests.pdf_files import pdfs
from tests.test_loans_views import apply_data

PHOTO_KEPT = "Photo kept:"


def english(client):
    client.set_cookie("lang", "en")
    return client


def jpeg(size=(600, 400), colour=(10, 110, 80)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    out.seek(0)
    return out


def kept_token(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]+)"', html) or re.search(
        rf'<input[^>]*value="([^"]+)"[^>]*name="{name}"', html)
    assert match, f"no kept {name} in the page"
    return match.group(1)


def assert_all(html: str, *messages: str) -> None:
    html = unescape(html)
    missing = [m for m in messages if m not in html]
    assert not missing, f"not shown together: {missing}"


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ---------------------------------------------------------------- register an account

def test_register_account_shows_every_bad_field_at_once(client, db):
    before = count(db, User)
    response = english(client).post("/register", data={
        "full_name": "", "mobile": "12345", "email": "dewi@", "password": "abc"})
    assert response.status_code == 422
    assert_all(response.text, "This field is required.", "Enter an Indonesian mobile number",
               "Enter a valid email address.", "Use at least 8 characters.")
    assert 'value="12345"' in response.text and 'value="dewi@"' in response.text
    assert count(db, User) == before


def test_register_account_taken_number_is_not_mentioned_and_the_password_must_be_typed_again(client, make_user, db):
    taken = make_user(mobile="081299990001")
    response = english(client).post("/register", data={
        "full_name": "Dewi Baru", "mobile": "081299990001", "email": "dewi@", "password": "rahasia-456"})
    assert response.status_code == 422
    assert "Enter a valid email address." in response.text
    assert "already registered" not in response.text  # issue 14: as for a new number
    assert 'value="Dewi Baru"' in response.text
    assert "type it again" in response.text  # the password is not sent back, and the user is told
    assert db.session.get(User, taken.id).full_name != "Dewi Baru"


# ---------------------------------------------------------------- register a koperasi

def bad_koperasi(**overrides) -> dict:
    data = {key: ("" if value is None else value if isinstance(value, list) else str(value))
            for key, value in koperasi_data().items()}
    data.update(name="K", legal_number="", nik_koperasi="123", jenis="", lat="", lng="200", whatsapp="123",
                pokok_idr="abc", wajib_idr="-5", member_prefix="TOO-LONG", services=[])
    data.update(overrides)
    return data


def test_register_koperasi_shows_every_bad_field_at_once_and_keeps_the_logo(user_client, db):
    client = english(user_client)
    response = client.post("/koperasi/new", data={**bad_koperasi(), "logo": (jpeg(), "logo.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.text
    assert_all(html, "Enter the koperasi's name.", "This field is required.",  # legal number, latitude
               "The Nomor Induk Koperasi has 16 digits.", "Choose the koperasi's type.",
               "The map position must be in Indonesia", "Enter an Indonesian mobile number",
               "Enter whole Rupiah using digits only", "Enter an amount from Rp0 to Rp100.000.000.",
               "Use 1 to 6 letters or digits", "Choose at least one service.")
    for typed in ('value="K"', 'value="123"', 'value="200"', 'value="abc"', 'value="-5"', 'value="TOO-LONG"',
                  'value="Jl. Merdeka No. 1"'):
        assert typed in html, typed
    assert re.search(r'<option selected value="32.73">|<option value="32.73" selected', html), "regency kept"
    assert PHOTO_KEPT in html and 'src="data:image/webp;base64,' in html
    assert count(db, Koperasi) == 0

    # The next submit fixes the fields and chooses no file: the kept logo is the koperasi's logo.
    fixed = {key: ("" if value is None else value if isinstance(value, list) else str(value))
             for key, value in koperasi_data().items()}
    response = client.post("/koperasi/new", data={**fixed, **pdfs(), "logo_kept": kept_token(html, "logo_kept")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    koperasi = db.session.scalar(sa.select(Koperasi))
    assert koperasi.logo_version and db.session.get(KoperasiLogo, koperasi.id) is not None


def test_a_forged_kept_logo_is_ignored(user_client, db):
    fixed = {key: ("" if value is None else value if isinstance(value, list) else str(value))
             for key, value in koperasi_data().items()}
    response = user_client.post("/koperasi/new", data={**fixed, **pdfs(), "logo_kept": "0" * 64},
                                content_type="multipart/form-data")
    assert response.status_code == 303
    assert count(db, KoperasiLogo) == 0


def test_a_bad_logo_is_refused_with_the_other_fields(user_client, db):
    response = english(user_client).post(
        "/koperasi/new", data={**bad_koperasi(), "logo": (io.BytesIO(b"not a picture"), "logo.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert_all(response.text, "This file is not a picture.", "The Nomor Induk Koperasi has 16 digits.")
    assert PHOTO_KEPT not in response.text


# ---------------------------------------------------------------- join a koperasi

def test_join_shows_every_bad_field_at_once(app, make_koperasi, make_user, db):
    kop = make_koperasi()
    client = english(login(app.test_client(), make_user()))
    response = client.post(f"/k/{kop.slug}/join", data={
        "full_name": "", "nik": "123", "address": "Jl. A", "occupation": "x", "is_umkm": "y", "business_name": ""})
    assert response.status_code == 422
    assert_all(response.text, "This field is required.", "Enter the 16-digit NIK", "Enter your full address.",
               "Enter your occupation.", "Enter your business name.", "You must agree to the koperasi")
    assert 'value="123"' in response.text and "Jl. A</textarea>" in response.text
    assert re.search(r'<input[^>]*checked[^>]*name="is_umkm"|<input[^>]*name="is_umkm"[^>]*checked', response.text)
    assert count(db, Membership) == 0


# ---------------------------------------------------------------- the seller

@pytest.fixture
def kop(make_koperasi):
    return make_koperasi(name="Koperasi Pasar Rakyat")


def test_open_store_shows_every_bad_field_at_once(app, kop, make_member, db):
    member = make_member(kop)
    client = english(login(app.test_client(), member.user))
    data = {key: ("" if value is None else str(value)) for key, value in store_data().items()}
    data.update(name="Ab", address="", lat="100", lng="", nib="12", whatsapp="1", delivery_km="5000")
    del data["pickup"], data["cod"]
    response = client.post(f"/seller/open/{kop.slug}", data=data)
    assert response.status_code == 422
    assert_all(response.text, "Enter the store's name.", "This field is required.",
               "The map position must be in Indonesia", "The NIB has 13 digits.", "Enter an Indonesian mobile number",
               "Number must be between 0 and 1000.")
    for typed in ('value="Ab"', 'value="100"', 'value="12"', 'value="5000"'):
        assert typed in response.text, typed
    assert count(db, Store) == 0


def test_add_product_shows_every_bad_field_at_once_and_keeps_the_photo(app, kop, make_store, db):
    store = make_store(kop)
    client = english(login(app.test_client(), db.session.get(User, store.owner_id)))
    url = f"/seller/products/new?store={store.id}"
    response = client.post(url, content_type="multipart/form-data", data={
        "name": "", "description": "Renyah.", "category": "food", "unit": "bungkus", "price_idr": "abc",
        "member_price_idr": "0", "stock": "-3", "active": "y", "photos": [(jpeg(), "keripik.jpg")]})
    assert response.status_code == 422
    html = response.text
    assert_all(html, "This field is required.", "Enter whole Rupiah using digits only",
               "The member price is above Rp0 and not above the price.", "Stock is a whole number from 0.")
    assert 'value="abc"' in html and 'value="-3"' in html and 'value="bungkus"' in html
    assert PHOTO_KEPT in html
    assert count(db, Product) == 0

    response = client.post(url, content_type="multipart/form-data", data={
        "name": "Keripik Pedas", "description": "Renyah.", "category": "food", "unit": "bungkus",
        "price_idr": "15.000", "member_price_idr": "", "stock": "7", "active": "y",
        "photos_kept": kept_token(html, "photos_kept")})
    assert response.status_code == 303
    product = db.session.scalar(sa.select(Product))
    assert product.photo_version and count(db, ProductPhoto) == 1


# ---------------------------------------------------------------- loans and the teller

def test_loan_application_shows_every_bad_field_at_once(app, kop, make_member, db):
    product = loans.save_product(kop, {
        "name": "Modal Usaha", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 100, "fee_mode": "deducted",
        "max_amount_idr": 10_000_000, "min_tenor": 3, "max_tenor": 24, "late_fee_mode": "per_instalment",
        "late_fee_idr": 5_000, "requires_guarantor": False, "requires_documents": False, "active": True})
    db.session.commit()
    client = english(login(app.test_client(), make_member(kop).user))
    response = client.post(f"/k/{kop.slug}/me/loans/new", data=apply_data(product, amount="0", tenor="200",
                                                                            purpose=""))
    assert response.status_code == 422
    assert_all(response.text, "Enter an amount above Rp0.", "From 1 to 120 months.", "This field is required.")
    assert 'value="0"' in response.text and 'value="200"' in response.text
    assert count(db, Loan) == 0


def test_teller_deposit_errors_come_back_on_the_member_page_address(app, kop, make_member, make_staff, db):
    member = make_member(kop)
    teller = english(login(app.test_client(), make_staff(kop, "teller")))
    page_url = f"/k/{kop.slug}/office/teller/{member.id}"
    page = teller.get(page_url).text
    assert f'action="{page_url}"' in page  # the forms post to the page itself, not to a POST-only address
    response = teller.post(page_url, data={"form": "deposit", "key": "k" * 32, "kind": "bogus", "amount": "abc",
                                           "means": "pigeon"})
    assert response.status_code == 422
    assert_all(response.text, "Not a valid choice.", "Enter whole Rupiah using digits only")
    assert 'value="abc"' in response.text
    assert balances(member.id)["sukarela"] == 0
    ok = teller.post(page_url, data={"form": "deposit", "key": "k" * 32, "kind": "sukarela", "amount": "10.000",
                                     "means": "cash"})
    assert ok.status_code == 303 and balances(member.id)["sukarela"] == 10_000


def test_password_form_posts_to_the_account_page(user_client):
    page = user_client.get("/account").text
    form = page[page.index('id="password_form"'):]
    assert 'action="/account"' in form[:200]
    response = english(user_client).post("/account", data={"form": "password", "current_password": "salah",
                                                           "new_password": "baru-12345"})
    assert response.status_code == 422 and "The current password is not correct." in response.text


# ---------------------------------------------------------------- htmx: the address bar stays

def test_a_failed_boosted_post_does_not_push_its_address(app, kop, make_member):
    client = login(app.test_client(), make_member(kop).user)
    response = client.post(f"/seller/open/{kop.slug}", data={"name": ""},
                           headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 422
    assert response.headers.get("HX-Push-Url") == "false"


# ---------------------------------------------------------------- WTForms' own messages, in the user's language

BUILT_IN = {  # field: (English, Indonesian), for each built-in validator and field type the app uses
    "required": ("This field is required.", "Kolom ini wajib diisi."),
    "data_required": ("This field is required.", "Kolom ini wajib diisi."),
    "too_long": ("Field cannot be longer than 3 characters.", "Isian paling banyak 3 karakter."),
    "too_short": ("Field must be at least 5 characters long.", "Isian paling sedikit 5 karakter."),
    "between_lengths": ("Field must be between 2 and 4 characters long.", "Isian harus 2 sampai 4 karakter."),
    "in_range": ("Number must be between 0 and 1000.", "Angka harus antara 0 dan 1000."),
    "at_least": ("Number must be at least 1.", "Angka paling kecil 1."),
    "at_most": ("Number must be at most 5.", "Angka paling besar 5."),
    "integer": ("Not a valid integer value.", "Masukkan bilangan bulat."),
    "choice": ("Not a valid choice.", "Pilih salah satu dari daftar."),
}


def probe_form():
    from wtforms import IntegerField, SelectField, StringField
    from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

    from views.fields import Form, choices

    class Probe(Form):
        class Meta:
            csrf = False

        required = StringField(validators=[InputRequired()])
        data_required = StringField(validators=[DataRequired()])
        too_long = StringField(validators=[Length(max=3)])
        too_short = StringField(validators=[Length(min=5)])
        between_lengths = StringField(validators=[Length(min=2, max=4)])
        in_range = IntegerField(validators=[NumberRange(0, 1000)])
        at_least = IntegerField(validators=[NumberRange(min=1)])
        at_most = IntegerField(validators=[NumberRange(max=5)])
        integer = IntegerField()
        choice = SelectField(choices=choices([("a", "A")]))

    return Probe


@pytest.mark.parametrize("lang", ["id", "en"])
def test_built_in_validator_messages_come_in_the_users_language(app, lang):
    probe = probe_form()
    typed = {"too_long": "abcd", "too_short": "ab", "between_lengths": "a", "in_range": "5000", "at_least": "0",
             "at_most": "9", "integer": "lima", "choice": "z"}
    with app.test_request_context("/", method="POST", data=typed, headers={"Cookie": f"lang={lang}"}):
        form = probe()
        assert not form.validate()
        shown = {name: " ".join(str(e) for e in errors) for name, errors in form.errors.items()}
    expected = {name: pair[0 if lang == "en" else 1] for name, pair in BUILT_IN.items()}
    assert shown == expected


def test_an_indonesian_seller_sees_the_number_range_in_indonesian(app, kop, make_member):
    client = login(app.test_client(), make_member(kop).user)  # Indonesian is the default language
    data = {key: ("" if value is None else str(value)) for key, value in store_data().items()}
    response = client.post(f"/seller/open/{kop.slug}", data={**data, "delivery_km": "5000", "name": "x" * 200})
    assert response.status_code == 422
    assert "Angka harus antara 0 dan 1000." in response.text
    assert "Isian paling banyak 120 karakter." in response.text
    assert "Number must be" not in response.text and "Field cannot be" not in response.text


def test_every_form_of_the_app_speaks_the_users_language():
    """A form built on FlaskForm directly would show WTForms' English messages again."""
    import importlib
    import pkgutil

    from flask_wtf import FlaskForm

    import views
    from views.fields import Form

    for module in pkgutil.iter_modules(views.__path__):
        importlib.import_module(f"views.{module.name}")

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [c for c in subclasses(FlaskForm) if c.__module__.startswith("views.")]
    assert ours and all(issubclass(c, Form) for c in ours), [c for c in ours if not issubclass(c, Form)]


# ---------------------------------------------------------------- without JavaScript, the address stays too

def test_loan_review_forms_post_to_the_review_page(app, kop, make_member, db):
    product = loans.save_product(kop, {
        "name": "Modal Usaha", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 100, "fee_mode": "deducted",
        "max_amount_idr": 10_000_000, "min_tenor": 3, "max_tenor": 24, "late_fee_mode": "per_instalment",
        "late_fee_idr": 5_000, "requires_guarantor": False, "requires_documents": False, "active": True})
    loan = loans.apply(make_member(kop), product, 2_000_000, 12, "Modal warung sembako")
    db.session.commit()
    admin = english(login(app.test_client(), db.session.get(User, kop.created_by_id)))
    page_url = f"/k/{kop.slug}/office/loans/{loan.id}"
    page = admin.get(page_url).text
    assert page.count(f'action="{page_url}"') == 2  # approve and reject
    response = admin.post(page_url, data={"form": "reject", "reason": ""})
    assert response.status_code == 422 and "This field is required." in response.text
    assert admin.post(page_url, data={"form": "approve", "amount": "99.000.000"}).status_code == 422
    assert db.session.get(Loan, loan.id).status == "applied"
    assert admin.post(page_url, data={"form": "approve", "amount": ""}).status_code == 303
    assert db.session.get(Loan, loan.id).status == "approved"


def test_a_page_refuses_a_form_it_does_not_have(app, kop, make_member, db):
    membership = make_member(kop, status="applied")
    admin = login(app.test_client(), db.session.get(User, kop.created_by_id))
    url = f"/k/{kop.slug}/office/applications/{membership.id}"
    assert admin.post(url, data={"form": "delete_everything"}).status_code == 400
    response = english(admin).post(url, data={"form": "reject", "reason": ""})
    assert response.status_code == 422 and "This field is required." in response.text
    assert db.session.get(Membership, membership.id).status == "applied"


def test_admin_rejects_on_the_koperasi_page(app, make_koperasi, make_user, db):
    koperasi = make_koperasi(status="pending")
    admin = english(login(app.test_client(), make_user(full_name="Admin Kopz", is_platform_admin=True)))
    url = f"/admin/koperasi/{koperasi.id}"
    assert admin.get(url).text.count(f'action="{url}"') == 2  # verify and reject
    response = admin.post(url, data={"form": "reject", "reason": ""})
    assert response.status_code == 422 and "This field is required." in response.text
    assert admin.post(url, data={"form": "reject", "reason": "Akta tidak terbaca."}).status_code == 303


def test_profile_shows_every_bad_field_at_once(user_client, make_user):
    make_user(full_name="Orang Lain", email="lain@contoh.id")
    response = english(user_client).post("/account", data={"full_name": "", "mobile": "0812", "email": "lain@contoh.id"})
    assert response.status_code == 422
    assert_all(response.text, "This field is required.", "Enter an Indonesian mobile number",
               "This email address is already registered.")
    assert 'value="0812"' in response.text and 'value="lain@contoh.id"' in response.text


def test_choices_typed_come_back_checked_and_selected(user_client):
    data = {key: ("" if value is None else value if isinstance(value, list) else str(value))
            for key, value in koperasi_data(jenis="konsumen", services=["loans", "store"]).items()}
    response = user_client.post("/koperasi/new", data={**data, "name": "K"}, content_type="multipart/form-data")
    assert response.status_code == 422
    checked = set(re.findall(r'<input[^>]*checked[^>]*value="(\w+)"|<input[^>]*value="(\w+)"[^>]*checked', response.text))
    assert {a or b for a, b in checked} == {"loans", "store"}
    assert re.search(r'<option selected value="konsumen">|<option value="konsumen" selected', response.text)
    assert re.search(r'<option selected value="32.73.01">|<option value="32.73.01" selected', response.text)


def test_loan_product_form_shows_every_bad_field_at_once(app, kop, db):
    from tests.test_loans_views import PRODUCT_FORM

    admin = english(login(app.test_client(), db.session.get(User, kop.created_by_id)))
    response = admin.post(f"/k/{kop.slug}/office/loan-products/new", data={
        **PRODUCT_FORM, "name": "", "monthly_rate_bp": "3", "fee_bp": "9", "max_amount_idr": "5.000",
        "late_fee_idr": "abc"})
    assert response.status_code == 422
    assert_all(response.text, "This field is required.", "The rate may be at most 2% a month",
               "The fee may be from 0 to 5 percent", "Enter a maximum from Rp100.000", "Enter whole Rupiah")
    assert 'value="3"' in response.text and 'value="5.000"' in response.text
    assert count(db, loans.LoanProduct) == 0
