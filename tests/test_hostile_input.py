"""Classes of hostile input end in a plain 4xx before any view runs, never a 500
(on SQLite and on PostgreSQL alike). See web/hostile.py."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from wtforms import FileField, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length

from tests.conftest import login


@pytest.mark.parametrize("url", ["/koperasi?q=%00", "/koperasi?q=a%00b&jenis=x", "/k/%00", "/toko/%00",
                                 "/market?q=%00", "/k/a%00b/office"])
def test_a_nul_byte_anywhere_in_the_address_is_a_bad_request(client, url):
    assert client.get(url).status_code == 400


@pytest.mark.parametrize("url", ["/market/2147483648", "/market/99999999999999999999999999"])
def test_an_id_beyond_any_column_is_simply_not_found(client, url):
    assert client.get(url).status_code == 404


def test_the_largest_id_is_still_an_ordinary_not_found(client):
    assert client.get("/market/2147483647").status_code == 404


def test_a_nul_byte_in_a_form_value_is_refused(client, user):
    response = client.post("/login", data={"login": user.mobile + "\x00", "password": "x"})
    assert response.status_code == 400
    assert client.post("/login", data={"login\x00": "a", "password": "x"}).status_code == 400


@pytest.mark.parametrize("body", [{"login": 5, "password": [1, 2]}, [1, 2, 3], {"a": {"b": {"c": [None]}}}])
def test_json_sent_to_a_form_is_refused(client, body):
    response = client.post("/login", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 415


def test_json_to_an_unknown_address_is_still_not_found(client):
    assert client.post("/no-such-page", json={"a": 1}).status_code == 404


def test_deeply_nested_json_to_the_stock_sync_is_a_clear_400(app, user):
    client = login(app.test_client(), user)
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/seller/stock-sync", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "changes" in response.get_json()["error"]


@pytest.mark.parametrize("next_url", ["/%0d%0aSet-Cookie:%20x=1", "/\r\nLocation: https://evil.example", "/\tk", "/\x7f"])
def test_a_control_character_in_next_never_reaches_the_location_header(client, next_url):
    response = client.post("/language", data={"lang": "en", "next": next_url.replace("%0d%0a", "\r\n")})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


# ---------------------------------------------------------------- files, lengths and numbers in forms

def test_a_file_where_text_is_expected_is_an_empty_field_not_a_crash(client, db):
    from models.accounts import User

    data = {"full_name": (io.BytesIO(b"Siti"), "name.txt"), "mobile": "081299990001", "password": "rahasia-123"}
    response = client.post("/register", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Kolom ini wajib diisi." in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_a_file_field_still_gets_its_file_and_a_text_field_of_that_name_does_not(app):
    from views.fields import Form

    class Upload(Form):
        photo = FileField()
        caption = StringField()

    body = {"photo": (io.BytesIO(b"GIF89a"), "p.gif"), "caption": (io.BytesIO(b"hi"), "c.txt")}
    with app.test_request_context("/", method="POST", data=body, content_type="multipart/form-data"):
        form = Upload()
        assert form.photo.data.filename == "p.gif"
        assert form.caption.data is None


def _text_fields(app):
    """Every text field of every form in views/ (the checkout's per-store fields included)."""
    import views.orders
    from views.fields import Form

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    store = SimpleNamespace(id=1, pickup=True, delivery_km=5, cod=True, koperasi_id=1)
    with app.test_request_context("/"):
        checkout = type(views.orders.checkout_form([(store, [], 0)], {}))
    for form in {checkout, *(f for f in subclasses(Form) if f.__module__.startswith("views."))}:
        for name in dir(form):
            unbound = getattr(form, name)
            if isinstance(unbound, UnboundField) and issubclass(unbound.field_class, StringField) \
                    and unbound.field_class.process_formdata is StringField.process_formdata:  # not a number field
                validators = unbound.kwargs.get("validators") or (unbound.args[1] if len(unbound.args) > 1 else [])
                yield form, name, [v.max for v in validators if isinstance(v, Length)]


def _columns():
    """Where each form's text is stored: the model whose columns share the fields' names,
    and the columns of fields named otherwise."""
    from models.accounts import User
    from models.koperasi import Koperasi
    from models.ledger import Entry
    from models.loans import Loan, LoanProduct
    from models.market import Product, Store
    from models.membership import Membership
    from models.orders import Order, OrderEvent

    models = {"views.accounts.RegisterForm": User, "views.accounts.ProfileForm": User,
              "views.koperasi_forms.KoperasiForm": Koperasi, "views.membership.JoinForm": Membership,
              "views.loan_forms.ApplyForm": Loan, "views.loan_forms.ProductForm": LoanProduct,
              "views.seller_forms.StoreForm": Store, "views.seller_forms.ProductForm": Product}
    renamed = {"views.orders.ReasonForm.reason": OrderEvent.__table__.c.note,  # and Order.cancel_reason (text)
               "views.teller.ReverseForm.reason": Entry.__table__.c.memo,
               "views.orders.CheckoutForm.address-1": Order.__table__.c.delivery_address}
    return models, renamed


# Typed one way, stored normalised (spaces and dashes dropped, +62 added): their limit is on what is typed.
NORMALISED = {"mobile", "whatsapp", "nik"}


def test_every_text_field_has_a_length_limit_that_fits_its_column(app):
    models, renamed = _columns()
    missing, too_long = [], []
    for form, name, limits in _text_fields(app):
        where = f"{form.__module__}.{form.__qualname__.split('.')[-1]}"
        if not limits:
            missing.append(f"{where}.{name}")
            continue
        column = renamed.get(f"{where}.{name}")
        if column is None and where in models and name not in NORMALISED:
            column = models[where].__table__.c.get(name)
        length = getattr(getattr(column, "type", None), "length", None)
        if length is not None and min(limits) > length:
            too_long.append(f"{where}.{name}: {min(limits)} > {column}({length})")
    assert not missing, f"text fields without Length(max=…): {missing}"
    assert not too_long, f"limits beyond their column: {too_long}"


def test_an_over_long_delivery_address_is_refused_beside_its_field(app, make_koperasi, make_store, make_product,
                                                                    make_user, db):
    from models.orders import Order

    store = make_store(make_koperasi())
    product = make_product(store, stock=5)
    client = login(app.test_client(), make_user(full_name="Budi Pembeli"))
    client.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    data = {"key": "k" * 32, f"fulfilment-{store.id}": "delivery", f"payment-{store.id}": "cash",
            f"address-{store.id}": "Jl. Dago " * 200}
    response = client.post("/cart/checkout", data=data)
    assert response.status_code == 422
    assert "300" in response.text and "Jl. Dago Jl. Dago" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_an_over_long_cancel_reason_is_refused_and_the_order_stays(app, make_koperasi, make_store, make_product,
                                                                    make_user, db):
    from models.orders import Choice, Order, add_to_cart, checkout

    store = make_store(make_koperasi())
    product = make_product(store, stock=5)
    buyer = make_user(full_name="Budi Pembeli")
    add_to_cart(buyer, product, 1)
    checkout(buyer, {store.id: Choice()}, key="k" * 32)
    db.session.commit()
    order = db.session.scalar(sa.select(Order))
    seller = login(app.test_client(), db.session.get(type(buyer), store.owner_id))
    response = seller.post(f"/seller/orders/{order.id}/move", data={"to": "cancelled", "reason": "Stok habis. " * 100})
    assert response.status_code == 422 and "300" in response.text
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "new"


@pytest.mark.parametrize("typed, amount", [("1500000", 1_500_000), ("1.500.000", 1_500_000), ("Rp 1.500.000", 1_500_000),
                                           ("Rp1.500.000,-", 1_500_000), ("750", 750),
                                           ("1 500 000", 1_500_000), ("-5.000", -5_000), (" 20.000 ", 20_000)])
def test_rupiah_as_indonesians_write_it(typed, amount):
    from views.fields import parse_rupiah

    assert parse_rupiah(typed) == amount


@pytest.mark.parametrize("typed", ["1.5", "1,5", "15.00", "1.5000", "1.500.00", "1500.000.0", "١٢٣", "１２３", "𝟏𝟐",
                                   "1_000", "1e6", "", "Rp", "1.500,50", "1.500,00", "12.34.567", "1.500 000"])
def test_rupiah_not_written_that_way_is_refused(typed):
    from views.fields import parse_rupiah

    with pytest.raises(ValueError):
        parse_rupiah(typed)


def test_a_deposit_of_one_point_five_is_refused_not_booked_as_fifteen_rupiah(app, make_koperasi, make_member,
                                                                              make_staff, db):
    from models.ledger import Entry

    koperasi = make_koperasi()
    membership = make_member(koperasi)
    teller = login(app.test_client(), make_staff(koperasi, role="teller"))
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Entry))
    for typed in ("1.5", "١٥٠٠٠", "１５０００"):
        response = teller.post(f"/k/{koperasi.slug}/office/teller/{membership.id}",
                               data={"form": "deposit", "kind": "sukarela", "amount": typed, "means": "cash",
                                     "key": f"{typed.encode().hex():0<32}"})
        assert response.status_code == 422, typed
        assert "Masukkan Rupiah bulat dengan angka saja, misalnya 1.500.000." in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry)) == before


@pytest.mark.parametrize("quantity", ["١", "２", "1_0", "99999999999999999999", "+1"])
def test_a_quantity_not_in_plain_digits_adds_nothing_to_the_cart(app, make_koperasi, make_store, make_product, make_user,
                                                                  db, quantity):
    from models.orders import CartItem

    product = make_product(make_store(make_koperasi()), stock=50)
    client = login(app.test_client(), make_user(full_name="Budi Pembeli"))
    response = client.post("/cart/add", data={"product_id": product.id, "quantity": quantity})
    assert response.status_code in (303, 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CartItem)) == 0


@pytest.mark.parametrize("product_id", ["2147483648", "99999999999999999999", "٣"])
def test_a_product_id_beyond_any_column_adds_nothing(app, make_user, db, product_id):
    from models.orders import CartItem

    client = login(app.test_client(), make_user(full_name="Budi Pembeli"))
    response = client.post("/cart/add", data={"product_id": product_id, "quantity": "1"})
    assert response.status_code in (303, 404, 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CartItem)) == 0


@pytest.mark.parametrize("typed", ["1", "25", "0"])
def test_page_numbers_in_plain_digits_are_read(typed):
    from views.fields import query_int

    assert query_int(typed) == int(typed)


@pytest.mark.parametrize("typed", ["١٢", "１", "2147483648", "-1", "1_0", "1e3", ""])
def test_page_numbers_not_in_plain_digits_fall_back_to_the_first_page(typed):
    from views.fields import query_int

    with pytest.raises(ValueError):
        query_int(typed)


@pytest.mark.parametrize("change", [{"product_id": 10**30, "delta": 1}, {"product_id": 2**40, "delta": 1},
                                    {"product_id": -(2**63), "set_to": 1}])
def test_a_stock_sync_naming_an_id_beyond_any_column_is_a_clear_400(app, make_koperasi, make_store, make_product, db,
                                                                     change):
    from models.accounts import User

    store = make_store(make_koperasi())
    product = make_product(store, stock=10)
    client = login(app.test_client(), db.session.get(User, store.owner_id))
    response = client.post("/seller/stock-sync", json={"changes": [{**change, "key": "k1"},
                                                                   {"product_id": product.id, "delta": -1, "key": "k2"}]})
    assert response.status_code == 400 and "changes" in response.get_json()["error"]
    db.session.expire_all()
    assert db.session.get(type(product), product.id).stock == 10



@pytest.mark.parametrize("change", [{"product_id": 1, "key": "a\x00b", "delta": 1},
                                    {"product_id": 1, "key": "k", "delta": 1, "note\x00": ["x\x00"]}])
def test_a_nul_byte_anywhere_in_a_json_body_is_a_bad_request(app, make_koperasi, make_store, db, change):
    from models.accounts import User

    store = make_store(make_koperasi())
    client = login(app.test_client(), db.session.get(User, store.owner_id))
    assert client.post("/seller/stock-sync", json={"changes": [change]}).status_code == 400
