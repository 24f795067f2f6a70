"""A savings-and-loans koperasi whose last book year has known figures, for the health rating's
hand-computed example (tests/test_health.py) and the browser journey.

Everything is dated in book year Y (last year) and the year is closed:
- capital: grants Rp20.000.000, simpanan pokok Rp2.000.000 and wajib Rp3.000.000, sukarela
  Rp30.000.000, all in cash; Rp10.000.000 of the cash taken to the bank;
- four loans, flat 12 months, nothing repaid, classed at 31 December by their first instalment's
  days past due: lancar Rp8.000.000 (paid out 1 December), kurang lancar Rp4.000.000 (1 July),
  diragukan Rp2.000.000 (1 May), macet Rp1.200.000 (1 February);
- December's loan-loss allowance at the default rates: 0,5 % × 8.000.000 + 10 % × 4.000.000
  + 50 % × 2.000.000 + 100 % × 1.200.000 = 40.000 + 400.000 + 1.000.000 + 1.200.000 = Rp2.640.000;
- income: jasa Rp9.000.000, provisi Rp200.000, other income Rp300.000; expenses: interest on
  savings Rp600.000, salaries Rp1.200.000, rent Rp400.000 (and the allowance above).
"""

from __future__ import annotations

from datetime import date, datetime

from models import collectability, loans, periods
from models.ledger import Leg, Purpose, post
from models.zones import zone_of
from tests.conftest import board

TERMS = dict(name="Pinjaman Anggota", method="flat", monthly_rate_bp=100, fee_bp=0, fee_mode="deducted",
             max_amount_idr=20_000_000, min_tenor=6, max_tenor=24, late_fee_mode="per_instalment", late_fee_idr=0)
LOANS = (("lancar", 8_000_000, (12, 1)), ("kurang_lancar", 4_000_000, (7, 1)), ("diragukan", 2_000_000, (5, 1)),
         ("macet", 1_200_000, (2, 1)))
JOURNAL = [  # (month, day, debit purpose, credit purpose, amount)
    (1, 2, Purpose.CASH, Purpose.GRANTS, 20_000_000),
    (1, 3, Purpose.CASH, Purpose.POKOK, 2_000_000),
    (1, 3, Purpose.CASH, Purpose.WAJIB, 3_000_000),
    (1, 4, Purpose.CASH, Purpose.SUKARELA, 30_000_000),
    (1, 5, Purpose.BANK, Purpose.CASH, 10_000_000),
    (6, 30, Purpose.CASH, Purpose.INTEREST, 9_000_000),
    (6, 30, Purpose.CASH, Purpose.FEES, 200_000),
    (6, 30, Purpose.CASH, Purpose.OTHER_INCOME, 300_000),
    (12, 20, Purpose.SAVINGS_INTEREST, Purpose.CASH, 600_000),
    (12, 20, Purpose.SALARIES, Purpose.CASH, 1_200_000),
    (12, 20, Purpose.RENT, Purpose.CASH, 400_000),
]


def year_of_books(koperasi, member, teller, db) -> int:
    """Post book year Y's figures (see the module) and close it; returns Y."""
    year = zone_of(koperasi).today().year - 1
    for month, day, debit, credit, amount in JOURNAL:
        post(koperasi, "journal", [Leg(debit, amount), Leg(credit, -amount)], by=None, memo="Contoh",
             at=datetime(year, month, day, 3))
    product = loans.save_product(koperasi, dict(TERMS))
    for _name, amount, (month, day) in LOANS:
        loan = loans.apply(member, product, amount, 12, "Modal usaha warung")
        loans.approve(loan, board(koperasi))
        loans.disburse(loan, teller, "cash", today=date(year, month, day))
    collectability.provision(koperasi, f"{year}-12")
    periods.close_year(koperasi, year, board(koperasi))
    db.session.commit()
    return year


# The management questionnaire of the example: how many "yes" per component.
YES = {"umum": 10, "kelembagaan": 5, "permodalan": 4, "aktiva": 8, "likuiditas": 3}


def yes_codes() -> list[str]:
    from models.health import QUESTIONS

    return [code for key, (_points, questions) in QUESTIONS.items() for code, _text in questions[:YES[key]]]
