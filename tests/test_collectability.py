"""Collectability, the month-end loan-loss allowance (PPAP), write-off and recovery (issue 10),
computed by hand."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from models import books_check, collectability, loans, savings
from models.errors import DomainError
from models.ledger import Entry, Purpose
from tests.conftest import board

TERMS = dict(name="Pinjaman Anggota", method="flat", monthly_rate_bp=100, fee_bp=0, fee_mode="deducted",
             max_amount_idr=20_000_000, min_tenor=6, max_tenor=24, late_fee_mode="per_instalment", late_fee_idr=0)


@pytest.fixture
def kop(make_koperasi):
    return make_koperasi()


@pytest.fixture
def teller(kop, make_staff):
    return make_staff(kop, "teller")


@pytest.fixture
def book(kop, make_member, teller, db):
    """Four loans of Rp1.000.000, nothing repaid. On 30 June 2026 their oldest instalments are
    0, 121, 211 and 302 days past due: lancar, kurang lancar, diragukan, macet."""
    member = make_member(kop)
    savings.deposit(member, "sukarela", 10_000_000, "cash", teller)  # cash in the drawer to lend
    product = loans.save_product(kop, dict(TERMS))
    found = {}
    for name, start in (("lancar", date(2026, 6, 1)), ("kurang_lancar", date(2026, 2, 1)),
                        ("diragukan", date(2025, 11, 1)), ("macet", date(2025, 8, 1))):
        loan = loans.apply(member, product, 1_000_000, 12, "Modal usaha kecil")
        loans.approve(loan, board(kop))
        loans.disburse(loan, teller, "cash", today=start)
        found[name] = loan
    db.session.commit()
    return found


def _balance(kop, purpose) -> int:
    return sum(line.amount for entry in kop_entries(kop) for line in entry.lines if line.account.purpose == purpose)


def kop_entries(kop):
    return loans.db.session.scalars(sa.select(Entry).where(Entry.koperasi_id == kop.id)).all()


def test_each_loan_is_classed_by_its_days_past_due_and_npl_is_the_bad_share(kop, book):
    rows = collectability.classify(kop.id, date(2026, 6, 30))
    assert {row.loan_id: (row.days_late, row.klass) for row in rows} == {
        book["lancar"].id: (0, "lancar"), book["kurang_lancar"].id: (121, "kurang_lancar"),
        book["diragukan"].id: (211, "diragukan"), book["macet"].id: (302, "macet")}
    summary = collectability.summarize(kop, rows)
    assert summary.total == 4_000_000 and summary.npl == 3_000_000 and summary.npl_ratio == 75.0
    # 0,5 % + 10 % + 50 % + 100 % of Rp1.000.000 each.
    assert summary.required_total == 5_000 + 100_000 + 500_000 + 1_000_000


@pytest.mark.parametrize("days, name", [(0, "lancar"), (90, "lancar"), (91, "kurang_lancar"), (180, "kurang_lancar"),
                                        (181, "diragukan"), (270, "diragukan"), (271, "macet")])
def test_the_class_thresholds(days, name):
    assert collectability.class_of(days) == name


def test_the_month_end_allowance_goes_up_then_down_once_per_month(kop, book, db):
    june = collectability.provision(kop, "2026-06")
    db.session.commit()
    assert june.kind == "provision" and june.total == 1_605_000
    assert _balance(kop, Purpose.LOAN_LOSS) == 1_605_000 and _balance(kop, Purpose.ALLOWANCE) == -1_605_000
    assert collectability.provision(kop, date(2026, 6, 15)).id == june.id  # again: nothing more
    # The koperasi lowers its diragukan rate to 25 %: July needs 5.000 + 100.000 + 250.000 + 1.000.000.
    collectability.set_rates(kop, {"lancar": 50, "kurang_lancar": 1000, "diragukan": 2500, "macet": 10000})
    july = collectability.provision(kop, "2026-07")
    db.session.commit()
    assert _balance(kop, Purpose.ALLOWANCE) == -1_355_000 and july.total == 250_000
    assert [line.amount for line in july.lines if line.account.purpose == Purpose.LOAN_LOSS] == [-250_000]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == "provision")) == 2
    assert books_check.check() == []


def test_a_month_not_ended_is_not_provisioned(kop, book):
    with pytest.raises(DomainError):
        collectability.provision(kop, collectability.month_of(collectability.zone_of(kop).today()))


@pytest.mark.parametrize("values", [
    {"lancar": 50, "kurang_lancar": 1000, "diragukan": 5000, "macet": 10001},
    {"lancar": 50, "kurang_lancar": 1000, "diragukan": 500, "macet": 10000},
    {"lancar": None, "kurang_lancar": 1000, "diragukan": 5000, "macet": 10000},
])
def test_absurd_provisioning_rates_are_refused(kop, values):
    with pytest.raises(DomainError):
        collectability.set_rates(kop, values)


def test_write_off_uses_the_allowance_then_expense_and_a_recovery_is_income(kop, book, teller, db):
    collectability.provision(kop, "2026-06")  # allowance Rp1.605.000
    macet = collectability.write_off(book["macet"], board(kop), "Anggota pindah, tidak bisa ditagih", key="wo-1")
    db.session.commit()
    assert macet.kind == "write_off" and book["macet"].status == "writeoff"
    assert book["macet"].written_off_idr == 1_000_000
    assert _balance(kop, Purpose.ALLOWANCE) == -605_000 and _balance(kop, Purpose.LOAN_LOSS) == 1_605_000
    # The next one is bigger than the allowance left: Rp605.000 from it, Rp395.000 to expense.
    collectability.write_off(book["diragukan"], board(kop), "Usaha bangkrut total")
    db.session.commit()
    assert _balance(kop, Purpose.ALLOWANCE) == 0 and _balance(kop, Purpose.LOAN_LOSS) == 2_000_000
    assert _balance(kop, Purpose.LOANS) == 2_000_000  # the two loans still on the books
    assert {loan.id for loan, _got in collectability.written_off(kop.id)} == {book["macet"].id, book["diragukan"].id}
    # Again with the same key: the same entry; a loan already written off is refused.
    assert collectability.write_off(book["macet"], board(kop), "lagi lagi", key="wo-1").id == macet.id
    with pytest.raises(DomainError):
        collectability.write_off(book["macet"], board(kop), "Sekali lagi ya", key="wo-2")
    db.session.rollback()

    owed = collectability.still_owed(book["macet"])
    assert owed == 12 * (1_000_000 // 12) + 1_000_000 - 12 * (1_000_000 // 12) + 12 * 10_000
    back = collectability.recover(book["macet"], 500_000, "cash", teller)
    db.session.commit()
    assert back.kind == "recovery" and _balance(kop, Purpose.OTHER_INCOME) == -500_000
    assert collectability.still_owed(book["macet"]) == owed - 500_000
    assert dict(collectability.written_off(kop.id))[book["macet"]] == 500_000
    with pytest.raises(DomainError) as refused:
        collectability.recover(book["macet"], owed, "cash", teller)
    assert refused.value.errors[0][0] == "amount"
    db.session.rollback()
    with pytest.raises(DomainError):  # a loan being repaid takes repayments, not recoveries
        collectability.recover(book["lancar"], 10_000, "cash", teller)
    db.session.rollback()
    assert books_check.check() == []


def test_a_write_off_needs_a_reason(kop, book):
    with pytest.raises(DomainError) as refused:
        collectability.write_off(book["macet"], board(kop), "")
    assert refused.value.errors[0][0] == "reason"
