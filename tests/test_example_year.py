"""A small koperasi's whole book year, written out by hand: its opening balance sheet, a year
of savings, a loan, the cash book's income and expenses, the month-end runs (sukarela
interest with the PP 15/2009 tax, the loan-loss allowance), depreciation by journal, then
the closing of the year. Every figure of the statements below was computed by hand from
the story (the interest month by month in the table), not by the code under test.

Koperasi Contoh Sejahtera, Bandung (WIB), book year 2025, cut-over 1 January 2025:

Opening balance sheet: cash 10.000.000, bank 40.000.000, fixed assets 12.000.000 =
reserve 22.000.000 + grants (hibah) 40.000.000.

2 Jan   Siti, Budi, Rina pay simpanan pokok 100.000 each and a year of wajib 240.000 each, cash.
2 Jan   Siti saves 12.000.000 sukarela in cash; Budi 60.000.000 by bank.
5 Jan   Rent for the year, 3.600.000 cash.
15 Jan  Rina borrows 30.000.000 (flat 1 %/month, 12 months, 1 % fee deducted): 29.700.000 paid by bank.
        She pays 2.800.000 (2.500.000 principal + 300.000 interest) in cash on each due day,
        15 Feb to 15 Dec: 11 instalments.
Monthly 10th: goods for the store 4.500.000 cash (cost of goods sold); 20th: utilities 250.000
        cash; 25th: salaries 800.000 by bank; 28th: store sales 7.000.000 cash.
30 Jun  Other income 1.000.000 by bank (rent of the hall).
31 Dec  Depreciation 3.000.000 (12.000.000 over four years) by journal.
Month ends: sukarela interest 6 % a year on the lowest daily balance, actual/365, paid into
        sukarela at each month's end (so it earns the next month); 10 % final tax on a month's
        interest above Rp240.000 (Budi's); the loan-loss allowance 0,5 % of Rina's lancar loan.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from models import books, books_check, chart, loans, months, periods, savings
from models.cashbook import record
from models.chart import JournalRow
from models.ledger import Account
from models.month_end import run_month_end
from tests.conftest import board
from web.extensions import db as _db

NIKS = [f"32730115089{n:05d}" for n in range(41, 44)]
YEAR = 2025
# Sukarela interest by month (Feb…Dec; January's lowest balance was Rp0, on 1 January), worked out by
# hand: round half up (balance × 6 % × days / 365), the balance growing by each month's interest less tax.
SITI = [55_233, 61_432, 59_753, 62_050, 60_354, 62_673, 62_993, 61_271, 63_626, 61_887, 64_266]
BUDI = [276_164, 307_020, 298_479, 309_797, 301_179, 312_599, 314_033, 305_296, 316_873, 308_058, 319_739]
BUDI_TAX = [27_616, 30_702, 29_848, 30_980, 30_118, 31_260, 31_403, 30_530, 31_687, 30_806, 31_974]


def at_wib(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day) + timedelta(hours=hour - 7)


def account(kop, code: str) -> Account:
    return next(a for a in chart.chart(kop) if a.code == code)


@pytest.fixture
def year(make_koperasi, make_staff, make_member, make_user, db):
    kop = make_koperasi(name="Koperasi Contoh Sejahtera", pokok_idr=100_000, wajib_idr=20_000, province_code="32")
    kop.savings_rate_bp, kop.interest_method, kop.interest_tax = 600, "minimum", True
    pengurus, teller = board(kop), make_staff(kop, "teller")
    db.session.commit()
    code = {c: account(kop, c).id for c in ("1101", "1102", "1501", "3201", "3301", "4201", "4901", "5201",
                                              "5202", "5203", "5205", "5301", "1509")}
    chart.post_opening(kop, date(YEAR, 1, 1), {code["1101"]: 10_000_000, code["1102"]: 40_000_000,
                                               code["1501"]: 12_000_000, code["3201"]: 22_000_000,
                                               code["3301"]: 40_000_000}, pengurus)
    siti, budi, rina = (make_member(kop, user=make_user(full_name=name), status="approved", nik=nik)
                        for name, nik in zip(("Siti Aminah", "Budi Santoso", "Rina Wati"), NIKS, strict=True))
    jan2 = at_wib(date(YEAR, 1, 2))
    for member in (siti, budi, rina):
        savings.deposit(member, "pokok", 100_000, "cash", teller, at=jan2)
        savings.deposit(member, "wajib", 240_000, "cash", teller, at=jan2)
    savings.deposit(siti, "sukarela", 12_000_000, "cash", teller, at=jan2)
    savings.deposit(budi, "sukarela", 60_000_000, "bank", teller, at=jan2)

    def cash_book(direction, purpose_code, money_code, amount, day, what):
        record(kop, direction, code[purpose_code], code[money_code], amount, day, what, "", teller)

    cash_book("out", "5202", "1101", 3_600_000, date(YEAR, 1, 5), "Sewa kantor 2025")
    product = loans.save_product(kop, dict(
        name="Modal Usaha", method="flat", monthly_rate_bp=100, fee_bp=100, fee_mode="deducted",
        max_amount_idr=50_000_000, min_tenor=3, max_tenor=24, late_fee_mode="per_day", late_fee_idr=5_000))
    loan = loans.apply(rina, product, 30_000_000, 12, "Modal toko kelontong")
    loans.approve(loan, pengurus)
    loans.disburse(loan, teller, "bank", today=date(YEAR, 1, 15))
    db.session.commit()
    for month in range(1, 13):
        cash_book("out", "5301", "1101", 4_500_000, date(YEAR, month, 10), "Belanja barang toko")
        if month > 1:
            loans.repay(loan, 2_800_000, "cash", teller, today=date(YEAR, month, 15))
        cash_book("out", "5203", "1101", 250_000, date(YEAR, month, 20), "Listrik dan air")
        cash_book("out", "5201", "1102", 800_000, date(YEAR, month, 25), "Gaji pengelola")
        cash_book("in", "4201", "1101", 7_000_000, date(YEAR, month, 28), "Penjualan toko")
        if month == 6:
            cash_book("in", "4901", "1102", 1_000_000, date(YEAR, 6, 30), "Sewa aula")
        if month == 12:
            chart.post_journal(kop, date(YEAR, 12, 31), [JournalRow(code["5205"], 3_000_000, None),
                                                         JournalRow(code["1509"], None, 3_000_000)],
                               "Penyusutan inventaris 2025", pengurus)
        db.session.commit()
        for outcome in run_month_end(kop, date(YEAR, month, 1), by=pengurus):
            assert outcome.error is None, outcome
        db.session.commit()
    return kop, pengurus, (siti, budi, rina)


INCOME = {"4101": 11 * 300_000, "4102": 300_000, "4201": 12 * 7_000_000, "4901": 1_000_000}
EXPENSES = {"5101": sum(SITI) + sum(BUDI), "5201": 12 * 800_000, "5202": 3_600_000, "5203": 12 * 250_000,
            "5205": 3_000_000, "5206": 12_500, "5301": 12 * 4_500_000}
SURPLUS = sum(INCOME.values()) - sum(EXPENSES.values())


def by_code(group) -> dict[str, int]:
    return {row.code: row.amount for row in group.rows if row.amount}


def test_the_hand_computed_year(year):
    kop, pengurus, (siti, budi, _rina) = year
    assert (sum(INCOME.values()), sum(EXPENSES.values()), SURPLUS) == (88_600_000, 77_257_275, 11_342_725)

    # The members' own figures: interest less tax, month by month, on their sukarela.
    assert savings.balances(siti.id)["sukarela"] == 12_000_000 + sum(SITI) == 12_675_538
    assert savings.balances(budi.id)["sukarela"] == 60_000_000 + sum(BUDI) - sum(BUDI_TAX) == 63_032_313

    statement = books.hasil_usaha(kop, date(YEAR, 1, 1), date(YEAR, 12, 31))
    assert by_code(statement.income) == INCOME
    assert by_code(statement.expenses) == EXPENSES
    assert statement.surplus == SURPLUS

    sheet = books.neraca(kop, date(YEAR, 12, 31))
    cash = 10_000_000 + 3 * 340_000 + 12_000_000 - 3_600_000 + 12 * (7_000_000 - 4_500_000 - 250_000) + 11 * 2_800_000
    bank = 40_000_000 + 60_000_000 - 29_700_000 - 12 * 800_000 + 1_000_000
    assert (cash, bank) == (77_220_000, 61_700_000)
    assert by_code(sheet.assets) == {"1101": cash, "1102": bank, "1301": 2_500_000, "1309": -12_500,
                                     "1501": 12_000_000, "1509": -3_000_000}
    assert by_code(sheet.liabilities) == {"2101": 75_707_851, "2401": sum(BUDI_TAX)}
    assert by_code(sheet.equity) == {"3101": 300_000, "3102": 720_000, "3201": 22_000_000, "3301": 40_000_000,
                                     "3401": SURPLUS}
    assert sheet.assets.total == sheet.liabilities.total + sheet.equity.total == 150_407_500

    # Closing the year moves the surplus into SHU of the current year; the statements keep their figures.
    periods.close_year(kop, YEAR, pengurus)
    _db.session.commit()
    after = books.neraca(kop, date(YEAR, 12, 31))
    assert by_code(after.equity)["3401"] == SURPLUS and after.assets.total == 150_407_500
    assert books.hasil_usaha(kop, date(YEAR, 1, 1), date(YEAR, 12, 31)).surplus == SURPLUS
    trial = books.trial_balance(kop, date(YEAR, 1, 1), date(YEAR, 12, 31))
    assert trial.debit == trial.credit
    assert books_check.check() == []
    assert months.label(date(YEAR, 12, 1)) == "2025-12"
