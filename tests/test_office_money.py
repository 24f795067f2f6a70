"""The office's money pages as staff and members meet them: the loan portfolio list, a
member's loans, an on-time instalment in three taps, statements and receipts in posting
order, honest receipts, every entry kind named, amounts in words, dues, and the
koperasi's own time zone."""

from __future__ import annotations

import ast
import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from models import loans, savings
from models.accounts import User
from models.ledger import Entry
from models.loans import Loan
from models.statement import ENTRY_LABELS
from models.zones import zone_for
from tests.conftest import fund, login

NIKS = [f"32730115089{n:05d}" for n in range(1, 60)]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def kop(make_koperasi):
    return fund(make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB", pokok_idr=100_000, wajib_idr=20_000))


@pytest.fixture
def staff(kop, db):
    return db.session.get(User, kop.created_by_id)


@pytest.fixture
def teller(app, kop, make_staff):
    return login(app.test_client(), make_staff(kop, "teller"))


@pytest.fixture
def product(kop, db):
    made = loans.save_product(kop, {
        "name": "Modal Usaha", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 100, "fee_mode": "deducted",
        "max_amount_idr": 10_000_000, "min_tenor": 3, "max_tenor": 24, "late_fee_mode": "per_instalment",
        "late_fee_idr": 5_000, "requires_guarantor": False, "requires_documents": False, "active": True})
    db.session.commit()
    return made


def local_today(kop):
    return zone_for(kop.province_code).today()


def cashier(db, kop) -> User:
    """The koperasi's teller who pays loans out (the approver may not, see models/duties.py)."""
    from models.accounts import register_user
    from models.koperasi import Staff

    found = db.session.scalar(sa.select(User).join(Staff, Staff.user_id == User.id)
                              .where(Staff.koperasi_id == kop.id, Staff.role == "teller", User.full_name == "Kasir Pinjaman"))
    if found is None:
        found = register_user("Kasir Pinjaman", f"0813{kop.id:08d}", "rahasia-123", None)
        db.session.add(Staff(koperasi_id=kop.id, user_id=found.id, role="teller"))
        db.session.flush()
    return found


def make_loan(db, kop, member, product, staff, status="active", amount=1_200_000, tenor=12, start=None):
    loan = loans.apply(member, product, amount, tenor, "Modal warung sembako")
    if status in ("approved", "active", "paid_off", "rejected"):
        if status == "rejected":
            loans.reject(loan, staff, "Belum memenuhi syarat.")
        else:
            loans.approve(loan, staff)
    if status in ("active", "paid_off"):
        loans.disburse(loan, cashier(db, kop), "cash", today=start or local_today(kop))
    if status == "paid_off":
        loans.repay(loan, loans.owed(loan, local_today(kop)).total, "cash", staff)
    db.session.commit()
    return loan


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---------------------------------------------------------------- the portfolio list

@pytest.fixture
def portfolio(kop, product, staff, make_member, make_user, db):
    """One loan in every state, each of a different member."""
    names = ["Ani Diajukan", "Budi Disetujui", "Cici Lancar", "Dodi Menunggak", "Euis Lunas", "Fajar Ditolak"]
    people = {name: make_member(kop, user=make_user(full_name=name), nik=NIKS[n]) for n, name in enumerate(names)}
    late_start = local_today(kop) - timedelta(days=70)
    return {
        "applied": make_loan(db, kop, people["Ani Diajukan"], product, staff, "applied"),
        "approved": make_loan(db, kop, people["Budi Disetujui"], product, staff, "approved"),
        "current": make_loan(db, kop, people["Cici Lancar"], product, staff, "active"),
        "overdue": make_loan(db, kop, people["Dodi Menunggak"], product, staff, "active", start=late_start),
        "paid_off": make_loan(db, kop, people["Euis Lunas"], product, staff, "paid_off"),
        "rejected": make_loan(db, kop, people["Fajar Ditolak"], product, staff, "rejected"),
    }


@pytest.mark.parametrize("status, shown", [
    ("", {"applied", "approved", "current", "overdue", "paid_off", "rejected"}),
    ("applied", {"applied"}), ("approved", {"approved"}), ("active", {"current", "overdue"}),
    ("current", {"current"}), ("overdue", {"overdue"}), ("paid_off", {"paid_off"}), ("rejected", {"rejected"}),
])
def test_the_whole_portfolio_is_listed_and_filtered_by_status(kop, portfolio, teller, status, shown):
    page = teller.get(f"/k/{kop.slug}/office/loans/list?status={status}")
    assert page.status_code == 200
    listed = {key for key, loan in portfolio.items() if f'href="/k/{kop.slug}/office/loans/{loan.id}"' in page.text}
    assert listed == shown
    assert text_of(page.text).count("Modal Usaha") == len(shown)


def test_the_filter_updates_the_list_as_a_fragment_under_htmx(kop, portfolio, teller):
    headers = {"HX-Request": "true", "HX-Target": "loans"}
    fragment = teller.get(f"/k/{kop.slug}/office/loans/list?status=rejected", headers=headers)
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="loans"' in fragment.text
    assert "Fajar Ditolak" in fragment.text and "Ani Diajukan" not in fragment.text
    assert 'hx-target="#loans"' in teller.get(f"/k/{kop.slug}/office/loans/list").text


def test_the_portfolio_page_links_the_list_by_status(kop, portfolio, teller):
    page = teller.get(f"/k/{kop.slug}/office/loans").text
    assert f"/k/{kop.slug}/office/loans/list?status=paid_off" in page
    assert f"/k/{kop.slug}/office/loans/list?status=overdue" in page
    assert f'href="/k/{kop.slug}/office/loans/list"' in page


def test_the_list_pages_twenty_at_a_time(kop, product, staff, make_member, make_user, teller, db):
    member = make_member(kop, user=make_user(full_name="Gita Banyak"), nik=NIKS[20])
    for _ in range(21):
        loans.apply(member, product, 500_000, 6, "Modal dagang pasar")
    db.session.commit()
    first = teller.get(f"/k/{kop.slug}/office/loans/list?status=applied").text
    assert first.count("Gita Banyak") == 20 and "Halaman 1 dari 2" in first
    assert f"/k/{kop.slug}/office/loans/list?page=2&amp;status=applied" in first
    second = teller.get(f"/k/{kop.slug}/office/loans/list?status=applied&page=2").text
    assert second.count("Gita Banyak") == 1
    assert teller.get(f"/k/{kop.slug}/office/loans/list?page=99").status_code == 200


def test_the_list_is_office_only(app, kop, portfolio, make_user, make_koperasi, make_staff):
    stranger = login(app.test_client(), make_user(full_name="Orang Asing"))
    assert stranger.get(f"/k/{kop.slug}/office/loans/list").status_code == 404
    other = login(app.test_client(), make_staff(make_koperasi(name="Koperasi Lain", member_prefix="KLN"), "admin"))
    assert other.get(f"/k/{kop.slug}/office/loans/list").status_code == 404
    assert app.test_client().get(f"/k/{kop.slug}/office/loans/list").status_code == 303


def test_the_office_member_page_lists_the_members_loans(kop, portfolio, teller, db):
    loan = portfolio["overdue"]
    page = teller.get(f"/k/{kop.slug}/office/members/{loan.membership_id}").text
    assert f"/k/{kop.slug}/office/loans/{loan.id}\"" in page
    assert "Modal Usaha" in page and "Menunggak" in page
    assert f"/k/{kop.slug}/office/loans/{portfolio['current'].id}\"" not in page  # someone else's


# ---------------------------------------------------------------- three taps

def test_a_teller_takes_an_on_time_instalment_in_three_taps(kop, product, staff, make_member, make_user, teller, db):
    member = make_member(kop, user=make_user(full_name="Hana Tepat"), nik=NIKS[30])
    loan = make_loan(db, kop, member, product, staff, "active")  # Rp1.200.000, 12 × (100.000 + 12.000)
    # tap 1: the member at the counter lists the loan
    counter = teller.get(f"/k/{kop.slug}/office/teller/{member.id}").text
    link = f"/k/{kop.slug}/office/loans/{loan.id}"
    assert f'href="{link}"' in counter
    # tap 2: the loan offers the amount due, in one button
    page = teller.get(link).text
    form = re.search(r'<form[^>]*id="pay-due"[^>]*>(.*?)</form>', page, re.S)
    assert form and "Bayar angsuran Rp112.000" in form.group(1)
    fields = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', form.group(1)))
    assert fields["amount"] == "112.000" and len(fields["key"]) >= 16
    # tap 3: paid, with a receipt; a double tap pays once
    response = teller.post(f"{link}/repay", data=fields)
    again = teller.post(f"{link}/repay", data=fields)
    assert response.status_code == again.status_code == 303
    assert response.headers["Location"] == again.headers["Location"]
    db.session.expire_all()
    paid = db.session.get(Loan, loan.id)
    assert paid.instalments[0].remaining == 0 and paid.instalments[1].principal_paid == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == "repayment")) == 1


def test_in_arrears_the_button_takes_what_is_overdue_with_late_fees(kop, portfolio, teller):
    page = teller.get(f"/k/{kop.slug}/office/loans/{portfolio['overdue'].id}").text
    form = re.search(r'<form[^>]*id="pay-due"[^>]*>(.*?)</form>', page, re.S).group(1)
    # two instalments past due (2 × 112.000) and a late fee of 5.000 on each
    assert "Rp234.000" in form and 'value="234.000"' in form


# ---------------------------------------------------------------- posting order

def utc(local: str, hours: int = 7) -> datetime:
    return datetime.fromisoformat(local) - timedelta(hours=hours)


@pytest.fixture
def backdated(kop, make_member, make_user, db):
    """Paid pokok (now); then a deposit posted earlier in time but entered later."""
    member = make_member(kop, user=make_user(full_name="Intan Mundur"), nik=NIKS[40])
    now = datetime.now()
    savings.deposit(member, "sukarela", 300_000, "cash", None, at=now - timedelta(days=2))
    savings.deposit(member, "sukarela", 50_000, "cash", None, at=now - timedelta(days=10))  # back-dated
    db.session.commit()
    return member


def statement_rows(page: str):
    return re.findall(r'<strong class="(?:in|out)">([^<]+)</strong><br><small>([^<]+)</small>', page)


def test_statement_lists_by_posting_time_with_a_steady_balance(app, kop, backdated, db):
    me = login(app.test_client(), backdated.user)
    assert statement_rows(me.get(f"/k/{kop.slug}/me").text) == [
        ("+Rp100.000", "Rp450.000"), ("+Rp300.000", "Rp350.000"), ("+Rp50.000", "Rp50.000")]
    table = list(csv.reader(io.StringIO(me.get(f"/k/{kop.slug}/me/statement.csv").text.lstrip("\ufeff"))))
    assert [(row[4], row[6]) for row in table[1:]] == [("50000", "50000"), ("300000", "350000"),
                                                       ("100000", "450000")]


def test_a_backdated_receipt_shows_the_balance_of_its_own_time(kop, backdated, teller, db):
    ref = db.session.scalar(sa.select(Entry.ref).where(Entry.membership_id == backdated.id)
                            .order_by(Entry.id.desc()).limit(1))
    page = text_of(teller.get(f"/k/{kop.slug}/office/receipts/{ref}").text)
    assert "Saldo baru Simpanan sukarela Rp50.000" in page


def test_the_tellers_latest_receipts_are_in_posting_order(kop, backdated, teller, db):
    refs = db.session.scalars(sa.select(Entry.ref).where(Entry.membership_id == backdated.id)
                              .order_by(Entry.id)).all()  # pokok, 300.000, the back-dated 50.000
    page = teller.get(f"/k/{kop.slug}/office/teller/{backdated.id}").text
    shown = re.findall(r"(KSB-\d{7}) ·", page)
    assert shown == [refs[0], refs[1], refs[2]]


# ---------------------------------------------------------------- receipts

def test_a_disbursement_receipt_shows_principal_fee_and_cash_paid_out(kop, product, staff, make_member, make_user,
                                                                      teller, db):
    member = make_member(kop, user=make_user(full_name="Joko Cair"), nik=NIKS[41])
    loan = make_loan(db, kop, member, product, staff, "approved", amount=2_000_000)
    response = teller.post(f"/k/{kop.slug}/office/loans/{loan.id}/disburse", data={"means": "cash", "key": "d" * 32})
    page = teller.get(response.headers["Location"]).text
    text = text_of(page)
    assert "Pokok pinjaman Rp2.000.000" in text and "Biaya provisi Rp20.000" in text
    assert "Uang tunai dibayarkan Rp1.980.000" in text
    assert "Satu juta sembilan ratus delapan puluh ribu rupiah" in text and "Dua juta rupiah" not in text
    assert "Saldo baru" not in text  # nothing in savings moved: no empty heading
    assert not re.search(r"<h2>[^<]*</h2>\s*<dl[^>]*>\s*</dl>", page)


def test_a_repayment_receipt_shows_how_it_was_split(kop, portfolio, teller, db):
    loan = portfolio["current"]
    response = teller.post(f"/k/{kop.slug}/office/loans/{loan.id}/repay",
                           data={"amount": "112.000", "source": "cash", "key": "r" * 32})
    text = text_of(teller.get(response.headers["Location"]).text)
    assert "Jasa (bunga) Rp12.000" in text and "Pokok Rp100.000" in text
    assert "Seratus dua belas ribu rupiah" in text


def test_english_receipts_give_the_amount_in_english_words(app, kop, make_member, make_user, make_staff, db):
    member = make_member(kop, user=make_user(full_name="Kiki Inggris"), nik=NIKS[42])
    entry = savings.deposit(member, "sukarela", 1_500_000, "cash", None)
    db.session.commit()
    english = login(app.test_client(), make_staff(kop, "teller", user=make_user(full_name="Teller", locale="en")))
    text = text_of(english.get(f"/k/{kop.slug}/office/receipts/{entry.ref}").text)
    assert "One million, five hundred thousand rupiah" in text and "juta" not in text


# ---------------------------------------------------------------- entry kinds

def posted_kinds() -> set[str]:
    """Every entry kind the code can post: the string given to ``post(koperasi, kind, ...)``."""
    kinds = set()
    for path in (ROOT / "models").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "post" and len(node.args) > 1
                    and isinstance(node.args[1], ast.Constant)):
                kinds.add(node.args[1].value)
    return kinds


def test_every_kind_the_code_posts_has_a_label_in_both_languages(app):
    kinds = posted_kinds()
    assert {"deposit", "withdrawal", "purchase", "settlement", "disbursement", "repayment"} <= kinds
    assert kinds <= set(ENTRY_LABELS), kinds - set(ENTRY_LABELS)
    with app.test_request_context():
        for kind in kinds:
            with force_locale("en"):
                english = str(ENTRY_LABELS[kind])
            with force_locale("id"):
                indonesian = str(ENTRY_LABELS[kind])
            assert english and indonesian and english != indonesian and indonesian != kind, kind
        with force_locale("id"):
            labels = [str(ENTRY_LABELS[kind]) for kind in kinds]
    assert len(set(labels)) == len(labels)  # no two kinds read the same (an order refund is no resignation)


def test_purchases_and_order_refunds_read_as_such_on_the_statement(app, kop, make_store, make_product, make_member,
                                                                   make_user, db):
    from models.orders import Choice, add_to_cart, checkout, move

    product = make_product(make_store(kop), price_idr=40_000)
    buyer = make_member(kop, user=make_user(full_name="Lina Belanja"), nik=NIKS[43])
    savings.deposit(buyer, "sukarela", 100_000, "cash", None)
    add_to_cart(buyer.user, product, 1)
    order = checkout(buyer.user, {product.store_id: Choice(payment="savings")}, key="o" * 32).orders[0]
    move(order, "cancelled", buyer.user, as_seller=False)
    db.session.commit()
    page = text_of(login(app.test_client(), buyer.user).get(f"/k/{kop.slug}/me").text)
    assert "Belanja di pasar" in page and "Pengembalian dana pesanan batal" in page
    assert "purchase" not in page and "saat berhenti" not in page  # not the resignation refund


# ---------------------------------------------------------------- dues

def test_a_new_member_is_not_in_arrears_on_the_day_of_approval(app, kop, make_member, make_user, teller):
    member = make_member(kop, user=make_user(full_name="Mira Baru"), nik=NIKS[44])
    counter = text_of(teller.get(f"/k/{kop.slug}/office/teller/{member.id}").text)
    assert "Tunggakan wajib" not in counter and "Wajib bulan ini Rp20.000" in counter
    own = login(app.test_client(), member.user).get(f"/k/{kop.slug}/me").text
    assert "Tunggakan simpanan wajib" not in own


def test_wajib_paid_ahead_is_not_more_paid_than_due(kop, make_member, make_user, teller, db):
    member = make_member(kop, user=make_user(full_name="Nina Rajin"), nik=NIKS[45])
    savings.deposit(member, "wajib", 40_000, "cash", None)
    db.session.commit()
    counter = text_of(teller.get(f"/k/{kop.slug}/office/teller/{member.id}").text)
    assert "2 dari 1" not in counter and "Wajib terbayar sampai" in counter
    assert "Wajib bulan ini Lunas" in counter


def test_wajib_months_that_ended_unpaid_are_arrears(kop, make_member, make_user, db):
    member = make_member(kop, user=make_user(full_name="Oki Lupa"), nik=NIKS[46])
    today = local_today(kop)
    status = savings.wajib_status(member, 20_000, today=today.replace(day=1) + timedelta(days=100))
    assert status.months_paid == 1 and status.arrears == 2 and status.arrears_idr == 40_000


def test_a_member_who_paid_pokok_is_not_told_it_is_owed(app, kop, make_member, make_user):
    member = make_member(kop, user=make_user(full_name="Putri Lunas"), nik=NIKS[47])
    page = login(app.test_client(), member.user).get(f"/k/{kop.slug}/me").text
    assert "yang harus dibayar" not in page and "terutang" not in page


# ---------------------------------------------------------------- time zones

@pytest.mark.parametrize("province, abbr, offset", [
    ("32", "WIB", 7), ("11", "WIB", 7), ("61", "WIB", 7), ("62", "WIB", 7), ("51", "WITA", 8), ("52", "WITA", 8),
    ("53", "WITA", 8), ("63", "WITA", 8), ("64", "WITA", 8), ("65", "WITA", 8), ("71", "WITA", 8),
    ("76", "WITA", 8), ("81", "WIT", 9), ("82", "WIT", 9), ("91", "WIT", 9), ("97", "WIT", 9), (None, "WIB", 7),
])
def test_each_province_keeps_its_zone(province, abbr, offset):
    zone = zone_for(province)
    assert zone.abbr == abbr and zone.tz.utcoffset(datetime(2026, 6, 1)) == timedelta(hours=offset)


@pytest.fixture
def denpasar(make_koperasi):
    return make_koperasi(name="Koperasi Bali Dwipa", member_prefix="KBD", province_code="51", regency_code="51.71",
                         district_code="51.71.01", lat=-8.65, lng=115.22)


def test_a_denpasar_koperasi_shows_wita_on_receipts_and_statements(app, denpasar, make_member, make_user, make_staff,
                                                                    db):
    member = make_member(denpasar, user=make_user(full_name="Wayan Bali"), nik=NIKS[48])
    entry = savings.deposit(member, "sukarela", 75_000, "cash", None, at=utc("2026-03-01 09:00", hours=8))
    db.session.commit()
    teller = login(app.test_client(), make_staff(denpasar, "teller"))
    receipt = text_of(teller.get(f"/k/{denpasar.slug}/office/receipts/{entry.ref}").text)
    assert "1 Mar 2026, 09:00 WITA" in receipt and "WIB" not in receipt
    whatsapp = teller.get(f"/k/{denpasar.slug}/office/receipts/{entry.ref}").text
    assert "09%3A00%20WITA" in whatsapp
    own = login(app.test_client(), member.user)
    assert "1 Mar 2026 09:00" in own.get(f"/k/{denpasar.slug}/me").text
    table = list(csv.reader(io.StringIO(own.get(f"/k/{denpasar.slug}/me/statement.csv").text.lstrip("\ufeff"))))
    assert [row[0] for row in table[1:] if row[4] == "75000"] == ["2026-03-01 09:00"]


# ---------------------------------------------------------------- the members list

def test_approved_members_with_pokok_unpaid_can_be_found(kop, make_member, make_user, teller):
    make_member(kop, user=make_user(full_name="Rina Belum Bayar"), status="approved", nik=NIKS[49])
    make_member(kop, user=make_user(full_name="Sinta Aktif"), nik=NIKS[50])
    page = teller.get(f"/k/{kop.slug}/office/members?status=approved").text
    assert "Rina Belum Bayar" in page and "Sinta Aktif" not in page
    assert '<option value="approved" selected>Belum bayar pokok</option>' in page
    assert "Rina Belum Bayar" in teller.get(f"/k/{kop.slug}/office/members").text
    assert "Rina Belum Bayar" in teller.get(f"/k/{kop.slug}/office/members.csv?status=approved").text


def test_pengawas_sees_the_loans_but_no_pay_button(app, kop, portfolio, make_staff):
    pengawas = login(app.test_client(), make_staff(kop, "pengawas"))
    assert "Dodi Menunggak" in pengawas.get(f"/k/{kop.slug}/office/loans/list?status=overdue").text
    page = pengawas.get(f"/k/{kop.slug}/office/loans/{portfolio['current'].id}").text
    assert 'id="pay-due"' not in page and "Bayar angsuran" not in page


# ---------------------------------------------------------------- budgets

def test_the_new_and_changed_pages_stay_within_budget(kop, portfolio, product, staff, teller, db):
    from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure

    member_id = portfolio["overdue"].membership_id
    for n in range(30):
        loans.apply(db.session.get(loans.Loan, portfolio["overdue"].id).membership, product, 500_000, 6,
                    f"Modal dagang {n}")
    db.session.commit()
    for url in (f"/k/{kop.slug}/office/loans/list", f"/k/{kop.slug}/office/loans/list?status=overdue&page=2",
                f"/k/{kop.slug}/office/teller/{member_id}", f"/k/{kop.slug}/office/members/{member_id}",
                f"/k/{kop.slug}/office/loans/{portfolio['overdue'].id}"):
        result = measure(teller, url)
        assert result.status == 200, url
        assert len(result.queries) <= MAX_QUERIES, (url, len(result.queries))
        assert result.html_gzip <= MAX_HTML_GZIP, (url, result.html_gzip)


def test_orders_show_their_koperasis_time_zone(app, denpasar, make_store, make_product, make_user, db):
    from models.orders import Choice, add_to_cart, checkout
    from tests.conftest import login

    store = make_store(denpasar, name="Warung Sanur")
    buyer = make_user(full_name="Pembeli Bali")
    add_to_cart(buyer, make_product(store), 1)
    db.session.commit()
    [order] = checkout(buyer, {store.id: Choice()}, key="bali-1").orders
    db.session.commit()
    client = login(app.test_client(), buyer)
    for page in (client.get("/orders").text, client.get(f"/orders/{order.id}").text):
        assert "WITA" in page and "WIB" not in page
