"""Security basics: CSRF everywhere, headers, no inline script."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD

UNSAFE = [
    ("/login", {"login": "081200000001", "password": PASSWORD}),
    ("/register", {"full_name": "A B", "mobile": "081299990000", "password": "sandi-aman-1"}),
    ("/logout", {}),
    # /language before login needs none (tests/test_shared_cache.py); after login it does (below).
    ("/account", {"full_name": "A B", "mobile": "081299990000"}),
    ("/account/password", {"current_password": PASSWORD, "new_password": "x" * 10}),
    # push (the JSON subscribe is in tests/test_push.py)
    ("/notifications/settings", {"kinds": ["loan_approved"]}),
    ("/notifications/settings/unsubscribe", {}),
]


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


@pytest.mark.parametrize("url,data", UNSAFE)
def test_every_unsafe_request_needs_the_csrf_token(csrf_on, client, url, data):
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "Sesi berakhir" in response.text and "Muat ulang halaman" in response.text


def test_token_in_header_is_accepted_for_htmx(csrf_on, client):
    html = client.get("/register").text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    response = client.post("/logout", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 303


def test_language_after_login_needs_the_token(csrf_on, app, user):
    client = app.test_client()
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"login": user.mobile, "password": PASSWORD, "csrf_token": token}).status_code == 303
    response = client.post("/language", data={"lang": "en"})
    assert response.status_code == 400 and "Sesi berakhir" in response.text
    assert client.post("/language", data={"lang": "en"}, headers={"X-CSRFToken": token}).status_code == 400  # pre-login
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/account").text).group(1)
    assert client.post("/language", data={"lang": "en"}, headers={"X-CSRFToken": token}).status_code == 303


def test_form_token_is_accepted(csrf_on, client):
    html = client.get("/register").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/register", data={"csrf_token": token, "full_name": "Rina", "mobile": "081299990001",
                                              "password": "sandi-aman-1"})
    assert response.status_code == 303


def test_security_headers(client):
    h = client.get("/").headers
    csp = h["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("url", ["/", "/login", "/register", "/offline", "/account"])
def test_no_inline_script_or_handlers(user_client, url):
    html = user_client.get(url).text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert not re.search(r"\sstyle=", html), "inline style (blocked by the CSP)"


def test_session_cookie_is_httponly_and_lax(client, user):
    response = client.post("/login", data={"login": user.mobile, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# ---------------------------------------------------------------- money-moving endpoints

@pytest.fixture
def money_world(app, make_koperasi, make_member, make_staff, make_store, make_product, make_user, db):
    """A logged-in teller, buyer and seller with something to move in every money endpoint."""
    from models import loans, orders, savings
    from models.accounts import User
    from tests.conftest import board, fund, login

    kop = fund(make_koperasi())
    teller = make_staff(kop, "teller")
    member = make_member(kop)
    savings.deposit(member, "sukarela", 200_000, "cash", teller)
    product_rule = loans.save_product(kop, dict(
        name="Modal Usaha", method="flat", monthly_rate_bp=100, fee_bp=0, fee_mode="deducted",
        max_amount_idr=20_000_000, min_tenor=3, max_tenor=24, late_fee_mode="per_day", late_fee_idr=0))
    approved = loans.apply(member, product_rule, 1_000_000, 4, "Modal warung kelontong")
    loans.approve(approved, board(kop))
    active = loans.apply(make_member(kop), product_rule, 1_000_000, 4, "Modal warung kelontong")
    loans.approve(active, board(kop))
    loans.disburse(active, teller, "cash")
    store = make_store(kop)
    goods = make_product(store, stock=10)
    buyer = make_user(full_name="Pembeli")
    orders.add_to_cart(buyer, goods, 1)
    db.session.commit()
    slug = kop.slug
    return {
        "teller": login(app.test_client(), teller), "buyer": login(app.test_client(), buyer),
        "seller": login(app.test_client(), db.session.get(User, store.owner_id)),
        "posts": {
            "deposit": ("teller", f"/k/{slug}/office/teller/{member.id}/deposit",
                        {"kind": "sukarela", "amount": "50000", "means": "cash"}),
            "withdrawal": ("teller", f"/k/{slug}/office/teller/{member.id}/withdraw",
                           {"withdraw-amount": "50000", "withdraw-means": "cash"}),
            "repayment": ("teller", f"/k/{slug}/office/loans/{active.id}/repay", {"amount": "100000", "source": "cash"}),
            "disbursement": ("teller", f"/k/{slug}/office/loans/{approved.id}/disburse", {"means": "cash"}),
            "checkout": ("buyer", "/cart/checkout", {f"fulfilment-{store.id}": "pickup", f"payment-{store.id}": "cash"}),
        },
        "product_id": goods.id,
    }


def _money_snapshot(db) -> tuple:
    from models.ledger import Entry
    from models.loans import Loan
    from models.market import Product
    from models.orders import Order

    db.session.expire_all()
    count = db.session.scalar
    return (count(sa.select(sa.func.count()).select_from(Entry)), count(sa.select(sa.func.count()).select_from(Order)),
            count(sa.select(sa.func.sum(Product.stock))),
            tuple(db.session.scalars(sa.select(Loan.status).order_by(Loan.id))))


@pytest.mark.parametrize("what", ["deposit", "withdrawal", "repayment", "disbursement", "checkout"])
def test_a_forged_money_form_moves_nothing(money_world, monkeypatch, app, db, what):
    """A logged-in teller or buyer lured to another site: the post without the token is refused, nothing moves."""
    who, url, data = money_world["posts"][what]
    before = _money_snapshot(db)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = money_world[who].post(url, data=data)
    assert response.status_code == 400 and "Sesi berakhir" in response.text
    assert _money_snapshot(db) == before


def test_a_forged_stock_sync_changes_no_stock(money_world, monkeypatch, app, db):
    before = _money_snapshot(db)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = money_world["seller"].post("/seller/stock-sync", json={
        "changes": [{"product_id": money_world["product_id"], "set_to": 0, "key": "forged-1"}]})
    assert response.status_code == 400
    assert _money_snapshot(db) == before
