"""Loans through the browser's eyes: products, the simulator, applying, the office's
review, paying out, repaying, the portfolio, and who may see and do what."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from models import loans, savings
from models.accounts import User, register_user
from models.koperasi import Staff
from models.ledger import Entry, balances
from models.loans import Loan, LoanProduct
from models.membership import WIB
from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure
from tests.conftest import PASSWORD, fund, login

NIKS = [f"32730115089{n:05d}" for n in range(1, 400)]


@pytest.fixture
def kop(make_koperasi):
    return fund(make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB"))


@pytest.fixture
def admin(app, kop, db):
    return login(app.test_client(), db.session.get(User, kop.created_by_id))


@pytest.fixture
def teller_user(kop, make_staff):
    return make_staff(kop, "teller")


@pytest.fixture
def teller(app, teller_user):
    return login(app.test_client(), teller_user)


@pytest.fixture
def product(kop, db):
    made = loans.save_product(kop, {
        "name": "Modal Usaha", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 100, "fee_mode": "deducted",
        "max_amount_idr": 10_000_000, "min_tenor": 3, "max_tenor": 24, "late_fee_mode": "per_instalment", "late_fee_idr": 5_000,
        "requires_guarantor": False, "requires_documents": False, "active": True})
    db.session.commit()
    return made


@pytest.fixture
def member(kop, make_member, make_user):
    return make_member(kop, user=make_user(full_name="Sari Anggota"), nik=NIKS[0])


@pytest.fixture
def member_client(app, member):
    return login(app.test_client(), member.user)


def today() -> date:
    return datetime.now(WIB).date()


def paying_teller(db, koperasi) -> User:
    """The koperasi's teller (made on first use): the board approves a loan, a teller pays it out."""
    user = db.session.scalar(sa.select(User).join(Staff, Staff.user_id == User.id).where(
        Staff.koperasi_id == koperasi.id, Staff.role == "teller").order_by(Staff.id).limit(1))
    if user is None:
        user = register_user("Kasir Koperasi", f"08139{koperasi.id:07d}", PASSWORD)
        db.session.add(Staff(koperasi_id=koperasi.id, user_id=user.id, role="teller"))
    return user


def make_loan(db, member, product, amount=1_200_000, tenor=12, status="active", start=None, staff=None):
    staff = staff or db.session.get(User, member.koperasi.created_by_id)
    loan = loans.apply(member, product, amount, tenor, "Modal warung sembako")
    if status in ("approved", "active"):
        loans.approve(loan, staff)
    if status == "active":
        loans.disburse(loan, paying_teller(db, member.koperasi), "cash", today=start or today())
    db.session.commit()
    return loan


def reload(db, loan) -> Loan:
    db.session.expire_all()
    return db.session.get(Loan, loan.id)


def entries(db, kind) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == kind))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---------------------------------------------------------------- products

PRODUCT_FORM = {"name": "Pinjaman Mikro", "method": "annuity", "monthly_rate_bp": "1,5", "fee_bp": "0,5", "fee_mode": "deducted",
                    "min_amount_idr": "100.000", "max_amount_idr": "5.000.000", "min_tenor": "6", "max_tenor": "36",
                    "late_fee_mode": "per_day", "late_fee_idr": "1.000", "requires_guarantor": "y", "active": "y"}


def test_admin_creates_a_product_with_rates_typed_the_indonesian_way(kop, admin, db):
    response = admin.post(f"/k/{kop.slug}/office/loan-products/new", data=PRODUCT_FORM)
    assert response.status_code == 303
    made = db.session.scalar(sa.select(LoanProduct))
    assert (made.monthly_rate_bp, made.fee_bp, made.max_amount_idr, made.late_fee_idr) == (150, 50, 5_000_000, 1_000)
    assert made.requires_guarantor and not made.requires_documents
    page = text_of(admin.get(f"/k/{kop.slug}/office/loan-products").text)
    assert "Pinjaman Mikro" in page and "1,5% per bulan" in page and "Menurun (anuitas)" in page


def test_a_dot_also_works_and_the_edit_form_shows_it_back(kop, admin, db):
    admin.post(f"/k/{kop.slug}/office/loan-products/new", data={**PRODUCT_FORM, "monthly_rate_bp": "1.25"})
    made = db.session.scalar(sa.select(LoanProduct))
    assert made.monthly_rate_bp == 125
    assert 'value="1,25"' in admin.get(f"/k/{kop.slug}/office/loan-products/{made.id}").text


def test_a_rate_above_the_regulation_cap_is_refused(kop, admin, db):
    response = admin.post(f"/k/{kop.slug}/office/loan-products/new", data={**PRODUCT_FORM, "monthly_rate_bp": "2,5"})
    assert response.status_code == 422
    assert "Bunga paling tinggi 2% per bulan (24% per tahun)." in response.text
    assert 'value="2,5"' in response.text and 'value="Pinjaman Mikro"' in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoanProduct)) == 0


def test_a_rate_that_is_not_a_number_is_refused_in_indonesian(kop, admin, db):
    response = admin.post(f"/k/{kop.slug}/office/loan-products/new", data={**PRODUCT_FORM, "monthly_rate_bp": "satu"})
    assert response.status_code == 422 and "Masukkan persentase seperti 1,5" in response.text


def test_teller_reads_products_but_only_admins_create(kop, teller, product):
    assert "Modal Usaha" in teller.get(f"/k/{kop.slug}/office/loan-products").text
    assert teller.get(f"/k/{kop.slug}/office/loan-products/new").status_code == 403
    assert teller.post(f"/k/{kop.slug}/office/loan-products/{product.id}", data=PRODUCT_FORM).status_code == 403


# ---------------------------------------------------------------- the simulator

def sim_url(kop, product, amount="1.000.000", tenor="12"):
    return f"/k/{kop.slug}/simulator?product={product.id}&amount={amount}&tenor={tenor}"


def test_simulator_flat_loan_numbers(kop, product, client):
    page = text_of(client.get(sim_url(kop, product)).text)
    # Rp1.000.000 over 12 months at 1 % flat: Rp10.000 interest every month, Rp120.000 in all.
    rows = loans.schedule(1_000_000, 12, "flat", 100, today())
    assert {row.interest for row in rows} == {10_000}
    assert sum(row.principal for row in rows) == 1_000_000
    assert "Angsuran pertama Rp93.333" in page
    assert "Total bunga Rp120.000" in page
    assert "Biaya provisi Rp10.000" in page and "Anda terima Rp990.000" in page
    assert "Total yang Anda bayar kembali Rp1.120.000" in page
    assert page.count("Rp10.000") >= 12


def test_simulator_updates_as_a_fragment_for_htmx(kop, product, client):
    headers = {"HX-Request": "true", "HX-Target": "simulation"}
    fragment = client.get(sim_url(kop, product), headers=headers)
    page = client.get(sim_url(kop, product))
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="simulation"' in fragment.text
    assert "Rp93.333" in fragment.text and len(fragment.text) < len(page.text)
    assert 'hx-target="#simulation"' in page.text and "HX-Request" in page.headers.get("Vary", "")


@pytest.mark.parametrize("amount,tenor,message", [
    ("banyak", "12", "Masukkan Rupiah bulat"),
    ("20.000.000", "12", "Produk ini meminjamkan paling banyak Rp10.000.000."),
    ("1.000.000", "48", "Pilih jangka waktu 3 sampai 24 bulan."),
    ("1.000.000", "", "wajib diisi"),
])
def test_simulator_bad_input_shows_a_message_not_an_error(kop, product, client, amount, tenor, message):
    response = client.get(sim_url(kop, product, amount, tenor), headers={"HX-Request": "true",
                                                                         "HX-Target": "simulation"})
    assert response.status_code == 200 and message in response.text


def test_simulator_with_an_unknown_product(kop, product, client):
    response = client.get(f"/k/{kop.slug}/simulator?product=999999&amount=1.000.000&tenor=12")
    assert response.status_code == 200 and "Pilih produk pinjaman dari daftar." in response.text


def test_profile_links_the_simulator_only_when_the_koperasi_lends(kop, client, db):
    assert f"/k/{kop.slug}/simulator" not in client.get(f"/k/{kop.slug}").text
    loans.save_product(kop, {"name": "Modal Usaha", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 0,
                                 "fee_mode": "deducted", "max_amount_idr": 1_000_000, "min_tenor": 1, "max_tenor": 12,
                                 "late_fee_mode": "per_day", "late_fee_idr": 0, "active": True})
    db.session.commit()
    assert f"/k/{kop.slug}/simulator" in client.get(f"/k/{kop.slug}").text


# ---------------------------------------------------------------- applying

def apply_data(product, **changes):
    return {"product": product.id, "amount": "2.500.000", "tenor": "12",
            "purpose": "Modal kerja untuk stok warung", "business_name": "", **changes}


def test_member_applies_and_sees_the_application(kop, product, member, member_client, db):
    assert "Rp1.000.000" not in member_client.get(f"/k/{kop.slug}/me/loans/new").text
    response = member_client.post(f"/k/{kop.slug}/me/loans/new", data=apply_data(product))
    assert response.status_code == 303
    loan = db.session.scalar(sa.select(Loan))
    assert (loan.requested_idr, loan.tenor, loan.status, loan.membership_id) == (2_500_000, 12, "applied", member.id)
    page = text_of(member_client.get(response.headers["Location"]).text)
    assert "Diajukan" in page and "Rp2.500.000" in page


def test_umkm_members_see_their_business_name_prefilled(kop, product, member, member_client, db):
    member.is_umkm, member.business_name = True, "Warung Bu Sari"
    db.session.commit()
    assert 'value="Warung Bu Sari"' in member_client.get(f"/k/{kop.slug}/me/loans/new").text


@pytest.mark.parametrize("changes,message", [
    ({"amount": "20.000.000"}, "Produk ini meminjamkan paling banyak Rp10.000.000."),
    ({"tenor": "48"}, "Pilih jangka waktu 3 sampai 24 bulan."),
    ({"purpose": "uang"}, "Jelaskan untuk apa pinjaman ini."),
    ({"amount": "dua juta"}, "Masukkan Rupiah bulat"),
])
def test_bad_application_comes_back_with_what_was_typed(kop, product, member_client, db, changes, message):
    data = apply_data(product, **changes)
    response = member_client.post(f"/k/{kop.slug}/me/loans/new", data=data)
    assert response.status_code == 422 and message in response.text
    assert data["purpose"] in response.text and f'value="{data["amount"]}"' in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Loan)) == 0


@pytest.mark.parametrize("status", ["applied", "approved"])
def test_only_active_members_can_apply(app, kop, product, make_member, make_user, db, status):
    membership = make_member(kop, user=make_user(full_name="Belum Aktif"), status=status, nik=NIKS[5])
    client = login(app.test_client(), membership.user)
    response = client.post(f"/k/{kop.slug}/me/loans/new", data=apply_data(product))
    assert response.status_code == 422
    assert "Hanya anggota aktif yang bisa mengajukan pinjaman." in response.text
    assert "Modal kerja untuk stok warung" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Loan)) == 0


def test_application_shows_the_simulation_of_what_was_typed(kop, product, member_client):
    response = member_client.post(f"/k/{kop.slug}/me/loans/new", data=apply_data(product, purpose="x"))
    assert response.status_code == 422 and "Total bunga Rp300.000" in text_of(response.text)


# ---------------------------------------------------------------- the office decides

def test_approve_a_lower_amount(kop, product, member, admin, member_client, db):
    loan = make_loan(db, member, product, amount=5_000_000, status="applied")
    too_much = admin.post(f"/k/{kop.slug}/office/loans/{loan.id}/approve", data={"amount": "6.000.000"})
    assert too_much.status_code == 422 and "Setujui paling banyak sebesar jumlah yang diajukan." in too_much.text
    response = admin.post(f"/k/{kop.slug}/office/loans/{loan.id}/approve", data={"amount": "3.000.000"})
    assert response.status_code == 303
    loan = reload(db, loan)
    assert (loan.status, loan.principal_idr, loan.fee_idr) == ("approved", 3_000_000, 30_000)
    page = text_of(member_client.get(f"/k/{kop.slug}/me/loans/{loan.id}").text)
    assert "Disetujui, menunggu pencairan" in page and "Disetujui Rp3.000.000" in page


def test_rejection_reason_is_shown_to_the_member(kop, product, member, admin, member_client, db):
    loan = make_loan(db, member, product, status="applied")
    short = admin.post(f"/k/{kop.slug}/office/loans/{loan.id}/reject", data={"reason": "no"})
    assert short.status_code == 422 and "Tulis alasannya agar anggota mengerti." in short.text
    response = admin.post(f"/k/{kop.slug}/office/loans/{loan.id}/reject",
                          data={"reason": "Simpanan wajib masih menunggak tiga bulan."})
    assert response.status_code == 303 and reload(db, loan).status == "rejected"
    page = member_client.get(f"/k/{kop.slug}/me/loans/{loan.id}").text
    assert "Ditolak" in page and "Simpanan wajib masih menunggak tiga bulan." in page


def test_disbursement_with_the_same_key_pays_out_once(kop, product, member, teller, db):
    loan = make_loan(db, member, product, amount=2_000_000, status="approved")
    data = {"means": "cash", "key": "disburse-key-0001-aaaaaaaaaaaaaaaa"}
    first = teller.post(f"/k/{kop.slug}/office/loans/{loan.id}/disburse", data=data)
    again = teller.post(f"/k/{kop.slug}/office/loans/{loan.id}/disburse", data=data)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert entries(db, "disbursement") == 1
    loan = reload(db, loan)
    assert loan.status == "active" and len(loan.instalments) == 12


def test_repayment_allocation_shows_on_the_members_schedule(kop, product, member, teller, member_client, db):
    loan = make_loan(db, member, product, amount=1_200_000, tenor=12)
    response = teller.post(f"/k/{kop.slug}/office/loans/{loan.id}/repay",
                           data={"amount": "112.000", "source": "cash", "key": "repay-key-000000001-aaaaaaaaaaaaaa"})
    assert response.status_code == 303
    loan = reload(db, loan)
    first, second = loan.instalments[:2]
    assert (first.interest_paid, first.principal_paid, first.remaining) == (12_000, 100_000, 0)
    assert second.principal_paid == 0
    page = member_client.get(f"/k/{kop.slug}/me/loans/{loan.id}").text
    rows = re.findall(r'<li class="instalment (paid|due|overdue)">', page)
    assert rows[:2] == ["paid", "due"] and "Lunas" in page
    assert "Berikutnya: Rp112.000" in text_of(page)


def test_over_repayment_is_refused_and_nothing_posted(kop, product, member, teller, db):
    loan = make_loan(db, member, product, amount=1_200_000, tenor=12)
    response = teller.post(f"/k/{kop.slug}/office/loans/{loan.id}/repay",
                           data={"amount": "2.000.000", "source": "cash", "key": "repay-key-000000002-aaaaaaaaaaaaaa"})
    assert response.status_code == 422
    assert "Jumlah itu melebihi sisa kewajiban (Rp1.344.000)." in response.text
    assert 'value="2.000.000"' in response.text and 'value="repay-key-000000002-aaaaaaaaaaaaaa"' in response.text
    assert entries(db, "repayment") == 0


def test_member_pays_from_sukarela(kop, product, member, member_client, teller_user, db):
    loan = make_loan(db, member, product, amount=1_200_000, tenor=12)
    savings.deposit(member, "sukarela", 200_000, "cash", teller_user)
    db.session.commit()
    response = member_client.post(f"/k/{kop.slug}/me/loans/{loan.id}/pay",
                                  data={"amount": "112.000", "key": "member-pay-00001-aaaaaaaaaaaaaaaaa"})
    assert response.status_code == 303
    assert balances(member.id)["sukarela"] == 88_000 and reload(db, loan).instalments[0].remaining == 0
    assert "Rp112.000" in member_client.get(response.headers["Location"]).text


def test_paying_beyond_the_sukarela_balance_is_refused(kop, product, member, member_client, teller_user, db):
    loan = make_loan(db, member, product, amount=1_200_000, tenor=12)
    savings.deposit(member, "sukarela", 50_000, "cash", teller_user)
    db.session.commit()
    response = member_client.post(f"/k/{kop.slug}/me/loans/{loan.id}/pay",
                                  data={"amount": "112.000", "key": "member-pay-00002-aaaaaaaaaaaaaaaaa"})
    assert response.status_code == 422 and "Saldo tidak cukup untuk jumlah ini." in response.text
    assert balances(member.id)["sukarela"] == 50_000
    assert entries(db, "repayment") == 0 and reload(db, loan).instalments[0].interest_paid == 0


def test_review_page_shows_savings_other_loans_and_arrears(kop, product, member, teller, teller_user, db):
    old = make_loan(db, member, product, amount=1_000_000, tenor=6, start=today() - timedelta(days=70))
    savings.deposit(member, "sukarela", 300_000, "cash", teller_user)
    new = make_loan(db, member, product, amount=2_000_000, status="applied")
    page = text_of(teller.get(f"/k/{kop.slug}/office/loans/{new.id}").text)
    assert "Simpanan sukarela Rp300.000" in page and "Simpanan pokok Rp100.000" in page
    assert "Sedang diangsur" in page and "Menunggak" in page
    assert "Menunggak" in text_of(teller.get(f"/k/{kop.slug}/office/loans/{old.id}").text)


# ---------------------------------------------------------------- portfolio

def test_portfolio_counts_outstanding_overdue_and_npl(kop, product, make_member, make_user, teller, db):
    members = [make_member(kop, user=make_user(full_name=f"Anggota {n}"), nik=NIKS[10 + n]) for n in range(3)]
    make_loan(db, members[0], product, amount=1_200_000, tenor=12, start=today() - timedelta(days=160))  # NPL
    make_loan(db, members[1], product, amount=1_200_000, tenor=12)  # current
    make_loan(db, members[2], product, amount=600_000, status="applied")
    page = teller.get(f"/k/{kop.slug}/office/loans")
    assert page.status_code == 200
    body = text_of(page.text)
    assert "Sedang diangsur 2" in body and "Diajukan 1" in body
    assert "Sisa pokok Rp2.400.000" in body
    # the late loan: months 1–5 are due (5 × Rp112.000); its principal is non-performing
    assert "Tunggakan Rp560.000" in body
    assert "NPL (kurang lancar, diragukan, macet) Rp1.200.000 · 50%" in body
    # 160 days since it was paid out: its first instalment is 130 days late, kurang lancar.
    assert "Kurang lancar Rp1.200.000 · 1 pinjaman" in body and "Lancar Rp1.200.000 · 1 pinjaman" in body
    assert "Menunggak: 1" in body and "Anggota 0" in body


def test_portfolio_stays_within_budget_with_many_loans(kop, product, make_member, make_user, teller, db):
    staff = db.session.get(User, kop.created_by_id)
    members = [make_member(kop, user=make_user(full_name=f"Anggota {n}"), nik=NIKS[20 + n]) for n in range(8)]
    for n in range(120):
        loan = loans.apply(members[n % 8], product, 1_000_000, 6, "Modal warung sembako")
        if n % 3:
            loans.approve(loan, staff)
            loans.disburse(loan, paying_teller(db, kop), "cash", today=today() - timedelta(days=n * 3))
    db.session.commit()
    result = measure(teller, f"/k/{kop.slug}/office/loans")
    assert result.status == 200
    assert len(result.queries) <= MAX_QUERIES, result.queries
    assert result.html_gzip <= MAX_HTML_GZIP
    assert "Halaman 1 dari 2" in result.body


# ---------------------------------------------------------------- who may see and do what

def office_urls(kop, loan, product):
    base = f"/k/{kop.slug}/office"
    return {
        "get": [f"{base}/loans", f"{base}/loans/{loan.id}", f"{base}/loan-products",
                f"{base}/loan-products/{product.id}"],
        "post": [(f"{base}/loans/{loan.id}/approve", {}), (f"{base}/loans/{loan.id}/reject", {"reason": "Tidak layak."}),
                 (f"{base}/loans/{loan.id}/disburse", {"means": "cash", "key": "k" * 20}),
                 (f"{base}/loans/{loan.id}/repay", {"amount": "10.000", "source": "cash", "key": "r" * 20}),
                 (f"{base}/loan-products/new", PRODUCT_FORM)],
    }


def test_staff_of_another_koperasi_get_404_everywhere(app, kop, product, member, make_koperasi, make_staff, db):
    loan = make_loan(db, member, product, status="applied")
    other = make_koperasi(name="Koperasi Lain", member_prefix="KLN")
    stranger = login(app.test_client(), make_staff(other, "admin"))
    urls = office_urls(kop, loan, product)
    for url in urls["get"]:
        assert stranger.get(url).status_code == 404, url
    for url, data in urls["post"]:
        assert stranger.post(url, data=data).status_code == 404, url
    # and a loan of this koperasi does not exist under their own slug either
    assert stranger.get(f"/k/{other.slug}/office/loans/{loan.id}").status_code == 404
    assert stranger.post(f"/k/{other.slug}/office/loans/{loan.id}/approve").status_code == 404
    assert reload(db, loan).status == "applied"


def test_logged_in_stranger_gets_404_and_anonymous_goes_to_login(app, kop, product, member, user_client, client, db):
    loan = make_loan(db, member, product, status="applied")
    for url in office_urls(kop, loan, product)["get"] + [f"/k/{kop.slug}/me/loans", f"/k/{kop.slug}/me/loans/{loan.id}"]:
        assert user_client.get(url).status_code == 404, url
        response = client.get(url)
        assert response.status_code == 303 and "/login" in response.headers["Location"], url
    assert client.post(f"/k/{kop.slug}/office/loans/{loan.id}/approve").status_code == 303


def test_pengawas_reads_but_cannot_change(app, kop, product, member, make_staff, db):
    loan = make_loan(db, member, product, status="applied")
    pengawas = login(app.test_client(), make_staff(kop, "pengawas"))
    urls = office_urls(kop, loan, product)
    for url in urls["get"][:3]:
        assert pengawas.get(url).status_code == 200, url
    assert "Peran Anda tidak bisa mengambil langkah berikutnya untuk pinjaman ini" in pengawas.get(urls["get"][1]).text
    for url, data in urls["post"]:
        assert pengawas.post(url, data=data).status_code == 403, url
    assert reload(db, loan).status == "applied" and entries(db, "disbursement") == 0


def test_another_member_cannot_see_or_pay_someone_elses_loan(app, kop, product, member, make_member, make_user, db):
    loan = make_loan(db, member, product)
    other = make_member(kop, user=make_user(full_name="Anggota Lain"), nik=NIKS[50])
    client = login(app.test_client(), other.user)
    assert client.get(f"/k/{kop.slug}/me/loans/{loan.id}").status_code == 404
    assert client.post(f"/k/{kop.slug}/me/loans/{loan.id}/pay",
                       data={"amount": "10.000", "key": "x" * 20}).status_code == 404
    assert "Modal Usaha" not in client.get(f"/k/{kop.slug}/me/loans").text


# ---------------------------------------------------------------- budgets

def _within_budget(result, url):
    assert result.status == 200, url
    assert len(result.queries) <= MAX_QUERIES, f"{url}: {len(result.queries)} queries"
    assert result.html_gzip <= MAX_HTML_GZIP, f"{url}: {result.html_gzip} bytes gzipped"


def test_loan_pages_stay_within_budget(kop, product, member, member_client, teller, client, db):
    loan = make_loan(db, member, product, amount=2_400_000, tenor=24)
    applied = make_loan(db, member, product, status="applied")
    for who, url in [(client, sim_url(kop, product, tenor="24")),
                     (teller, f"/k/{kop.slug}/office/loan-products"),
                     (member_client, f"/k/{kop.slug}/me/loans"),
                     (member_client, f"/k/{kop.slug}/me/loans/{loan.id}"),
                     (member_client, f"/k/{kop.slug}/me/loans/new"),
                     (teller, f"/k/{kop.slug}/office/loans/{loan.id}"),
                     (teller, f"/k/{kop.slug}/office/loans/{applied.id}")]:
        _within_budget(measure(who, url), url)
    fragment = measure(client, sim_url(kop, product, tenor="24"),
                       headers={"HX-Request": "true", "HX-Target": "simulation"})
    assert fragment.html_gzip < measure(client, sim_url(kop, product, tenor="24")).html_gzip


def test_simulator_annuity_shows_the_usual_instalment(kop, client, db):
    annuity = loans.save_product(kop, {"name": "Pinjaman Menurun", "method": "annuity", "monthly_rate_bp": 150, "fee_bp": 0,
                                           "fee_mode": "upfront", "max_amount_idr": 50_000_000, "min_tenor": 6,
                                           "max_tenor": 36, "late_fee_mode": "per_day", "late_fee_idr": 0, "active": True})
    db.session.commit()
    rows = loans.schedule(12_000_000, 24, "annuity", 150, today())
    page = text_of(client.get(sim_url(kop, annuity, "12.000.000", "24")).text)
    usual = f"Rp{rows[0].total:,}".replace(",", ".")
    assert f"Angsuran biasa {usual}" in page and "Anda terima Rp12.000.000" in page
    assert "Biaya provisi dibayar tunai saat pinjaman dicairkan." in page


def test_deciding_twice_says_it_was_already_handled(kop, product, member, admin, db):
    loan = make_loan(db, member, product, status="approved")
    response = admin.post(f"/k/{kop.slug}/office/loans/{loan.id}/reject", data={"reason": "Berubah pikiran."})
    assert response.status_code == 422 and "Pinjaman ini sudah ditangani" in response.text
    assert reload(db, loan).status == "approved"
