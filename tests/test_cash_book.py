"""The koperasi's own money: cash and bank that never go below zero, the cash book, the cash
count, sub-accounts, opening balances and the general journal; each refusal clear and
nothing half-saved."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from models import books_check, cashbook, chart, ledger, loans, savings
from models.cashbook import CashCount
from models.errors import DomainError
from models.ledger import Account, Entry, Leg, Purpose, post
from models.zones import zone_of
from tests.conftest import board, empty_tables, fund, login
from web.extensions import db as _db

TODAY_FORM = {"direction": "out", "amount": "150.000", "counterparty": "PLN", "note": "Token listrik kantor"}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def kop(make_koperasi):
    return make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB")


@pytest.fixture
def accounts(kop, db):
    found = ledger.ensure_chart(kop)
    db.session.commit()
    return found


@pytest.fixture
def teller(kop, make_staff):
    return make_staff(kop, "teller")


@pytest.fixture
def clients(app, kop, make_staff, teller):
    return {"teller": login(app.test_client(), teller), "pengurus": login(app.test_client(), board(kop)),
            "pengawas": login(app.test_client(), make_staff(kop, "pengawas"))}


def entries(db) -> list[tuple[int, str]]:
    db.session.expire_all()
    return db.session.execute(sa.select(Entry.id, Entry.kind).order_by(Entry.id)).all()


def balance(db, account_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Account, account_id).balance


# ---------------------------------------------------------------- cash and bank never below zero

def test_a_payout_the_cash_cannot_cover_is_refused_and_nothing_moves(kop, accounts, make_member, teller, db):
    member = make_member(kop)  # pokok Rp100.000 in cash: the drawer holds that
    savings.deposit(member, "sukarela", 50_000, "cash", teller)
    db.session.commit()
    before = entries(db)
    with pytest.raises(DomainError) as refused:
        savings.withdraw(member, 50_000, "bank", teller)  # the bank holds nothing
    assert refused.value.field == "amount"
    db.session.rollback()
    assert entries(db) == before and ledger.balances(member.id)["sukarela"] == 50_000
    savings.withdraw(member, 50_000, "cash", teller)  # the cash does
    db.session.commit()
    assert balance(db, accounts["cash"].id) == 100_000 and books_check.check() == []


def test_a_loan_cannot_be_paid_out_of_money_the_koperasi_does_not_have(kop, make_member, teller, db):
    product = loans.save_product(kop, dict(name="Modal", method="flat", monthly_rate_bp=100, fee_bp=0,
                                           fee_mode="deducted", max_amount_idr=5_000_000, min_tenor=3, max_tenor=12,
                                           late_fee_mode="per_day", late_fee_idr=1_000))
    loan = loans.apply(make_member(kop), product, 2_000_000, 6, "Modal warung kelontong")
    loans.approve(loan, board(kop))
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        loans.disburse(loan, teller, "cash")
    assert refused.value.field == "amount"
    db.session.rollback()
    fund(kop, 2_000_000)
    loans.disburse(db.session.get(loans.Loan, loan.id), teller, "cash")
    db.session.commit()
    assert books_check.check() == []


def test_a_closed_account_takes_no_posting(kop, accounts, db):
    bri = chart.add_sub_account(kop, accounts["bank"].id, "1102.01", "Bank BRI")
    chart.close_account(bri)
    db.session.commit()
    with pytest.raises(DomainError, match="closed|ditutup"):
        post(kop, "journal", [Leg(Purpose.BANK, 1_000, account_id=bri.id), Leg(Purpose.GRANTS, -1_000)], by=None)


def test_ledger_check_finds_a_tampered_account_balance_and_negative_cash(kop, accounts, db):
    fund(kop, 10_000)
    assert books_check.check() == []
    db.session.execute(sa.update(Account).where(Account.id == accounts["cash"].id).values(balance=9_000))
    assert any("cached 9000, lines say 10000" in p for p in books_check.check())
    db.session.rollback()
    # lines written around post() (an import gone wrong) that take the cash below zero
    db.session.add(Entry(koperasi_id=kop.id, ref="KSB-9999999", kind="journal", lines=[
        ledger.Line(account_id=accounts["cash"].id, amount=-15_000),
        ledger.Line(account_id=accounts["grants"].id, amount=15_000)]))
    db.session.flush()
    assert any("1101) of koperasi" in p and "below zero (-5000)" in p for p in books_check.check())
    db.session.rollback()


# ---------------------------------------------------------------- the cash book

def test_a_teller_records_kas_keluar_and_sees_it_in_the_cash_book(kop, accounts, clients, db):
    fund(kop, 1_000_000)
    base = f"/k/{kop.slug}/office/cash"
    form = {**TODAY_FORM, "day": zone_of(kop).today().isoformat(), "account": accounts["utilities"].id,
            "money": accounts["cash"].id, "key": "k" * 40}
    posted = clients["teller"].post(base, data=form)
    assert posted.status_code == 303 and "/receipts/" in posted.location
    again = clients["teller"].post(base, data=form)  # a double tap: the same receipt, nothing more
    assert again.location == posted.location
    receipt = text_of(clients["teller"].get(posted.location).text)
    assert "Kas keluar" in receipt and "PLN" in receipt and "Rp150.000" in receipt and "5203" in receipt
    book = text_of(clients["pengawas"].get(base).text)
    assert "PLN" in book and "Rp150.000" in book
    assert balance(db, accounts["cash"].id) == 850_000 and balance(db, accounts["utilities"].id) == 150_000
    assert [kind for _id, kind in entries(db)] == ["journal", "cash_out"]


def test_kas_keluar_beyond_the_cash_is_refused_with_the_form_kept(kop, accounts, clients, db):
    fund(kop, 100_000)
    before = entries(db)
    page = clients["teller"].post(f"/k/{kop.slug}/office/cash", data={
        **TODAY_FORM, "amount": "100.001", "day": zone_of(kop).today().isoformat(), "account": accounts["rent"].id,
        "money": accounts["cash"].id, "key": "n" * 40})
    assert page.status_code == 422
    assert "Uang di Kas tidak cukup" in text_of(page.text) and 'value="100.001"' in page.text
    assert entries(db) == before and balance(db, accounts["cash"].id) == 100_000


def test_kas_masuk_into_a_second_bank_with_a_receipt_photo(kop, accounts, clients, db):
    bri = chart.add_sub_account(kop, accounts["bank"].id, "1102.01", "Bank BRI")
    db.session.commit()
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(picture, "PNG")
    picture.seek(0)
    posted = clients["teller"].post(f"/k/{kop.slug}/office/cash", data={
        "direction": "in", "day": zone_of(kop).today().isoformat(), "account": accounts["other_income"].id, "money": bri.id,
        "amount": "2.500.000", "counterparty": "Dinas Koperasi", "note": "Sewa aula", "key": "m" * 40,
        "photo": (picture, "nota.png")}, content_type="multipart/form-data")
    assert posted.status_code == 303
    assert balance(db, bri.id) == 2_500_000 and balance(db, accounts["bank"].id) == 0
    ref = posted.location.rsplit("/", 1)[1]
    photo = clients["pengawas"].get(f"/k/{kop.slug}/office/cash/photo/{ref}")
    assert photo.status_code == 200 and photo.data[:4] == b"RIFF" and photo.mimetype == "image/webp"


def test_a_past_day_is_allowed_and_the_future_refused(kop, accounts, teller, db):
    fund(kop, 500_000)
    entry = cashbook.record(kop, "out", accounts["supplies"].id, accounts["cash"].id, 20_000, date(2026, 1, 15),
                            "Toko ATK", "", teller)
    assert entry.posted_at.date() == date(2026, 1, 15)  # the end of that day WIB is still the 15th in UTC
    with pytest.raises(DomainError, match="future|masa depan"):
        cashbook.record(kop, "out", accounts["supplies"].id, accounts["cash"].id, 20_000, date(2999, 1, 1), "", "",
                        teller)


def test_a_pengurus_reverses_a_cash_book_entry_with_a_reason(kop, accounts, clients, teller, db):
    fund(kop, 500_000)
    entry = cashbook.record(kop, "out", accounts["rent"].id, accounts["cash"].id, 300_000, None, "Pak Haji", "Sewa",
                            teller)
    db.session.commit()
    receipt = f"/k/{kop.slug}/office/receipts/{entry.ref}"
    assert 'value="reverse"' not in clients["teller"].get(receipt).text  # a teller corrects nothing
    assert clients["teller"].post(receipt + "/reverse", data={"reason": "Salah akun", "key": "r" * 40}).status_code == 403
    done = clients["pengurus"].post(receipt, data={"form": "reverse", "reason": "Salah catat, sewa belum dibayar",
                                                   "key": "r" * 40})
    assert done.status_code == 303
    assert balance(db, accounts["cash"].id) == 500_000 and balance(db, accounts["rent"].id) == 0
    book = text_of(clients["pengawas"].get(f"/k/{kop.slug}/office/cash").text)
    assert "dikoreksi oleh" in book


# ---------------------------------------------------------------- the cash count

def test_a_shortage_is_posted_only_once_a_pengurus_approves_it(kop, accounts, clients, db):
    fund(kop, 1_000_000)
    base = f"/k/{kop.slug}/office/cash/count"
    assert "Rp1.000.000" in clients["teller"].get(base).text  # the expected balance
    counted = clients["teller"].post(base, data={"form": "count", "account": accounts["cash"].id, "counted": "995.000"})
    assert counted.status_code == 303
    count = db.session.scalar(sa.select(CashCount))
    assert (count.expected_idr, count.counted_idr, count.difference, count.status) == (1_000_000, 995_000, -5_000,
                                                                                       "pending")
    assert balance(db, accounts["cash"].id) == 1_000_000  # nothing posted yet
    approve = {"form": "decide", "count": count.id, f"c{count.id}-decision": "approve", f"c{count.id}-key": "a" * 40}
    assert clients["teller"].post(base, data=approve).status_code == 403
    assert clients["pengurus"].post(base, data=approve).status_code == 303
    db.session.expire_all()
    count = db.session.get(CashCount, count.id)
    assert count.status == "approved" and count.decided_by_id == board(kop).id and count.entry is not None
    assert balance(db, accounts["cash"].id) == 995_000 and balance(db, accounts["cash_difference"].id) == 5_000
    page = text_of(clients["pengawas"].get(base).text)
    assert "Kurang Rp5.000" in page and count.entry.ref in page
    with pytest.raises(DomainError, match="already decided|sudah diputuskan"):
        cashbook.decide(count, True, board(kop))


def test_the_one_who_counted_does_not_approve_and_a_recount_replaces_the_first(kop, accounts, make_staff, db):
    fund(kop, 300_000)
    pengurus = make_staff(kop, "pengurus")
    first = cashbook.count_cash(kop, accounts["cash"].id, 290_000, "", pengurus)
    with pytest.raises(DomainError, match="yourself|sendiri"):
        cashbook.decide(first, True, pengurus)
    again = cashbook.count_cash(kop, accounts["cash"].id, 290_000, "", pengurus)  # a double tap, or a recount
    db.session.commit()
    assert (first.status, again.status) == ("replaced", "pending")
    with pytest.raises(DomainError):
        cashbook.decide(first, True, board(kop))  # only the latest count is decided
    cashbook.decide(again, True, board(kop))
    db.session.commit()
    assert balance(db, accounts["cash"].id) == 290_000  # the shortage posted once


def test_a_rejected_count_posts_nothing_and_needs_a_reason(kop, accounts, teller, db):
    fund(kop, 200_000)
    count = cashbook.count_cash(kop, accounts["cash"].id, 250_000, "", teller)
    assert count.status == "pending" and count.difference == 50_000
    with pytest.raises(DomainError):
        cashbook.decide(count, False, board(kop), "")
    cashbook.decide(count, False, board(kop), "Hitung ulang besok pagi")
    db.session.commit()
    assert count.status == "rejected" and count.entry_id is None and balance(db, accounts["cash"].id) == 200_000
    assert cashbook.count_cash(kop, accounts["cash"].id, 200_000, "", teller).status == "matched"


# ---------------------------------------------------------------- sub-accounts

def test_sub_accounts_on_the_chart_page(kop, accounts, clients, db):
    base = f"/k/{kop.slug}/office/books/chart"
    add = {"form": "add", "parent": accounts["bank"].id, "code": "1102.01", "name": "Bank BRI"}
    assert clients["teller"].post(base, data=add).status_code == 403
    assert clients["pengurus"].post(base, data=add).status_code == 303
    again = clients["pengurus"].post(base, data={**add, "name": "Bank BNI"})
    assert again.status_code == 422 and "Kode 1102.01 sudah ada" in text_of(again.text)
    wrong = clients["pengurus"].post(base, data={**add, "code": "1103"})
    assert wrong.status_code == 422 and "misalnya 1102.01" in text_of(wrong.text)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account).where(Account.parent_id.is_not(None))) == 1
    bri = db.session.scalar(sa.select(Account).where(Account.code == "1102.01"))
    assert (bri.purpose, bri.kind, bri.label) == ("bank", "asset", "Bank BRI")
    assert "Bank BRI" in clients["pengawas"].get(base).text
    assert f"/k/{kop.slug}/office/books/accounts/1102.01" in clients["pengawas"].get(base).text  # its ledger
    assert clients["pengawas"].get(f"/k/{kop.slug}/office/books/accounts/1102.01").status_code == 200


def test_an_account_with_postings_is_closed_never_deleted(kop, accounts, clients, db):
    bri = chart.add_sub_account(kop, accounts["bank"].id, "1102.01", "Bank BRI")
    post(kop, "journal", [Leg(Purpose.BANK, 10_000, account_id=bri.id), Leg(Purpose.GRANTS, -10_000)], by=None)
    db.session.commit()
    base = f"/k/{kop.slug}/office/books/chart"
    refused = clients["pengurus"].post(base, data={"form": "delete", "account": bri.id})
    assert refused.status_code == 422 and "tidak dapat dihapus" in text_of(refused.text)
    refused = clients["pengurus"].post(base, data={"form": "close", "account": bri.id})
    assert refused.status_code == 422 and "masih bersaldo Rp10.000" in text_of(refused.text)
    post(kop, "journal", [Leg(Purpose.BANK, -10_000, account_id=bri.id), Leg(Purpose.BANK, 10_000)], by=None)
    db.session.commit()
    assert clients["pengurus"].post(base, data={"form": "close", "account": bri.id}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Account, bri.id).closed
    with pytest.raises(DomainError):
        chart.close_account(accounts["cash"])  # standard accounts stay open
    unused = chart.add_sub_account(kop, accounts["bank"].id, "1102.02", "Bank BNI").id
    db.session.commit()
    assert clients["pengurus"].post(base, data={"form": "delete", "account": unused}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Account, unused) is None


# ---------------------------------------------------------------- opening balances

def opening_form(accounts, day: str = "2026-01-01", **amounts) -> dict:
    return {"day": day, "key": "o" * 40, **{f"a{accounts[p].id}": v for p, v in amounts.items()}}


def test_opening_balances_must_balance_and_post_once(kop, accounts, clients, db):
    base = f"/k/{kop.slug}/office/books/opening"
    uneven = opening_form(accounts, cash="15.000.000", bank="120.000.000", reserve="100.000.000", grants="30.000.000")
    refused = clients["pengurus"].post(base, data=uneven)
    assert refused.status_code == 422 and "selisih Rp5.000.000" in text_of(refused.text)
    assert entries(db) == []
    even = opening_form(accounts, cash="15.000.000", bank="120.000.000", accum_depreciation="5.000.000",
                        fixed_assets="35.000.000", borrowings="50.000.000", reserve="85.000.000", grants="30.000.000")
    assert clients["teller"].post(base, data=even).status_code == 403
    done = clients["pengurus"].post(base, data=even)
    assert done.status_code == 303
    opening = db.session.scalar(sa.select(Entry).where(Entry.kind == "opening"))
    assert opening.posted_at == datetime(2025, 12, 31, 17, 0)  # midnight of 1 January in WIB
    assert opening.total == 170_000_000
    assert balance(db, accounts["accum_depreciation"].id) == -5_000_000  # a contra asset: a credit
    assert balance(db, accounts["cash"].id) == 15_000_000
    page = text_of(clients["pengurus"].get(base).text)
    assert opening.ref in page
    second = clients["pengurus"].post(base, data={**even, "key": "p" * 40})
    assert second.status_code == 422 and "koreksi dulu entri itu" in text_of(second.text)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry)) == 1
    chart.reverse(opening, board(kop), "Salah tanggal peralihan")
    db.session.commit()
    assert clients["pengurus"].post(base, data={**even, "day": "2026-02-01", "key": "q" * 40}).status_code == 303
    assert books_check.check() == []


# ---------------------------------------------------------------- the general journal

def journal_form(accounts, *lines, reason="Penyusutan motor kantor Mei", key="j" * 40) -> dict:
    form = {"day": "2026-05-31", "reason": reason, "key": key}
    for i, (purpose, debit, credit) in enumerate(lines):
        form.update({f"lines-{i}-account": accounts[purpose].id, f"lines-{i}-debit": debit, f"lines-{i}-credit": credit})
    return form


def test_an_unbalanced_journal_is_refused_with_the_difference_and_nothing_saved(kop, accounts, clients, db):
    base = f"/k/{kop.slug}/office/books/journal"
    uneven = journal_form(accounts, ("depreciation", "250.000", ""), ("accum_depreciation", "", "200.000"))
    refused = clients["pengurus"].post(base, data=uneven)
    assert refused.status_code == 422 and "selisih Rp50.000" in text_of(refused.text)
    assert 'value="250.000"' in refused.text and entries(db) == []
    no_reason = clients["pengurus"].post(base, data={**uneven, "reason": ""})
    assert no_reason.status_code == 422 and entries(db) == []
    even = journal_form(accounts, ("depreciation", "250.000", ""), ("accum_depreciation", "", "250.000"))
    assert clients["teller"].post(base, data=even).status_code == 403
    done = clients["pengurus"].post(base, data=even)
    assert done.status_code == 303
    journal = db.session.scalar(sa.select(Entry).where(Entry.kind == "journal"))
    assert journal.memo == "Penyusutan motor kantor Mei" and journal.total == 250_000
    listed = clients["pengawas"].get(base).text
    assert f"/receipts/{journal.ref}" in listed


def test_a_journal_never_touches_members_savings_or_takes_cash_below_zero(kop, accounts, clients, db):
    base = f"/k/{kop.slug}/office/books/journal"
    savings_line = journal_form(accounts, ("savings_sukarela", "10.000", ""), ("other_income", "", "10.000"))
    refused = clients["pengurus"].post(base, data=savings_line)  # not offered, and refused if sent
    assert refused.status_code == 422 and "bukan lewat jurnal" in text_of(refused.text) and entries(db) == []
    assert re.search(r'id="lines-0-account-err"[^>]*>[^<]*bukan lewat jurnal', refused.text)  # beside its line
    overdraw = journal_form(accounts, ("rent", "10.000", ""), ("cash", "", "10.000"))
    refused = clients["pengurus"].post(base, data=overdraw)
    assert refused.status_code == 422 and "tidak cukup" in text_of(refused.text) and entries(db) == []


# ---------------------------------------------------------------- any sequence: cash never below zero

money_steps = st.lists(st.tuples(st.sampled_from(["in", "out", "out", "count"]), st.sampled_from([0, 1]),
                                 st.integers(1, 300_000)), min_size=1, max_size=15)


@settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=money_steps)
def test_any_sequence_of_cash_book_entries_and_counts_keeps_cash_at_zero_or_more(steps, make_koperasi, make_staff):
    """Kas masuk, kas keluar and approved counts on the drawer and a second bank, in any order:
    each is refused exactly when the account cannot cover it, and no balance ever goes below zero."""
    empty_tables()
    kop = fund(make_koperasi(), 200_000)
    teller, pengurus = make_staff(kop, "teller"), board(kop)
    found = ledger.ensure_chart(kop)
    bri = chart.add_sub_account(kop, found["bank"].id, "1102.01", "Bank BRI")
    _db.session.commit()
    held = {found["cash"].id: 200_000, bri.id: 0}
    targets = [found["cash"].id, bri.id]
    for direction, which, amount in steps:
        account_id = targets[which]
        try:
            if direction == "count":
                if account_id != found["cash"].id:
                    continue
                count = cashbook.count_cash(kop, account_id, max(held[account_id] - amount, 0), "", teller)
                if count.status == "pending":
                    cashbook.decide(count, True, pengurus)
                held[account_id] = count.counted_idr
            else:
                cashbook.record(kop, direction, found["other_income" if direction == "in" else "rent"].id, account_id,
                                amount, None, "", "", teller)
                assert direction == "in" or held[account_id] >= amount, "an uncovered payout went through"
                held[account_id] += amount if direction == "in" else -amount
            _db.session.commit()
        except DomainError:
            _db.session.rollback()
            assert direction == "out" and held[account_id] < amount, "a covered payout was refused"
        assert {a: balance(_db, a) for a in targets} == held
        assert min(held.values()) >= 0 and books_check.check() == []


# ---------------------------------------------------------------- the migration

def test_the_migration_back_fills_every_balance_from_the_lines(app, kop, accounts, make_member, teller, db):
    from flask_migrate import downgrade, upgrade

    make_member(kop)  # pokok: cash up, simpanan pokok up
    fund(kop, 700_000, "bank")
    ids = {purpose: account.id for purpose, account in accounts.items()}
    db.session.commit()
    db.session.remove()
    downgrade(revision="0013-1")  # the books as they were before account balances were kept
    upgrade()
    found = {purpose: balance(db, account_id) for purpose, account_id in ids.items()}
    assert (found["cash"], found["bank"], found["savings_pokok"], found["grants"]) == (100_000, 700_000, -100_000,
                                                                                      -700_000)
    assert books_check.check() == []


def test_hostile_dates_and_ids_are_refused_not_crashed(kop, accounts, clients, db):
    base = f"/k/{kop.slug}/office"
    assert clients["teller"].get(base + "/cash?from=0001-01-01&to=9999-12-31").status_code == 200
    old = clients["teller"].post(base + "/cash", data={**TODAY_FORM, "day": "0001-01-01", "account": accounts["rent"].id,
                                                      "money": accounts["cash"].id, "key": "h" * 40})
    assert old.status_code == 422 and "1900" in old.text
    for count in ("99999999999999", "-1", "abc"):
        answer = clients["pengurus"].post(base + "/cash/count", data={"form": "decide", "count": count})
        assert answer.status_code == 404
    answer = clients["pengurus"].post(base + "/books/chart", data={"form": "delete", "account": "99999999999999"})
    assert answer.status_code == 404 and entries(db) == []


@pytest.mark.parametrize("path, data", [
    ("/books/opening", {"day": "2026-01-01"}),  # no amount at all
    ("/books/journal", {"day": "2026-01-01", "reason": "Penyusutan bulan Januari"}),  # no line
    ("/books/chart", {"form": "add", "code": "9999", "name": "Bank BRI"}),  # no parent
    ("/cash", {"direction": "out", "amount": "10.000"}),  # no account
    ("/cash/count", {"form": "count", "counted": "abc"}),
], ids=["opening", "journal", "sub-account", "cash book", "cash count"])
def test_a_refused_first_form_of_a_koperasi_without_accounts_comes_back(kop, clients, db, path, data):
    """The koperasi's accounts are made at its first posting; a refused first form rolls its own
    work back, and the form comes back (422) on the accounts that stay, never a 500."""
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account).where(Account.koperasi_id == kop.id)) == 0
    response = clients["pengurus"].post(f"/k/{kop.slug}/office{path}", data={"key": "r" * 40, **data})
    assert response.status_code == 422, response.text[-2000:]
    assert entries(db) == []
