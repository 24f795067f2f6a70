"""The member's own page: balances, dues, the statement (mutasi) and its CSV; resignation refunds."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from models import books_check, ledger, loans, savings, statement
from models.ledger import Entry, Line, SavingsBalance, ensure_chart
from models.membership import Membership, request_resignation
from models.zones import zone_for
from tests.budget import MAX_HTML_GZIP, MAX_QUERIES_MEMBER_PAGE, measure
from tests.conftest import login

NIKS = [f"32730115089{n:05d}" for n in range(1, 20)]


@pytest.fixture
def kop(make_koperasi):
    return make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB", pokok_idr=100_000, wajib_idr=20_000)


@pytest.fixture
def member(kop, make_member, make_user):
    return make_member(kop, user=make_user(full_name="Siti Aminah"), nik=NIKS[0])


@pytest.fixture
def me(app, member, db):
    return login(app.test_client(), db.session.get(Membership, member.id).user)


def utc(wib: str) -> datetime:
    """A WIB wall-clock time as the naive UTC the database keeps."""
    return datetime.fromisoformat(wib) - timedelta(hours=7)


@pytest.fixture
def history(kop, member, db):
    """pokok (today) 100.000, then Feb: +200.000 sukarela, +20.000 wajib; Mar: -50.000 sukarela."""
    savings.deposit(member, "sukarela", 200_000, "cash", None, at=utc("2026-02-03 09:00"))
    savings.deposit(member, "wajib", 20_000, "cash", None, at=utc("2026-02-28 23:30"))  # still Feb in WIB
    savings.withdraw(member, 50_000, "cash", None, at=utc("2026-03-01 08:00"))
    db.session.commit()


def seed_lines(kop, membership, n: int, amount: int = 1_000) -> None:
    """n sukarela deposits, bulk-inserted (cheap), with the cached balance kept equal."""
    accounts = ensure_chart(kop)
    first = (ledger.db.session.scalar(sa.select(sa.func.max(Entry.id))) or 0) + 1
    start = datetime(2025, 1, 1)
    ledger.db.session.execute(sa.insert(Entry), [
        {"id": first + i, "koperasi_id": kop.id, "ref": f"SEED-{i:07d}", "kind": "deposit", "memo": "sukarela",
         "membership_id": membership.id, "posted_at": start + timedelta(hours=2 * i)} for i in range(n)])
    ledger.db.session.execute(sa.insert(Line), [
        row for i in range(n) for row in (
            {"entry_id": first + i, "account_id": accounts["cash"].id, "amount": amount},
            {"entry_id": first + i, "account_id": accounts["savings_sukarela"].id, "amount": -amount,
             "membership_id": membership.id})])
    credited = ledger.db.session.execute(
        sa.update(SavingsBalance).where(SavingsBalance.membership_id == membership.id,
                                        SavingsBalance.kind == "sukarela")
        .values(balance=SavingsBalance.balance + n * amount)).rowcount
    if not credited:
        ledger.db.session.add(SavingsBalance(membership_id=membership.id, kind="sukarela", balance=n * amount))
    ledger.db.session.commit()


def rows(page: str) -> list[tuple[str, str]]:
    """(amount, balance after) per statement line, as shown."""
    return re.findall(r'<strong class="(?:in|out)">([^<]+)</strong><br><small>([^<]+)</small>', page)


# ---------------------------------------------------------------- the member's page

def test_balances_and_running_balance_newest_first(kop, member, me, history):
    """In posting-time order: the pokok paid today is the newest line, though posted first."""
    page = me.get(f"/k/{kop.slug}/me").text
    assert "Simpanan saya" in page and "Total simpanan" in page and "Rp270.000" in page
    assert rows(page) == [("+Rp100.000", "Rp270.000"), ("-Rp50.000", "Rp170.000"),
                          ("+Rp20.000", "Rp220.000"), ("+Rp200.000", "Rp200.000")]
    assert "Penarikan" in page and "Setoran" in page


def test_month_filter_keeps_the_true_balance(kop, member, me, history):
    page = me.get(f"/k/{kop.slug}/me?month=2026-02").text
    assert rows(page) == [("+Rp20.000", "Rp220.000"), ("+Rp200.000", "Rp200.000")]
    assert '<option value="2026-02" selected>Februari 2026</option>' in page
    assert '<option value="2026-03">Maret 2026</option>' in page
    assert rows(me.get(f"/k/{kop.slug}/me?month=2026-03").text) == [("-Rp50.000", "Rp170.000")]
    assert len(rows(me.get(f"/k/{kop.slug}/me?month=nonsense").text)) == 4  # unreadable: all months


def test_approved_member_sees_pokok_due(kop, make_member, make_user, app):
    approved = make_member(kop, user=make_user(full_name="Baru Disetujui"), status="approved", nik=NIKS[1])
    client = login(app.test_client(), approved.user)
    assert "Simpanan pokok terutang: Rp100.000" in client.get(f"/k/{kop.slug}/me").text


def test_wajib_arrears_are_shown(kop, member, me, db):
    """Joined two months before this one, nothing paid: two months have ended unpaid."""
    this_month = zone_for(kop.province_code).today().replace(day=1)
    db.session.get(Membership, member.id).joined_on = this_month - timedelta(days=40)
    db.session.commit()
    assert "Tunggakan simpanan wajib: 2 bulan, Rp40.000." in me.get(f"/k/{kop.slug}/me").text


def test_pages_of_fifty_carry_the_balance_across(kop, member, me):
    seed_lines(kop, member, 120)  # dated in 2025, before the pokok paid today: balances 1.000 × i, then +100.000
    first = rows(me.get(f"/k/{kop.slug}/me").text)
    assert len(first) == 50 and first[:2] == [("+Rp100.000", "Rp220.000"), ("+Rp1.000", "Rp120.000")]
    second = rows(me.get(f"/k/{kop.slug}/me?page=2").text)
    assert second[0] == ("+Rp1.000", "Rp71.000") and second[-1][1] == "Rp22.000"
    third = rows(me.get(f"/k/{kop.slug}/me?page=3").text)
    assert len(third) == 21 and third[-1] == ("+Rp1.000", "Rp1.000")


def test_statement_csv(kop, member, me, history):
    response = me.get(f"/k/{kop.slug}/me/statement.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="mutasi-{kop.slug}-{member.member_number}.csv"'
    assert "no-store" in response.headers["Cache-Control"]
    table = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert table[0] == ["Tanggal", "Bukti transaksi", "Keterangan", "Simpanan", "Masuk", "Keluar", "Saldo"]
    assert [row[4:] for row in table[1:]] == [["200000", "", "200000"], ["20000", "", "220000"],
                                              ["", "50000", "170000"], ["100000", "", "270000"]]
    assert table[2][0] == "2026-02-28 23:30" and table[2][3] == "Simpanan wajib"
    march = me.get(f"/k/{kop.slug}/me/statement.csv?month=2026-03")
    assert march.headers["Content-Disposition"].endswith('-2026-03.csv"')
    assert [row[4:] for row in csv.reader(io.StringIO(march.text.lstrip("\ufeff")))][1:] == [["", "50000", "170000"]]


def test_a_member_sees_only_their_own(kop, member, history, make_member, make_user, make_koperasi, app):
    other = make_member(kop, user=make_user(full_name="Budi Santoso"), nik=NIKS[1])
    client = login(app.test_client(), other.user)
    page = client.get(f"/k/{kop.slug}/me").text
    assert "Budi Santoso" in page and "Siti Aminah" not in page and "Rp270.000" not in page
    assert "200000" not in client.get(f"/k/{kop.slug}/me/statement.csv").text
    stranger = login(app.test_client(), make_user(full_name="Orang Asing"))
    assert stranger.get(f"/k/{kop.slug}/me").status_code == 404
    assert stranger.get(f"/k/{kop.slug}/me/statement.csv").status_code == 404
    anonymous = app.test_client().get(f"/k/{kop.slug}/me/statement.csv")
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["Location"]


def test_statement_functions_agree_with_the_ledger(kop, member, history, db):
    assert statement.count(member.id) == 4 and statement.count(member.id, "2026-02") == 2
    assert [line.balance for line in statement.oldest_first(member.id)] == [200_000, 220_000, 170_000, 270_000]
    assert statement.months(member.id)[-2:] == ["2026-03", "2026-02"]  # newest first


# ---------------------------------------------------------------- budgets

def test_member_page_with_5000_lines_stays_within_budget(kop, member, me):
    seed_lines(kop, member, 5_000)
    for url in (f"/k/{kop.slug}/me", f"/k/{kop.slug}/me?page=2", f"/k/{kop.slug}/me?month=2025-03"):
        result = measure(me, url)
        assert result.status == 200, url
        assert len(result.queries) <= MAX_QUERIES_MEMBER_PAGE, (url, result.queries)
        assert result.html_gzip <= MAX_HTML_GZIP, (url, result.html_gzip)
    fragment = measure(me, f"/k/{kop.slug}/me?page=2", headers={"HX-Request": "true", "HX-Target": "statement"})
    assert fragment.status == 200 and "<html" not in fragment.body and len(rows(fragment.body)) == 50


# ---------------------------------------------------------------- resignation refund

@pytest.fixture
def pengurus(app, kop, make_staff):
    """The board confirms a resignation (models/duties.py)."""
    return login(app.test_client(), make_staff(kop, "pengurus"))


def test_resignation_refunds_everything_in_one_entry(kop, make_member, make_user, pengurus, app, db):
    resigning = make_member(kop, user=make_user(full_name="Rudi Pamit"), nik=NIKS[2])
    savings.deposit(resigning, "wajib", 40_000, "cash", None)
    request_resignation(resigning)
    db.session.commit()
    url = f"/k/{kop.slug}/office/members/{resigning.id}/confirm-resignation"
    before = db.session.scalar(sa.select(sa.func.count(Entry.id)))
    response = pengurus.post(url, data={"key": "r" * 32})
    assert response.status_code == 303
    db.session.expire_all()
    refunds = db.session.scalars(sa.select(Entry).where(Entry.kind == "refund")).all()
    assert len(refunds) == 1 and refunds[0].total == 140_000
    assert db.session.scalar(sa.select(sa.func.count(Entry.id))) == before + 1
    assert ledger.balances(resigning.id) == {"pokok": 0, "wajib": 0, "sukarela": 0} and books_check.check() == []
    page = pengurus.get(response.headers["Location"]).text
    assert f"Bukti pengembalian {refunds[0].ref}" in page
    receipt = pengurus.get(f"/k/{kop.slug}/office/receipts/{refunds[0].ref}").text
    assert "Pengembalian simpanan saat berhenti" in receipt and "Rp140.000" in receipt
    assert "Seratus empat puluh ribu rupiah" in receipt
    card = login(app.test_client(), resigning.user).get(f"/k/{kop.slug}/me").text
    assert "kcard inactive" in card and "Berhenti" in card
    assert pengurus.post(url, data={"key": "r" * 32}).status_code == 422  # a retry refunds nothing more
    assert db.session.scalar(sa.select(sa.func.count(Entry.id))) == before + 1


def test_resignation_is_refused_while_a_loan_is_open(kop, make_member, make_user, pengurus, db):
    resigning = make_member(kop, user=make_user(full_name="Rudi Pamit"), nik=NIKS[2])
    product = loans.save_product(kop, {"name": "Modal Usaha", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 100,
                                           "fee_mode": "deducted", "max_amount_idr": 20_000_000, "min_tenor": 3,
                                           "max_tenor": 24, "late_fee_mode": "per_instalment", "late_fee_idr": 10_000})
    loans.apply(resigning, product, 1_000_000, 3, "Modal usaha jahit")
    request_resignation(resigning)
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count(Entry.id)))
    response = pengurus.post(f"/k/{kop.slug}/office/members/{resigning.id}/confirm-resignation",
                           data={"key": "s" * 32})
    assert response.status_code == 422
    assert "pinjaman" in response.text.lower()
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Entry.id))) == before
    assert db.session.get(Membership, resigning.id).status == "resigning"
