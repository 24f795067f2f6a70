"""The ledger's rules, at the domain level: balanced, append-only, idempotent, provable."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from models import books_check, ledger, loans, savings
from models.errors import DomainError
from models.ledger import Entry, Line, round_idr
from models.membership import request_resignation
from models.resignation import confirm as confirm_resignation
from tests.conftest import board, fund


@pytest.fixture
def kop(make_koperasi):
    return fund(make_koperasi(pokok_idr=100_000, wajib_idr=20_000))


@pytest.fixture
def teller(kop, make_staff):
    return make_staff(kop, "teller")


@pytest.mark.parametrize("value,expected", [(0.5, 1), (1.5, 2), (2.4999, 2), (-0.5, -1), (12345.5, 12346)])
def test_rounding_is_half_up(value, expected):
    assert round_idr(value) == expected


def test_an_exact_half_annuity_payment_rounds_up_whatever_the_decimal_context():
    # P=160600, r=0.75 %/month, n=2: the exact payment is Rp81.204,50 (a 28-digit Decimal
    # gives 81.204,4999…). Half up means Rp81.205, in any thread's Decimal context.
    import decimal
    from fractions import Fraction

    r = Fraction(75, 10000)
    assert 160_600 * r / (1 - (1 + r) ** -2) == Fraction(16240900, 200)
    for precision in (6, 28, 60):
        with decimal.localcontext(decimal.Context(prec=precision, rounding=decimal.ROUND_FLOOR)):
            rows = loans.schedule(160_600, 2, "annuity", 75, date(2026, 1, 15))
        assert rows[0].principal + rows[0].interest == 81_205
        assert sum(row.principal for row in rows) == 160_600


def test_pokok_activates_the_membership(kop, make_member, teller, db):
    member = make_member(kop, status="approved")
    assert member.status == "approved"
    with pytest.raises(DomainError):
        savings.deposit(member, "pokok", 50_000, "cash", teller)  # pokok is paid in full
    savings.deposit(member, "pokok", 100_000, "cash", teller)
    assert member.status == "active" and ledger.balances(member.id)["pokok"] == 100_000
    with pytest.raises(DomainError):
        savings.deposit(member, "pokok", 100_000, "cash", teller)  # once


def test_deposit_and_withdraw_post_balanced_entries(kop, make_member, teller, db):
    member = make_member(kop)
    entry = savings.deposit(member, "sukarela", 250_000, "bank", teller)
    assert sum(line.amount for line in entry.lines) == 0 and entry.total == 250_000
    savings.withdraw(member, 100_000, "cash", teller)
    db.session.commit()
    assert ledger.balances(member.id)["sukarela"] == 150_000
    with pytest.raises(DomainError, match="Saldo tidak cukup|not enough"):
        savings.withdraw(member, 150_001, "cash", teller)
    db.session.rollback()
    assert ledger.balances(member.id)["sukarela"] == 150_000
    assert books_check.check() == []


def test_receipt_numbers_are_sequential(kop, make_member, teller, db):
    member = make_member(kop)  # the koperasi's opening cash is receipt 1, pokok receipt 2
    refs = [savings.deposit(member, "wajib", 20_000, "cash", teller).ref for _ in range(3)]
    assert refs == ["KSB-0000003", "KSB-0000004", "KSB-0000005"]


def test_same_key_posts_once(kop, make_member, teller, db):
    member = make_member(kop)
    first = savings.deposit(member, "sukarela", 75_000, "cash", teller, key="k-1")
    db.session.commit()
    again = savings.deposit(member, "sukarela", 75_000, "cash", teller, key="k-1")
    assert again.id == first.id and ledger.balances(member.id)["sukarela"] == 75_000


def test_entries_are_append_only(kop, make_member, teller, db):
    member = make_member(kop)
    entry = savings.deposit(member, "sukarela", 10_000, "cash", teller)
    db.session.commit()
    entry.memo = "changed"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(Line, entry.lines[0].id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_check_finds_a_cache_that_disagrees(kop, make_member, teller, db):
    member = make_member(kop)
    savings.deposit(member, "sukarela", 10_000, "cash", teller)
    db.session.execute(sa.update(ledger.SavingsBalance).where(ledger.SavingsBalance.kind == "sukarela")
                       .values(balance=999))
    assert any("cached 999" in problem for problem in books_check.check())


def test_check_finds_a_line_on_another_koperasis_account(kop, make_koperasi, make_member, teller, db):
    """The statements reach a koperasi's lines through its own accounts: the check proves none is elsewhere."""
    member = make_member(kop)
    entry = savings.deposit(member, "sukarela", 10_000, "cash", teller)
    assert books_check.check_entries() == []
    other = ledger.ensure_chart(make_koperasi())[ledger.Purpose.CASH]
    db.session.execute(sa.update(Line).where(Line.id == entry.lines[0].id).values(account_id=other.id))
    assert any("of another koperasi" in problem for problem in books_check.check_entries())


@pytest.mark.parametrize("method", ["flat", "annuity"])
@pytest.mark.parametrize("principal,tenor,rate", [(5_000_000, 12, 100), (1_000_001, 7, 175), (300_000, 1, 0)])
def test_schedules_sum_to_principal(method, principal, tenor, rate):
    rows = loans.schedule(principal, tenor, method, rate, date(2026, 1, 31))
    assert sum(r.principal for r in rows) == principal and len(rows) == tenor
    assert rows[0].due_on == date(2026, 2, 28)  # month ends clamp
    if method == "flat":
        assert {r.interest for r in rows} == {round_idr(principal * rate / 10000)}


def test_annuity_instalments_are_equal_but_the_last(db):
    rows = loans.schedule(10_000_000, 12, "annuity", 100, date(2026, 1, 1))
    assert len({r.total for r in rows[:-1]}) == 1 and rows[0].interest > rows[-1].interest


@pytest.fixture
def product(kop, db):
    p = loans.save_product(kop, dict(name="Modal Usaha", method="flat", monthly_rate_bp=100, fee_bp=100,
                                     fee_mode="deducted", max_amount_idr=20_000_000, min_tenor=3, max_tenor=24,
                                     late_fee_mode="per_instalment", late_fee_idr=10_000))
    db.session.commit()
    return p


def test_product_rate_is_capped_at_24_percent_a_year(kop, product):
    with pytest.raises(DomainError):
        loans.check_product(dict(name="Rentenir", method="flat", monthly_rate_bp=201, fee_bp=0,
                                 fee_mode="deducted", max_amount_idr=1_000_000, min_tenor=1, max_tenor=2,
                                 late_fee_mode="per_day", late_fee_idr=0))


def test_loan_life_allocates_late_fee_interest_principal(kop, make_member, teller, product, db):
    member = make_member(kop)
    loan = loans.apply(member, product, 3_000_000, 3, "Modal warung kelontong")
    loans.approve(loan, board(kop), 2_000_000)
    entry = loans.disburse(loan, teller, "cash", today=date(2026, 1, 10))
    lines = {line.account.purpose: line.amount for line in entry.lines}
    assert lines == {"loans_receivable": 2_000_000, "cash": -1_980_000, "fee_income": -20_000}
    assert [i.principal_due for i in loan.instalments] == [666_666, 666_666, 666_668]
    # First instalment is 10 days late: late fee 10.000, then interest 20.000, then principal.
    pay = loans.repay(loan, 100_000, "cash", teller, today=date(2026, 2, 20))
    parts = {line.account.purpose: -line.amount for line in pay.lines if line.amount < 0}
    assert parts == {"penalty_income": 10_000, "interest_income": 20_000, "loans_receivable": 70_000}
    db.session.commit()
    with pytest.raises(DomainError):
        loans.repay(loan, 10_000_000, "cash", teller, today=date(2026, 2, 20))
    db.session.rollback()
    rest = loans.owed(db.session.get(loans.Loan, loan.id), date(2026, 2, 20)).total
    loans.repay(db.session.get(loans.Loan, loan.id), rest, "cash", teller, today=date(2026, 2, 20))
    assert db.session.get(loans.Loan, loan.id).status == "paid_off"
    assert books_check.check() == []


def test_repay_from_sukarela_never_overdraws(kop, make_member, teller, product, db):
    member = make_member(kop)
    savings.deposit(member, "sukarela", 50_000, "cash", teller)
    loan = loans.apply(member, product, 1_000_000, 3, "Modal usaha jahit")
    loans.approve(loan, board(kop))
    loans.disburse(loan, teller, "cash")
    db.session.commit()
    with pytest.raises(DomainError):
        loans.repay(loan, 60_000, "sukarela", teller)
    db.session.rollback()
    loans.repay(db.session.get(loans.Loan, loan.id), 50_000, "sukarela", teller)
    assert ledger.balances(member.id)["sukarela"] == 0 and books_check.check() == []


def test_resignation_needs_settled_loans_then_refunds_everything(kop, make_member, teller, product, db):
    member = make_member(kop)
    savings.deposit(member, "wajib", 40_000, "cash", teller)
    savings.deposit(member, "sukarela", 5_000, "cash", teller)
    loan = loans.apply(member, product, 1_000_000, 3, "Modal usaha jahit")
    request_resignation(member)
    db.session.commit()
    with pytest.raises(DomainError):
        confirm_resignation(member, teller)
    db.session.rollback()
    loans.reject(db.session.get(loans.Loan, loan.id), teller, "Anggota akan berhenti.")
    confirm_resignation(member, teller)
    assert ledger.balances(member.id) == {"pokok": 0, "wajib": 0, "sukarela": 0}
    refund = db.session.scalar(sa.select(Entry).where(Entry.kind == "refund"))
    assert refund.total == 145_000 and member.status == "resigned"
    assert books_check.check() == []


def test_a_correction_reverses_an_entry_once(kop, make_member, teller, db):
    member = make_member(kop)
    wrong = savings.deposit(member, "sukarela", 500_000, "cash", teller)  # should have been 50.000
    db.session.commit()
    fix = savings.reverse(wrong, teller, "Salah ketik nominal")
    db.session.commit()
    assert fix.reverses_id == wrong.id and fix.kind == "reversal"
    assert sorted(line.amount for line in fix.lines) == sorted(-line.amount for line in wrong.lines)
    assert ledger.balances(member.id)["sukarela"] == 0 and books_check.check() == []
    with pytest.raises(DomainError):
        savings.reverse(wrong, teller, "Sekali lagi")
    db.session.rollback()
    with pytest.raises(DomainError):
        savings.reverse(fix, teller, "Membatalkan koreksi")


def test_a_deposit_already_withdrawn_cannot_be_reversed(kop, make_member, teller, db):
    member = make_member(kop)
    deposit = savings.deposit(member, "sukarela", 100_000, "cash", teller)
    savings.withdraw(member, 80_000, "cash", teller)
    db.session.commit()
    with pytest.raises(DomainError):
        savings.reverse(deposit, teller, "Salah anggota")
    db.session.rollback()
    assert ledger.balances(member.id)["sukarela"] == 20_000
