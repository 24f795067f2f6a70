"""Paying at a fellow member's stall: the money, the rules, the receipts, the refund, and the
pages (buyer, seller, anyone else)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from models import books_check, ledger, savings, shu, stall
from models.errors import DomainError
from models.keys import KeyReused
from models.ledger import Entry, balances
from models.market import set_store_status
from models.notifications import Notification
from models.sales_record import record
from models.stall import StallPayment
from models.transactions import MemberTransaction
from models.zones import zone_of
from tests.conftest import PASSWORD, board, fund, login

KEY = "k" * 43


@pytest.fixture
def seller(make_user):
    return make_user(full_name="Siti Penjual")


@pytest.fixture
def store(make_koperasi, make_store, seller):
    """Siti's open store in a koperasi of its own (``kop``)."""
    return make_store(make_koperasi(), owner=seller)


@pytest.fixture
def kop(store):
    return store.koperasi


@pytest.fixture
def buyer(make_user):
    return make_user(full_name="Budi Pembeli")


@pytest.fixture
def buyer_member(kop, make_member, buyer, db):
    membership = make_member(kop, user=buyer)
    savings.deposit(membership, "sukarela", 100_000, "cash", board(kop))
    db.session.commit()
    return membership


def _notes(db, user) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def _entries(db, kind: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == kind))


# ---------------------------------------------------------------- the money

def test_a_payment_moves_sukarela_in_one_balanced_entry_and_tells_both(db, store, buyer, buyer_member, seller):
    payment = stall.pay(store, buyer, 25_000, KEY)
    db.session.commit()
    assert balances(buyer_member.id)["sukarela"] == 75_000
    assert balances(store.membership_id)["sukarela"] == 25_000
    entry = db.session.get(Entry, payment.entry_id)
    assert entry.kind == "stall_payment" and len(entry.lines) == 2 and sum(line.amount for line in entry.lines) == 0
    assert {line.membership_id for line in entry.lines} == {buyer_member.id, store.membership_id}
    assert payment.number.startswith("PAY-")
    assert _notes(db, buyer)[-1] == "stall_paid" and _notes(db, seller)[-1] == "stall_received"
    assert books_check.check() == []


def test_a_retried_payment_pays_once_and_the_key_with_another_amount_is_refused(db, store, buyer, buyer_member):
    first = stall.pay(store, buyer, 25_000, KEY)
    db.session.commit()
    again = stall.pay(store, buyer, 25_000, KEY)
    db.session.commit()
    assert again.id == first.id
    with pytest.raises(KeyReused):
        stall.pay(store, buyer, 30_000, KEY)
    db.session.rollback()
    assert balances(buyer_member.id)["sukarela"] == 75_000
    assert _entries(db, "stall_payment") == 1


def test_more_than_the_balance_is_refused_and_nothing_happens(db, store, buyer, buyer_member, seller):
    with pytest.raises(DomainError) as refused:
        stall.pay(store, buyer, 100_001, KEY)
    db.session.rollback()
    assert "100.000" in str(refused.value.message)  # the balance the buyer has
    assert balances(buyer_member.id)["sukarela"] == 100_000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StallPayment)) == 0
    assert "stall_paid" not in _notes(db, buyer) and "stall_received" not in _notes(db, seller)


def test_who_may_pay_which_store(db, kop, store, buyer, buyer_member, seller, make_koperasi, make_store, make_member,
                                 make_user):
    other = make_store(make_koperasi(name="Koperasi Lain"), owner=make_user(full_name="Penjual Lain"))
    with pytest.raises(DomainError, match="Koperasi Lain"):
        stall.pay(other, buyer, 10_000, KEY)  # another koperasi's store
    savings.deposit(db.session.get(type(buyer_member), store.membership_id), "sukarela", 50_000, "cash", board(kop))
    db.session.commit()
    with pytest.raises(DomainError, match="own store|toko Anda sendiri"):
        stall.pay(store, seller, 10_000, KEY)
    set_store_status(store, "suspended")
    db.session.commit()
    with pytest.raises(DomainError, match="does not take payments|tidak menerima"):
        stall.pay(store, buyer, 10_000, KEY)
    db.session.rollback()
    assert balances(buyer_member.id)["sukarela"] == 100_000


def test_a_refund_goes_back_once_for_at_most_the_amount_paid(db, store, buyer, buyer_member, seller):
    payment = stall.pay(store, buyer, 40_000, KEY)
    db.session.commit()
    with pytest.raises(DomainError, match="at most|paling banyak"):
        stall.refund(payment, seller, 40_001, "Salah ketik jumlah", "r" * 43)
    db.session.rollback()
    with pytest.raises(DomainError, match="owner|pemilik"):
        stall.refund(payment, buyer, 10_000, "Saya minta kembali", "r" * 43)
    db.session.rollback()
    stall.refund(payment, seller, 15_000, "Salah ketik jumlah", "r" * 43)
    db.session.commit()
    assert stall.refund(payment, seller, 15_000, "Salah ketik jumlah", "r" * 43).refunded_idr == 15_000  # a retry
    db.session.commit()
    with pytest.raises(DomainError, match="already refunded|sudah dikembalikan"):
        stall.refund(payment, seller, 5_000, "Sekali lagi dong", "s" * 43)
    db.session.rollback()
    assert balances(buyer_member.id)["sukarela"] == 75_000
    assert balances(store.membership_id)["sukarela"] == 25_000
    assert _entries(db, "stall_refund") == 1
    assert _notes(db, buyer)[-1] == "stall_refunded"
    assert books_check.check() == []


def test_a_payment_counts_for_shu_and_the_sales_record_like_an_order(db, kop, store, buyer, buyer_member, seller):
    payment = stall.pay(store, buyer, 40_000, KEY)
    db.session.commit()
    stall.refund(payment, seller, 10_000, "Kembalian kurang", "r" * 43)
    db.session.commit()
    year = zone_of(kop).today().year
    assert shu.transaction_figures(kop, year, ["member_stores"]) == {buyer_member.id: 30_000}
    assert shu.transaction_figures(kop, year, ["own_store"]) == {}
    rows = db.session.scalars(sa.select(MemberTransaction.amount_idr).where(
        MemberTransaction.stall_payment_id == payment.id)).all()
    assert sorted(rows) == [-10_000, 40_000]
    today = zone_of(kop).today()
    next_month = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    rec = record(store, next_month)  # this month is the record's last full month then
    assert rec.months[-1].sales == 30_000 and rec.orders == 1 and rec.cancellations == 0


def test_a_whole_refund_is_a_cancellation_in_the_sales_record(db, kop, store, buyer, buyer_member, seller):
    payment = stall.pay(store, buyer, 40_000, KEY)
    stall.refund(payment, seller, 40_000, "Barang habis", "r" * 43)
    db.session.commit()
    today = zone_of(kop).today()
    rec = record(store, date(today.year + (today.month == 12), today.month % 12 + 1, 1))
    assert rec.sales == 0 and rec.orders == 0 and rec.cancellations == 1


# ---------------------------------------------------------------- the pages

@pytest.fixture
def buyer_client(app, buyer, buyer_member):
    return login(app.test_client(), buyer)


def test_the_typed_code_leads_to_the_pay_page(buyer_client, store):
    response = buyer_client.get(f"/pay?code={store.pay_code.lower()[:3]} {store.pay_code.lower()[3:]}")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/pay/{store.pay_code}")
    page = buyer_client.get(f"/pay/{store.pay_code}")
    assert page.status_code == 200 and store.name in page.text and "Rp100.000" in page.text


def test_a_code_that_is_no_store_says_so(buyer_client):
    response = buyer_client.get("/pay/ZZZZZZZ")
    assert response.status_code == 404
    assert "bukan toko Kopz" in response.text or "not a Kopz store" in response.text


def test_another_koperasis_member_is_refused_with_a_clear_message(app, store, make_koperasi, make_member, make_user):
    outsider = make_user(full_name="Anggota Lain")
    make_member(make_koperasi(name="Koperasi Tetangga"), user=outsider)
    client = login(app.test_client(), outsider)
    response = client.get(f"/pay/{store.pay_code}")
    assert response.status_code == 403 and store.koperasi.name in response.text
    assert client.post(f"/pay/{store.pay_code}", data={"key": KEY, "amount": "10.000",
                                                       "password": PASSWORD}).status_code == 403


def test_paying_needs_the_password_and_a_wrong_one_pays_nothing(db, buyer_client, store, buyer_member):
    wrong = buyer_client.post(f"/pay/{store.pay_code}", data={"key": KEY, "amount": "25.000", "password": "salah"})
    assert wrong.status_code == 422 and 'value="25.000"' in wrong.text
    assert balances(buyer_member.id)["sukarela"] == 100_000
    paid = buyer_client.post(f"/pay/{store.pay_code}", data={"key": KEY, "amount": "25.000", "password": PASSWORD})
    assert paid.status_code == 303
    again = buyer_client.post(f"/pay/{store.pay_code}", data={"key": KEY, "amount": "25.000", "password": PASSWORD})
    assert again.headers["Location"] == paid.headers["Location"]  # a double tap: the same receipt
    db.session.expire_all()
    assert balances(buyer_member.id)["sukarela"] == 75_000
    receipt = buyer_client.get(paid.headers["Location"])
    assert receipt.status_code == 200 and "Rp25.000" in receipt.text and "PAY-" in receipt.text


def test_too_many_wrong_passwords_stop_paying_for_a_while(db, buyer_client, store, buyer_member):
    for _ in range(5):
        buyer_client.post(f"/pay/{store.pay_code}", data={"key": KEY, "amount": "1.000", "password": "salah"})
    locked = buyer_client.post(f"/pay/{store.pay_code}", data={"key": KEY, "amount": "1.000", "password": PASSWORD})
    assert locked.status_code == 422 and ("15 menit" in locked.text or "15 minutes" in locked.text)
    assert balances(buyer_member.id)["sukarela"] == 100_000


def test_a_balance_too_small_is_refused_on_the_form(db, buyer_client, store, buyer_member):
    response = buyer_client.post(f"/pay/{store.pay_code}", data={"key": KEY, "amount": "150.000", "password": PASSWORD})
    assert response.status_code == 422 and "Rp100.000" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StallPayment)) == 0


def test_only_the_payer_and_the_seller_see_a_receipt_and_only_the_seller_refunds(app, db, store, buyer, buyer_member,
                                                                                seller, make_member, make_user,
                                                                                make_staff):
    payment = stall.pay(store, buyer, 30_000, KEY)
    db.session.commit()
    url = f"/pay/receipts/{payment.id}"
    neighbour = make_user(full_name="Tetangga")
    make_member(store.koperasi, user=neighbour)
    for someone in (neighbour, make_staff(store.koperasi, "pengawas")):
        client = login(app.test_client(), someone)
        assert client.get(url).status_code == 404
        assert client.post(url, data={"key": "r" * 43, "amount": "30.000", "reason": "Minta kembali"}).status_code == 404
    buyer_page = login(app.test_client(), buyer)
    assert buyer_page.get(url).status_code == 200
    assert buyer_page.post(url, data={"key": "r" * 43, "amount": "30.000", "reason": "Minta kembali"}).status_code == 404
    seller_page = login(app.test_client(), seller)
    assert "Refund" in seller_page.get(url).text or "Kembalikan" in seller_page.get(url).text
    done = seller_page.post(url, data={"key": "r" * 43, "amount": "30.000", "reason": "Barang habis"})
    assert done.status_code == 303
    db.session.expire_all()
    assert balances(buyer_member.id)["sukarela"] == 100_000


def test_the_sellers_qr_and_payments_are_the_sellers_alone(app, db, store, buyer, buyer_member, seller):
    payment = stall.pay(store, buyer, 30_000, KEY)
    db.session.commit()
    mine = login(app.test_client(), seller)
    page = mine.get(f"/seller/stores/{store.id}/pay")
    assert page.status_code == 200 and store.pay_code in page.text and "data:image/svg+xml" in page.text
    assert payment.number in page.text and 'hx-trigger="every 5s"' in page.text
    fragment = mine.get(f"/seller/stores/{store.id}/pay", headers={"HX-Request": "true", "HX-Target": "payments"})
    assert payment.number in fragment.text and "<html" not in fragment.text
    assert mine.get(f"/seller/stores/{store.id}/pay/print").status_code == 200
    other = login(app.test_client(), buyer)
    assert other.get(f"/seller/stores/{store.id}/pay").status_code == 404
    assert other.get(f"/seller/stores/{store.id}/pay/print").status_code == 404
    assert payment.number in other.get("/pay").text  # the buyer's own list


def test_the_pay_pages_need_a_login(client, store):
    assert client.get(f"/pay/{store.pay_code}").status_code in (302, 303)
    assert client.get("/pay").status_code in (302, 303)


def test_every_store_gets_its_own_code(kop, make_store, make_user):
    codes = {make_store(kop, owner=make_user()).pay_code for _ in range(3)}
    assert len(codes) == 3 and all(len(c) == 7 and stall.normal_code(c) == c for c in codes)
    assert ledger.SAVINGS["sukarela"] == stall.SUKARELA


def test_the_pages_fit_the_budget_and_the_polled_list_is_small(app, db, store, buyer, buyer_member, seller):
    from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure

    for n in range(20):
        stall.pay(store, buyer, 1_000, f"budget-{n:02d}-" + "x" * 36)
    db.session.commit()
    payer, owner = login(app.test_client(), buyer), login(app.test_client(), seller)
    payment = db.session.scalar(sa.select(StallPayment.id).limit(1))
    for client, url in ((payer, "/pay"), (payer, f"/pay/{store.pay_code}"), (payer, f"/pay/receipts/{payment}"),
                        (owner, f"/seller/stores/{store.id}/pay"), (owner, f"/pay/receipts/{payment}")):
        m = measure(client, url)
        assert m.status == 200 and len(m.queries) <= MAX_QUERIES and m.html_gzip <= MAX_HTML_GZIP, (url, m.queries)
    polled = measure(owner, f"/seller/stores/{store.id}/pay", headers={"HX-Request": "true", "HX-Target": "payments"})
    assert polled.status == 200 and polled.html_gzip <= 2 * 1024 and len(polled.queries) <= 6, polled.queries


def test_a_pledged_loan_takes_its_share_of_a_payment_and_keeps_it_on_a_refund(db, kop, store, buyer, buyer_member,
                                                                                 seller, make_staff):
    from models import capital, loans
    from tests.capital_setup import capital_loan

    fund(kop)
    loan = capital_loan(kop, store, make_staff(kop, "teller"), pledge=10)
    owed_before = loans.owed(loan).total
    seller_before = balances(store.membership_id)["sukarela"]
    payment = stall.pay(store, buyer, 40_000, KEY)
    db.session.commit()
    deduction = db.session.scalar(sa.select(capital.SaleDeduction).where(
        capital.SaleDeduction.stall_payment_id == payment.id))
    assert deduction.amount_idr == 4_000 and deduction.order_id is None
    assert balances(store.membership_id)["sukarela"] == seller_before + 36_000
    db.session.refresh(loan)
    assert loans.owed(loan).total == owed_before - 4_000
    assert capital.from_orders(loan.id) == {deduction.entry_id: payment.number}
    stall.refund(payment, seller, 10_000, "Kembalian kurang", "r" * 43)
    db.session.commit()
    db.session.refresh(loan)
    db.session.refresh(deduction)
    assert deduction.reversal_id is None and loans.owed(loan).total == owed_before - 4_000
    assert balances(store.membership_id)["sukarela"] == seller_before + 26_000
    assert balances(buyer_member.id)["sukarela"] == 70_000
    assert books_check.check() == []
