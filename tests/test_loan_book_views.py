"""The loan lifecycle in the office (issue 10): a pengurus corrects a wrong repayment from its
receipt, the collectability page and its month-end allowance, write-off and recovery on the
loan page, the product form's rebate rule and percentage late fee, and the member's consent
to pay a loan from savings on resignation. Bad input comes back on the form, 422."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import books_check, loans, savings
from models.ledger import Entry
from tests.conftest import login
from tests.funding import fund
from tests.test_loans_views import NIKS, entries, make_loan, reload, text_of, today

FLAT = {"name": "Pinjaman Anggota", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 0, "fee_mode": "deducted",
        "max_amount_idr": 20_000_000, "min_tenor": 6, "max_tenor": 24, "late_fee_mode": "per_day", "late_fee_idr": 0,
        "late_fee_bp": 10, "late_fee_cap_idr": 50_000, "rebate_rule": "rule_of_78", "requires_guarantor": False,
        "requires_documents": False, "active": True}


@pytest.fixture
def kop(make_koperasi, make_member, make_user):
    made = make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB")
    fund(made, make_member, make_user)
    return made


@pytest.fixture
def product(kop, db):
    made = loans.save_product(kop, dict(FLAT))
    db.session.commit()
    return made


@pytest.fixture
def member(kop, make_member, make_user):
    return make_member(kop, user=make_user(full_name="Sari Anggota"), nik=NIKS[0])


@pytest.fixture
def pengurus(app, kop, make_staff, make_user):
    return login(app.test_client(), make_staff(kop, "pengurus", user=make_user(full_name="Bu Ketua")))


@pytest.fixture
def teller(app, kop, make_staff, make_user):
    return login(app.test_client(), make_staff(kop, "teller", user=make_user(full_name="Mas Kasir")))


def _days_late(loan) -> int:
    return (today() - loan.instalments[0].due_on).days


def _state(db, loan):
    return [(i.principal_paid, i.interest_paid, i.late_fee_paid, i.interest_due, i.settled_on)
            for i in reload(db, loan).instalments]


def test_a_pengurus_reverses_a_wrong_repayment_and_the_instalment_is_unpaid_again(
        kop, product, member, teller, pengurus, db):
    loan = make_loan(db, member, product, start=today() - timedelta(days=45))  # first instalment 15 days late
    before = _state(db, loan)
    assert teller.post(f"/k/{kop.slug}/office/loans/{loan.id}/repay",
                       data={"amount": "112.000", "source": "cash", "key": "r" * 32}).status_code == 303
    ref = db.session.scalar(sa.select(Entry.ref).where(Entry.kind == "repayment"))
    assert _state(db, loan) != before
    page = pengurus.get(f"/k/{kop.slug}/office/loans/{loan.id}").text
    assert f'/receipts/{ref}#correct' in page  # the one entry a correction may take now
    receipt = pengurus.get(f"/k/{kop.slug}/office/receipts/{ref}").text
    assert "Angsuran pinjaman kembali seperti sebelum pembayaran ini." in receipt
    refused = pengurus.post(f"/k/{kop.slug}/office/receipts/{ref}",
                            data={"form": "reverse", "reason": "", "key": "c" * 32})
    assert refused.status_code == 422 and entries(db, "reversal") == 0
    done = pengurus.post(f"/k/{kop.slug}/office/receipts/{ref}",
                         data={"form": "reverse", "reason": "Uang belum diterima", "key": "c" * 32})
    assert done.status_code == 303
    assert _state(db, loan) == before and entries(db, "reversal") == 1
    again = pengurus.post(f"/k/{kop.slug}/office/receipts/{ref}/reverse",
                          data={"reason": "Uang belum diterima", "key": "c" * 32})  # a double tap
    assert again.status_code == 303 and entries(db, "reversal") == 1
    page = text_of(pengurus.get(f"/k/{kop.slug}/office/loans/{loan.id}").text)
    assert "Sudah dikoreksi" in page and "Terlambat" in page and books_check.check() == []
    # The teller may not correct: the receipt shows no form, the route refuses.
    assert 'id="correct"' not in teller.get(f"/k/{kop.slug}/office/receipts/{ref}").text


def test_the_schedule_and_payoff_show_the_percentage_late_fee_and_the_rebate_rule(kop, product, member, teller, db):
    loan = make_loan(db, member, product, start=today() - timedelta(days=40))
    late = _days_late(loan)  # 9 or 10 days, by the month's length: 0,1 % of Rp112.000 a day, Rp112
    page = text_of(teller.get(f"/k/{kop.slug}/office/loans/{loan.id}").text)
    assert f"Denda terutang {loans.idr(112 * late)}" in page
    assert "Pelunasan dipercepat Rule of 78: bunga bulan yang belum berjalan dipotong" in page
    raw = teller.get(f"/k/{kop.slug}/office/loans/{loan.id}").text
    quote = loans.payoff(reload(db, loan), today())
    assert quote.total < loans.owed(reload(db, loan), today()).total  # the rebate makes paying off early cheaper
    assert 'id="pay-off"' in raw and f'value="{quote.total:,}"'.replace(",", ".") in raw  # the one-tap payoff
    products = text_of(teller.get(f"/k/{kop.slug}/office/loan-products").text)
    assert "0,1% dari angsuran yang menunggak" in products and "paling banyak Rp50.000 per angsuran" in products


def test_the_product_form_refuses_absurd_percentage_late_fees(kop, pengurus, db):
    data = {"name": "Pinjaman Kilat", "method": "flat", "monthly_rate_bp": "1", "fee_bp": "0", "fee_mode": "deducted",
            "min_amount_idr": "100.000", "max_amount_idr": "5.000.000", "min_tenor": "6", "max_tenor": "12",
            "late_fee_mode": "per_day", "late_fee_idr": "0", "late_fee_bp": "5", "late_fee_cap_idr": "0",
            "rebate_rule": "month", "active": "y"}
    page = pengurus.post(f"/k/{kop.slug}/office/loan-products/new", data=data)
    assert page.status_code == 422
    assert "Denda paling banyak 0,5% dari jumlah yang menunggak per hari" in text_of(page.text)
    assert 'value="5"' in page.text  # what was typed comes back
    assert db.session.scalar(sa.select(sa.func.count()).select_from(loans.LoanProduct)) == 0
    made = pengurus.post(f"/k/{kop.slug}/office/loan-products/new", data={**data, "late_fee_bp": "0,2"})
    assert made.status_code == 303
    product = db.session.scalar(sa.select(loans.LoanProduct))
    assert (product.late_fee_bp, product.rebate_rule) == (20, "month")


def test_the_collectability_page_and_the_month_end_allowance(kop, product, member, make_member, make_user,
                                                            pengurus, teller, db):
    other = make_member(kop, user=make_user(full_name="Budi Macet"), nik=NIKS[1])
    make_loan(db, member, product, start=today() - timedelta(days=70))  # about 40 days late: lancar
    bad = make_loan(db, other, product, start=today() - timedelta(days=130))  # about 100: kurang lancar
    page = text_of(pengurus.get(f"/k/{kop.slug}/office/loans/collectability").text)
    assert "NPL (kurang lancar, diragukan, macet) Rp1.200.000 · 50%" in page
    assert f"Budi Macet · Rp1.200.000 Kurang lancar · {_days_late(bad)} hari terlambat" in page
    # A month not ended is refused on the form; the last month is posted once.
    month = f"{today().replace(day=1):%Y-%m}"
    refused = pengurus.post(f"/k/{kop.slug}/office/loans/collectability", data={"form": "provision", "month": month})
    assert refused.status_code == 422 and entries(db, "provision") == 0
    last = f"{today().replace(day=1) - timedelta(days=1):%Y-%m}"
    assert pengurus.post(f"/k/{kop.slug}/office/loans/provision", data={"month": last}).status_code == 303
    assert pengurus.post(f"/k/{kop.slug}/office/loans/provision", data={"month": last}).status_code == 303
    assert entries(db, "provision") == 1  # both loans were lent before last month ended: one entry
    assert teller.post(f"/k/{kop.slug}/office/loans/provision", data={"month": last}).status_code == 403
    bad = pengurus.post(f"/k/{kop.slug}/office/loans/collectability",
                        data={"form": "rates", "lancar": "1", "kurang_lancar": "0,5", "diragukan": "50", "macet": "100"})
    assert bad.status_code == 422 and 'value="0,5"' in bad.text


def test_write_off_then_a_recovery_at_the_teller(kop, product, member, pengurus, teller, db):
    savings.deposit(member, "sukarela", 50_000, "cash", db.session.get(loans.User, kop.created_by_id))
    loan = make_loan(db, member, product, start=today() - timedelta(days=250))  # about 220 days late
    page = text_of(pengurus.get(f"/k/{kop.slug}/office/loans/{loan.id}").text)
    assert f"Diragukan · {_days_late(loan)} hari terlambat" in page
    key = "w" * 32
    refused = pengurus.post(f"/k/{kop.slug}/office/loans/{loan.id}",
                            data={"form": "write_off", "reason": "", "key": key})
    assert refused.status_code == 422 and reload(db, loan).status == "active"
    assert teller.post(f"/k/{kop.slug}/office/loans/{loan.id}/write-off",
                       data={"reason": "Anggota pindah kota", "key": key}).status_code == 403
    assert pengurus.post(f"/k/{kop.slug}/office/loans/{loan.id}/write-off",
                         data={"reason": "Anggota pindah kota", "key": key}).status_code == 303
    assert reload(db, loan).status == "writeoff" and entries(db, "write_off") == 1
    listed = text_of(pengurus.get(f"/k/{kop.slug}/office/loans/collectability").text)
    assert "Sari Anggota · Rp1.200.000" in listed and "dipulihkan Rp0" in listed
    too_much = teller.post(f"/k/{kop.slug}/office/loans/{loan.id}",
                           data={"form": "recover", "amount": "99.000.000", "means": "cash", "key": "v" * 32})
    assert too_much.status_code == 422 and "melebihi sisa utang" in text_of(too_much.text)
    assert teller.post(f"/k/{kop.slug}/office/loans/{loan.id}/recover",
                       data={"amount": "200.000", "means": "cash", "key": "v" * 32}).status_code == 303
    assert entries(db, "recovery") == 1
    assert "dipulihkan Rp200.000" in text_of(pengurus.get(f"/k/{kop.slug}/office/loans/collectability").text)
    assert books_check.check() == []


def test_the_member_consents_to_the_offset_when_resigning(app, kop, product, member, pengurus, db):
    savings.deposit(member, "sukarela", 2_000_000, "cash", db.session.get(loans.User, kop.created_by_id))
    loan = make_loan(db, member, product, start=today() - timedelta(days=5))
    client = login(app.test_client(), member.user)
    page = text_of(client.get(f"/k/{kop.slug}/me/resign").text)
    assert "Anda masih mengangsur pinjaman di sini" in page
    assert client.post(f"/k/{kop.slug}/me/resign", data={"consent": "y"}).status_code == 303
    office = text_of(pengurus.get(f"/k/{kop.slug}/office/members/{member.id}").text)
    assert "Anggota memberi persetujuan saat mengajukan berhenti." in office
    assert pengurus.post(f"/k/{kop.slug}/office/members/{member.id}/confirm-resignation",
                         data={"key": "q" * 32}).status_code == 303
    assert reload(db, loan).status == "paid_off" and entries(db, "offset") == 1 and entries(db, "refund") == 1
    assert books_check.check() == []


def test_the_collectability_page_stays_within_budget(kop, product, member, make_member, make_user, pengurus, db):
    from models import collectability
    from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure

    for n in range(6):
        who = make_member(kop, user=make_user(full_name=f"Anggota {n}"), nik=NIKS[10 + n])
        make_loan(db, who, product, start=today() - timedelta(days=30 * n + 20))
    gone = make_loan(db, member, product, start=today() - timedelta(days=300))
    collectability.write_off(gone, db.session.get(loans.User, kop.created_by_id), "Tidak tertagih lagi")
    db.session.commit()
    result = measure(pengurus, f"/k/{kop.slug}/office/loans/collectability")
    assert result.status == 200
    assert len(result.queries) <= MAX_QUERIES, [q[:80] for q in result.queries]
    assert result.html_gzip <= MAX_HTML_GZIP
