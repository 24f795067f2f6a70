"""One-time keys are bound to the operation they were first sent with.

A retry (the same key, the same content) gets the first result; the same key with other
content (another amount, member, loan, cart, product, or another kind of operation) is
refused with a message, changes nothing, and the form comes back with a fresh key. Keys
come from the server: a key not of its shape is refused before anything runs.

The request tests run on SQLite; the races (``postgres_only``) send the same key from ten
real connections at once, as a double tap or a replayed form does.
"""

from __future__ import annotations

import re
import secrets
from datetime import date

import pytest
import sqlalchemy as sa

from models import books_check, loans, savings
from models.accounts import User
from models.ledger import Entry, balances
from models.market import Product
from models.membership import Membership
from models.orders import Choice, Order, add_to_cart, cart, checkout
from tests.conftest import board, fund, login
from tests.test_ledger_concurrency import race
from web.extensions import db as _db

REUSED_ID = ("Ini sudah pernah dikirim untuk transaksi lain, jadi tidak ada yang dilakukan sekarang. "
             "Periksa isinya lalu kirim lagi.")
REUSED_EN = ("This was already sent once for a different operation, so nothing was done now. "
             "Check the details and send it again.")
EXPIRED_ID = "Formulir ini sudah kedaluwarsa. Periksa isinya lalu kirim lagi."


def new_key() -> str:
    return secrets.token_urlsafe(32)


def key_in(page: str) -> str:
    return re.search(r'name="key" type="hidden" value="([^"]*)"', page).group(1)


def count(kind: str) -> int:
    """Entries of a kind, besides the simpanan pokok every member paid on joining."""
    return _db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == kind,
                                                                                  Entry.memo != "pokok"))


@pytest.fixture
def kop(make_koperasi):
    return fund(make_koperasi(pokok_idr=100_000, wajib_idr=20_000, member_prefix="KSP"))


@pytest.fixture
def teller_user(kop, make_staff):
    return make_staff(kop, "teller")


@pytest.fixture
def teller(app, teller_user):
    return login(app.test_client(), teller_user)


@pytest.fixture
def product(kop, db):
    made = loans.save_product(kop, dict(
        name="Modal Usaha", method="flat", monthly_rate_bp=100, fee_bp=100, fee_mode="deducted",
        max_amount_idr=20_000_000, min_tenor=3, max_tenor=24, late_fee_mode="per_instalment", late_fee_idr=5_000))
    db.session.commit()
    return made


def active_loan(db, kop, member, product, teller_user, amount=1_200_000, tenor=12, start=None):
    loan = loans.apply(member, product, amount, tenor, "Modal warung sembako")
    loans.approve(loan, board(kop))
    loans.disburse(loan, teller_user, "cash", today=start)
    db.session.commit()
    return loan


# ---------------------------------------------------------------- through the forms (SQLite)

def test_a_repayment_sent_with_a_deposits_key_is_refused_and_pays_nothing(app, kop, product, make_member,
                                                                          teller, teller_user, db):
    """The reported case: the member was told "Paid Rp1.000.000 … receipt KSP-…" (a deposit's
    receipt) and nothing was paid."""
    member = make_member(kop)
    loan = active_loan(db, kop, member, product, teller_user)
    slug, key = kop.slug, new_key()
    deposit = teller.post(f"/k/{slug}/office/teller/{member.id}/deposit",
                          data={"kind": "sukarela", "amount": "1.000.000", "means": "cash", "key": key})
    assert deposit.status_code == 303
    member_client = login(app.test_client(), member.user)

    refused = member_client.post(f"/k/{slug}/me/loans/{loan.id}/pay", data={"amount": "112.000", "key": key})

    assert refused.status_code == 422 and REUSED_ID in refused.text
    assert "flash-success" not in refused.text and 'value="112.000"' in refused.text  # what was typed comes back
    assert balances(member.id)["sukarela"] == 1_000_000 and count("repayment") == 0
    fresh = key_in(refused.text)
    assert fresh != key
    paid = member_client.post(f"/k/{slug}/me/loans/{loan.id}/pay", data={"amount": "112.000", "key": fresh})
    assert paid.status_code == 303 and balances(member.id)["sukarela"] == 888_000 and count("repayment") == 1


def test_a_deposit_form_sent_again_with_another_amount_is_refused(kop, make_member, teller, db):
    member = make_member(kop)
    url, key = f"/k/{kop.slug}/office/teller/{member.id}/deposit", new_key()
    data = {"kind": "sukarela", "amount": "100.000", "means": "cash", "key": key}
    first = teller.post(url, data=data)

    changed = teller.post(url, data=data | {"amount": "250.000"})
    again = teller.post(url, data=data)  # a retry of the first: its receipt

    assert changed.status_code == 422 and REUSED_ID in changed.text and key_in(changed.text) != key
    assert 'value="250.000"' in changed.text
    assert again.status_code == first.status_code == 303 and again.location == first.location
    assert count("deposit") == 1 and balances(member.id)["sukarela"] == 100_000


@pytest.mark.parametrize("other", ["membership", "withdrawal", "means"])
def test_a_key_sent_for_another_member_kind_or_means_is_refused(kop, make_member, teller, db, other):
    member, someone = make_member(kop), make_member(kop)
    savings.deposit(member, "sukarela", 500_000, "cash", db.session.get(User, kop.created_by_id))
    savings.deposit(someone, "sukarela", 500_000, "cash", db.session.get(User, kop.created_by_id))
    db.session.commit()
    base, key = f"/k/{kop.slug}/office/teller", new_key()
    assert teller.post(f"{base}/{member.id}/deposit",
                       data={"kind": "sukarela", "amount": "100.000", "means": "cash", "key": key}).status_code == 303
    url, data = {
        "membership": (f"{base}/{someone.id}/deposit", {"kind": "sukarela", "amount": "100.000", "means": "cash"}),
        "withdrawal": (f"{base}/{member.id}/withdraw", {"withdraw-amount": "100.000", "withdraw-means": "cash"}),
        "means": (f"{base}/{member.id}/deposit", {"kind": "sukarela", "amount": "100.000", "means": "bank"}),
    }[other]
    key_field = "withdraw-key" if other == "withdrawal" else "key"

    response = teller.post(url, data=data | {key_field: key})

    assert response.status_code == 422 and REUSED_ID in response.text
    assert count("deposit") == 3 and count("withdrawal") == 0
    assert balances(member.id)["sukarela"] == 600_000 and balances(someone.id)["sukarela"] == 500_000


def test_the_refusal_reads_in_english_too(app, kop, make_member, teller, db):
    member = make_member(kop)
    teller.post("/language", data={"lang": "en"})
    url, key = f"/k/{kop.slug}/office/teller/{member.id}/deposit", new_key()
    teller.post(url, data={"kind": "sukarela", "amount": "100.000", "means": "cash", "key": key})
    response = teller.post(url, data={"kind": "sukarela", "amount": "100.001", "means": "cash", "key": key})
    assert response.status_code == 422 and REUSED_EN in response.text


@pytest.mark.parametrize("key", ["demo-sukarela-1-0", "1", "k" * 31, "a key with spaces in it, long enough!", "é" * 40])
def test_a_key_the_server_did_not_make_is_refused_before_anything_runs(kop, make_member, teller, db, key):
    member = make_member(kop)
    response = teller.post(f"/k/{kop.slug}/office/teller/{member.id}/deposit",
                           data={"kind": "sukarela", "amount": "100.000", "means": "cash", "key": key})
    assert response.status_code == 422 and EXPIRED_ID in response.text
    assert count("deposit") == 0 and balances(member.id)["sukarela"] == 0
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key_in(response.text))  # a fresh key: the next submit goes through


def test_forms_carry_an_unguessable_server_key(kop, make_member, teller, db):
    member = make_member(kop)
    first, second = (key_in(teller.get(f"/k/{kop.slug}/office/teller/{member.id}").text) for _ in range(2))
    assert first != second and all(re.fullmatch(r"[A-Za-z0-9_-]{43}", k) for k in (first, second))


@pytest.fixture
def store(kop, make_store, make_user):
    return make_store(kop, owner=make_user(full_name="Siti Penjual"))


def test_a_checkout_key_sent_again_with_another_cart_is_refused(app, store, make_product, make_user, db):
    buyer = make_user(full_name="Budi Pembeli")
    client = login(app.test_client(), buyer)
    kopi, teh = make_product(store, name="Kopi Gayo", stock=10), make_product(store, name="Teh Melati", stock=10)
    key = new_key()
    client.post("/cart/add", data={"product_id": kopi.id, "quantity": 2})
    form = {"key": key, f"fulfilment-{store.id}": "pickup", f"payment-{store.id}": "cash", f"address-{store.id}": ""}
    assert client.post("/cart/checkout", data=form).status_code == 303
    assert client.post("/cart/checkout", data={"key": key}).status_code == 303  # a retry: the cart it ordered is gone
    client.post("/cart/add", data={"product_id": teh.id, "quantity": 1})

    response = client.post("/cart/checkout", data=form)

    assert response.status_code == 422 and REUSED_ID in response.text and key_in(response.text) != key
    assert len(db.session.scalars(sa.select(Order).where(Order.buyer_id == buyer.id)).all()) == 1
    assert [item.product.name for item in cart(buyer)] == ["Teh Melati"]
    assert db.session.get(Product, teh.id).stock == 10
    placed = client.post("/cart/checkout", data=form | {"key": key_in(response.text)})
    assert placed.status_code == 303 and db.session.get(Product, teh.id).stock == 9


def test_a_stock_key_is_bound_to_its_product_and_change(app, store, make_product, db):
    seller = login(app.test_client(), db.session.get(User, store.owner_id))
    kopi, teh = make_product(store, name="Kopi Gayo", stock=10), make_product(store, name="Teh Melati", stock=10)
    key = new_key()

    def sync(*changes):
        return seller.post("/seller/stock-sync", json={"changes": list(changes)}).get_json()["results"]

    assert sync({"product_id": kopi.id, "delta": -1, "key": key}) == [{"key": key, "ok": True, "stock": 9}]
    replayed, other_product, other_change = sync({"product_id": kopi.id, "delta": -1, "key": key},
                                                 {"product_id": teh.id, "delta": -1, "key": key},
                                                 {"product_id": kopi.id, "set_to": 3, "key": key})
    assert replayed == {"key": key, "ok": True, "stock": 9}  # the phone sent it again: applied once
    assert other_product == {"key": key, "ok": False, "error": REUSED_ID, "stock": 10}
    assert other_change == {"key": key, "ok": False, "error": REUSED_ID, "stock": 9}
    db.session.expire_all()
    assert (db.session.get(Product, kopi.id).stock, db.session.get(Product, teh.id).stock) == (9, 10)


# ---------------------------------------------------------------- races on PostgreSQL

@pytest.mark.postgres_only
def test_one_deposit_key_sent_ten_times_at_once_gives_every_request_the_first_receipt(app, kop, make_member,
                                                                                     teller_user, db):
    member = make_member(kop)
    db.session.commit()
    member_id, teller_id, key = member.id, teller_user.id, new_key()

    def work(_i):
        membership, by = _db.session.get(Membership, member_id), _db.session.get(User, teller_id)

        def submit():
            entry = savings.deposit(membership, "sukarela", 125_000, "cash", by, key=key)
            return entry.id, entry.ref

        return submit

    outcome = race(app, 10, work)
    assert outcome.crashed == [] and outcome.refused == []
    assert len(outcome.done) == 10 and len(set(outcome.done)) == 1
    assert count("deposit") == 1 and balances(member_id)["sukarela"] == 125_000
    assert books_check.check() == []


@pytest.mark.postgres_only
def test_one_repayment_key_that_pays_the_loan_off_sent_ten_times_at_once(app, kop, product, make_member,
                                                                         teller_user, db):
    """The first request pays the loan off: the nine that waited on the loan's lock find
    it paid off, and still answer with the first receipt (not "not being repaid")."""
    member = make_member(kop)
    start = date(2026, 1, 10)
    loan = active_loan(db, kop, member, product, teller_user, amount=1_000_000, tenor=4, start=start)
    owed = loans.owed(loan, start).total
    loan_id, teller_id, key = loan.id, teller_user.id, new_key()

    def work(_i):
        current, by = _db.session.get(loans.Loan, loan_id), _db.session.get(User, teller_id)

        def submit():
            entry = loans.repay(current, owed, "cash", by, key=key, today=start)
            return entry.id, entry.ref

        return submit

    outcome = race(app, 10, work)
    assert outcome.crashed == [] and outcome.refused == []
    assert len(outcome.done) == 10 and len(set(outcome.done)) == 1
    assert count("repayment") == 1 and db.session.get(loans.Loan, loan_id).status == "paid_off"
    assert books_check.check() == []


@pytest.mark.postgres_only
def test_one_checkout_key_sent_ten_times_at_once_gives_every_tap_the_first_orders(app, kop, store, make_product,
                                                                                  make_member, teller_user, db):
    buyer = make_member(kop)
    savings.deposit(buyer, "sukarela", 100_000, "cash", teller_user)
    product = make_product(store, price_idr=20_000, stock=2)
    add_to_cart(buyer.user, product, 2)  # the whole stock: a second order could not be made
    db.session.commit()
    user_id, store_id, product_id, key = buyer.user_id, store.id, product.id, new_key()

    def work(_i):
        user = _db.session.get(User, user_id)
        return lambda: tuple(o.id for o in checkout(user, {store_id: Choice("pickup", "savings")}, key=key).orders)

    outcome = race(app, 10, work)
    assert outcome.crashed == [] and outcome.refused == []
    assert len(outcome.done) == 10 and len(set(outcome.done)) == 1 and len(outcome.done[0]) == 1
    assert db.session.get(Product, product_id).stock == 0
    assert balances(buyer.id)["sukarela"] == 60_000 and books_check.check() == []


@pytest.mark.postgres_only
@pytest.mark.parametrize("other", ["amount", "membership", "kind"])
def test_one_key_with_other_content_at_once_is_refused_and_changes_nothing(app, kop, product, make_member,
                                                                           teller_user, db, other):
    """Ten requests with one key at once, half (or all but one) with other content: one
    operation happens; the requests with its content get its receipt; every other one is
    refused with the message."""
    member, someone = make_member(kop), make_member(kop)
    loan = active_loan(db, kop, member, product, teller_user)
    member_id, someone_id, loan_id, teller_id, key = member.id, someone.id, loan.id, teller_user.id, new_key()

    def work(i):
        by = _db.session.get(User, teller_id)
        membership = _db.session.get(Membership, someone_id if other == "membership" and i % 2 else member_id)
        current = _db.session.get(loans.Loan, loan_id)
        if other == "kind" and i % 2:
            return lambda: ("repayment", loans.repay(current, 100_000, "cash", by, key=key).id)
        amount = 100_000 + 1_000 * i if other == "amount" else 100_000
        return lambda: (membership.id, savings.deposit(membership, "sukarela", amount, "cash", by, key=key).id)

    outcome = race(app, 10, work)
    assert outcome.crashed == []
    assert len(set(outcome.done)) == 1  # one operation, and only its own retries were answered with it
    assert set(outcome.refused) <= {REUSED_ID}
    assert len(outcome.done) == (1 if other == "amount" else 5) and len(outcome.refused) == 10 - len(outcome.done)
    posted = _db.session.scalars(sa.select(Entry).where(Entry.idempotency_key == key)).all()
    assert [e.id for e in posted] == [outcome.done[0][1]]
    assert count("deposit") + count("repayment") == 1
    held = balances(member_id)["sukarela"] + balances(someone_id)["sukarela"]
    assert held == (posted[0].total if posted[0].kind == "deposit" else 0)
    assert books_check.check() == []
