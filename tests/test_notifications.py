"""Notifications: every flow that tells someone something tells exactly the right person,
once, in words they can read in Indonesian and in English; the text never breaks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from models import loans
from models.errors import DomainError
from models.market import set_store_status
from models.membership import reject
from models.notifications import Kind, Notification, notify
from models.orders import Choice, OrderStatus, add_to_cart, checkout, move
from tests.conftest import board, fund
from web.notification_text import render

PRODUCT = {"name": "Modal Usaha", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 100, "fee_mode": "deducted",
           "max_amount_idr": 10_000_000, "min_tenor": 3, "max_tenor": 24, "late_fee_mode": "per_instalment",
           "late_fee_idr": 5_000, "requires_guarantor": False, "requires_documents": False, "active": True}


def notes(db, user=None, kind=None) -> list[Notification]:
    query = sa.select(Notification).order_by(Notification.id)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    if kind is not None:
        query = query.where(Notification.kind == str(kind))
    return list(db.session.scalars(query))


def words(app, note, lang: str) -> str:
    with app.test_request_context(), force_locale(lang):
        text = render(note)
        return f"{text.title} | {text.body} | {text.koperasi}"


def test_approval_tells_the_applicant_their_number_and_the_pokok_owed(app, db, make_koperasi, make_member, make_user):
    k = make_koperasi(pokok_idr=150_000)
    person, bystander = make_user(full_name="Siti Aminah"), make_user(full_name="Orang Lain")
    membership = make_member(k, user=person, status="approved")
    approved, pokok = notes(db, person)
    assert notes(db, bystander) == [] and len(notes(db)) == 2
    assert approved.kind == Kind.APPLICATION_APPROVED and pokok.kind == Kind.POKOK_DUE
    assert approved.url == pokok.url == f"/k/{k.slug}/me"
    number = membership.member_number
    assert words(app, approved, "id") == f"Pengajuan disetujui | Selamat bergabung! Nomor anggota Anda {number}. | {k.name}"
    assert words(app, approved, "en") == f"Application approved | Welcome! Your member number is {number}. | {k.name}"
    assert "Rp150.000" in words(app, pokok, "id") and "Bayar simpanan pokok" in words(app, pokok, "id")
    assert "Rp150,000" in words(app, pokok, "en") and "Pay simpanan pokok" in words(app, pokok, "en")


def test_a_koperasi_without_pokok_sends_no_pokok_reminder(db, make_koperasi, make_member, make_user):
    person = make_user()
    make_member(make_koperasi(pokok_idr=0), user=person)
    assert [n.kind for n in notes(db, person)] == [Kind.APPLICATION_APPROVED]


def test_rejection_tells_the_applicant_why(app, db, make_koperasi, make_member, make_user):
    k = make_koperasi()
    person = make_user()
    membership = make_member(k, user=person, status="applied")
    reject(membership, board(k), "Alamat di luar wilayah koperasi.")
    db.session.commit()
    (note,) = notes(db, person)
    assert note.kind == Kind.APPLICATION_REJECTED
    assert "Alasan: Alamat di luar wilayah koperasi." in words(app, note, "id")
    assert words(app, note, "en").startswith("Application not approved | Reason: Alamat")


@pytest.fixture
def borrower(db, make_koperasi, make_member, make_user, make_staff):
    k = fund(make_koperasi(pokok_idr=0))
    person = make_user(full_name="Budi Santoso")
    membership = make_member(k, user=person)
    product = loans.save_product(k, dict(PRODUCT))
    db.session.execute(sa.delete(Notification))  # what joining sent is told elsewhere
    db.session.commit()
    return k, person, membership, product, make_staff(k, "teller")


def test_loan_approved_then_paid_out_tells_the_borrower_each_once(app, db, borrower):
    k, person, membership, product, teller = borrower
    loan = loans.apply(membership, product, 2_000_000, 6, "Modal warung")
    assert notes(db) == []  # applying tells nobody (the office sees its queue)
    loans.approve(loan, board(k))
    loans.disburse(loan, teller, "cash", key="k" * 32)
    db.session.commit()
    loans.disburse(loan, teller, "cash", key="k" * 32)  # a retried tap
    db.session.commit()
    approved, paid = notes(db)
    assert {approved.user_id, paid.user_id} == {person.id}
    assert [approved.kind, paid.kind] == [Kind.LOAN_APPROVED, Kind.LOAN_DISBURSED]
    assert approved.url == paid.url == f"/k/{k.slug}/me/loans/{loan.id}"
    assert words(app, approved, "id").startswith("Pinjaman disetujui | Pinjaman Anda sebesar Rp2.000.000 disetujui")
    first = loan.instalments[0]
    due = first.principal_due + first.interest_due
    text = words(app, paid, "en")
    assert text.startswith("Loan paid out | Rp2,000,000 was paid out to you. First instalment: ")
    assert f"Rp{due:,}" in text and str(first.due_on.year) in text
    assert "Angsuran pertama" in words(app, paid, "id")


def test_loan_rejected_tells_the_borrower_why(app, db, borrower):
    k, person, membership, product, _teller = borrower
    loan = loans.apply(membership, product, 1_000_000, 6, "Modal warung")
    loans.reject(loan, board(k), "Usaha belum berjalan.")
    db.session.commit()
    (note,) = notes(db, person)
    assert note.kind == Kind.LOAN_REJECTED
    assert "Rp1.000.000" in words(app, note, "id") and "Usaha belum berjalan." in words(app, note, "en")


def test_a_refused_decision_tells_nobody(db, borrower):
    k, _person, membership, product, _teller = borrower
    loan = loans.apply(membership, product, 1_000_000, 6, "Modal warung")
    with pytest.raises(DomainError):
        loans.reject(loan, board(k), "")  # no reason: refused
    db.session.rollback()
    assert notes(db) == []


@pytest.fixture
def shop(db, make_koperasi, make_store, make_product, make_user):
    k = make_koperasi(pokok_idr=0)
    seller = make_user(full_name="Bu Siti")
    store = make_store(k, owner=seller, name="Warung Bu Siti")
    product = make_product(store, price_idr=50_000)
    buyer = make_user(full_name="Made Wirawan")
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    return store, product, seller, buyer


def test_an_order_tells_the_seller_and_each_move_tells_the_buyer(app, db, shop):
    store, product, seller, buyer = shop
    add_to_cart(buyer, product, 2)
    (order,) = checkout(buyer, {store.id: Choice()}, key="c" * 32).orders
    db.session.commit()
    (received,) = notes(db)
    assert received.user_id == seller.id and received.kind == Kind.ORDER_RECEIVED
    assert received.url == f"/seller/orders/{order.id}"
    assert words(app, received, "id") == (f"Pesanan baru {order.number} | Made Wirawan memesan senilai Rp100.000 di "
                                         f"Warung Bu Siti. | {store.koperasi.name}")
    move(order, OrderStatus.ACCEPTED, seller, as_seller=True)
    db.session.commit()
    (accepted,) = notes(db, buyer)
    assert accepted.kind == Kind.ORDER_STATUS and accepted.url == f"/orders/{order.id}"
    assert words(app, accepted, "id").endswith(f"Pesanan Anda di Warung Bu Siti sekarang: Diterima. | {store.koperasi.name}")
    assert "Your order at Warung Bu Siti is now: Accepted." in words(app, accepted, "en")
    assert len(notes(db, seller)) == 1  # the seller is not told of their own move


def test_the_buyer_cancelling_tells_the_seller(app, db, shop):
    store, product, seller, buyer = shop
    add_to_cart(buyer, product, 1)
    (order,) = checkout(buyer, {store.id: Choice()}, key="d" * 32).orders
    move(order, OrderStatus.CANCELLED, buyer, as_seller=False)
    db.session.commit()
    assert notes(db, buyer) == []
    received, cancelled = notes(db, seller)
    assert cancelled.kind == Kind.ORDER_STATUS and cancelled.url == f"/seller/orders/{order.id}"
    assert f"The buyer changed order {order.number}: Cancelled." in words(app, cancelled, "en")


def test_approving_a_store_tells_its_owner_once(app, db, make_koperasi, make_store, make_user):
    k = make_koperasi(pokok_idr=0)
    owner = make_user()
    store = make_store(k, owner=owner, status="pending", name="Jamu Mbok Darmi")
    set_store_status(store, "approved")
    set_store_status(store, "approved")  # already open: nothing new to tell
    db.session.commit()
    (note,) = notes(db, owner, Kind.STORE_APPROVED)
    assert note.url == "/seller"
    assert words(app, note, "id").startswith("Toko disetujui | Jamu Mbok Darmi sudah buka di pasar")


# ---------------------------------------------------------------- the words of every kind

PARAMS = {
    Kind.RAT_SCHEDULED: ({"title": "RAT Tahun Buku 2025", "starts_at": "2026-03-20T02:00:00", "place": "Balai RW 05"},
                         "RAT Tahun Buku 2025, 20 Mar 2026 09.00.00 WIB. Tempat: Balai RW 05",
                         "RAT Tahun Buku 2025, Mar 20, 2026, 9:00:00\u202fAM WIB. Place: Balai RW 05"),
    Kind.VOTING_OPEN: ({"title": "Pengesahan laporan", "closes_at": "2026-03-21T10:00:00+00:00"},
                       "Pengesahan laporan: berikan suara sebelum 21 Mar 2026 17.00.00 WIB.",
                       "Pengesahan laporan: vote before Mar 21, 2026, 5:00:00\u202fPM WIB."),
    Kind.MINUTES_PUBLISHED: ({"title": "RAT 2025"}, "Notulen RAT 2025 sudah diterbitkan.",
                             "The minutes of RAT 2025 are published."),
    Kind.SHU_CREDITED: ({"year": 2025, "amount": 1_234_567, "to": "sukarela"},
                        "SHU Anda sebesar Rp1.234.567 sudah masuk ke simpanan sukarela Anda.",
                        "Your SHU of Rp1,234,567 was credited to your simpanan sukarela."),
    Kind.INSTALMENT_DUE: ({"seq": 3, "amount": 187_000, "due_on": "2026-05-05"},
                          "Angsuran ke-3 sebesar Rp187.000 jatuh tempo pada 5 Mei 2026.",
                          "Instalment 3 of Rp187,000 is due on May 5, 2026."),
}


@pytest.mark.parametrize("kind", list(PARAMS))
def test_the_words_of_what_other_areas_send(app, db, make_koperasi, make_user, kind):
    k, person = make_koperasi(), make_user()
    params, in_id, in_en = PARAMS[kind]
    note = notify(person.id, kind, koperasi_id=k.id, params=params)
    assert in_id in words(app, note, "id") and in_en in words(app, note, "en")


def test_cash_shu_is_told_as_cash(app, db, make_user):
    note = notify(make_user().id, Kind.SHU_CREDITED, params={"year": 2025, "amount": 50_000, "to": "cash"})
    assert words(app, note, "en") == "SHU 2025 | Your SHU of Rp50,000 is ready: take it in cash at the koperasi. | "


@pytest.mark.parametrize("params", [{}, {"amount": "lots", "due_on": "soon", "starts_at": 5, "closes_at": None,
                                         "seq": {"x": 1}, "title": ["a"], "year": True}], ids=["empty", "garbage"])
@pytest.mark.parametrize("kind", [*Kind, "kind_from_the_future"])
def test_every_kind_has_words_even_with_params_missing_or_wrong(app, db, make_user, kind, params):
    note = notify(make_user().id, kind, params=params)
    for lang in ("id", "en"):
        title, body, _koperasi = words(app, note, lang).split(" | ")
        assert title.strip()  # something to show; never an exception


def test_notify_many_tells_each_user_once_and_skips_those_already_told(db, make_user):
    from models.notifications import notify_many

    first, second = make_user(), make_user(full_name="Budi")
    ids = notify_many([first.id, second.id, first.id], Kind.MINUTES_PUBLISHED, params={"title": "RAT"}, once="rat:1")
    assert len(ids) == 2
    assert notify_many([first.id, second.id], Kind.MINUTES_PUBLISHED, params={"title": "RAT"}, once="rat:1") == []
    assert len(notes(db)) == 2 and {n.once_key for n in notes(db)} == {"rat:1"}


def test_a_vote_announced_before_it_opens_says_when(app, db, make_koperasi, make_user):
    k = make_koperasi()
    note = notify(make_user().id, Kind.VOTING_OPEN, koperasi_id=k.id, params={
        "title": "Pemilihan pengawas", "opens_at": "2999-03-20T02:00:00", "closes_at": "2999-03-20T09:00:00"})
    assert words(app, note, "id").startswith("Pemungutan suara segera | Pemilihan pengawas: berikan suara dari 20 Mar "
                                            "2999 09.00.00 WIB sampai 20 Mar 2999 16.00.00 WIB.")
    assert words(app, note, "en").startswith("Voting soon | Pemilihan pengawas: vote from Mar 20, 2999")
