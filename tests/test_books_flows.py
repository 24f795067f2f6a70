"""The cash flow, the changes in equity, the previous period beside each statement and the
year's closing entry, on the hand-computed koperasi of tests/test_books.py."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from models import books, books_check, books_flows, ledger
from models.ledger import Account, Leg, Purpose
from tests.test_books import EVER, amounts, at_wib, example  # noqa: F401  (the hand-computed koperasi)

JANUARY, FEBRUARY = (date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 2, 1), date(2026, 2, 28))


def flows(activity: books_flows.Activity) -> dict[str, tuple[int, int]]:
    return {flow.code: (flow.receipts, flow.payments) for flow in activity.flows if flow.receipts or flow.payments}


@pytest.mark.parametrize(("start", "end", "before"), [
    (date(2026, 1, 1), date(2026, 1, 31), (date(2025, 12, 1), date(2025, 12, 31))),  # a month: the month before
    (date(2026, 3, 1), date(2026, 3, 31), (date(2026, 2, 1), date(2026, 2, 28))),
    (date(2026, 1, 1), date(2026, 12, 31), (date(2025, 1, 1), date(2025, 12, 31))),  # a year: the year before
    (date(2026, 4, 1), date(2026, 6, 30), (date(2026, 1, 1), date(2026, 3, 31))),  # a quarter
    (date(2026, 3, 10), date(2026, 3, 19), (date(2026, 2, 28), date(2026, 3, 9))),  # ten days: ten days before
    (date(2026, 12, 1), date(2026, 12, 2), (date(2026, 11, 1), date(2026, 11, 2))),  # a month to date (the default)
    (date(2026, 3, 1), date(2026, 3, 31 - 1), (date(2026, 2, 1), date(2026, 2, 28))),  # the 30th: February's end
    (date(2026, 1, 1), date(2026, 5, 17), (date(2025, 1, 1), date(2025, 5, 17))),  # a year to date
    (date(2026, 1, 10), date(2026, 2, 10), (date(2025, 12, 9), date(2026, 1, 9))),
    (date(2026, 3, 5), date(2026, 3, 5), (date(2026, 3, 4), date(2026, 3, 4))),
])
def test_the_previous_period(start, end, before):
    assert books.previous_period(start, end) == before
    assert books.previous_at(date(2026, 5, 17)) == books.previous_at(date(2026, 12, 31)) == date(2025, 12, 31)


def test_the_cash_flow_of_january(example):  # noqa: F811
    flow = books_flows.cash_flow(example, *JANUARY)
    operating, investing, financing = flow.activities
    # cash 200.000 pokok + 1.500.000 sukarela − 1.188.000 loan net of its fee; bank 20.000 wajib
    assert flows(operating) == {"1301": (0, 1_200_000), "2101": (1_500_000, 0), "4102": (12_000, 0)}
    assert flows(investing) == {} and flows(financing) == {"3101": (200_000, 0), "3102": (20_000, 0)}
    assert (operating.net, financing.net, flow.net) == (312_000, 220_000, 532_000)
    assert flow.opening == 0 and flow.closing == 532_000 == 512_000 + 20_000  # cash + bank on the neraca
    assert (flow.previous_start, flow.previous_end, flow.previous_opening, flow.previous_net) == (
        date(2025, 12, 1), date(2025, 12, 31), 0, 0)


def test_the_cash_flow_of_february_has_january_beside_it(example):  # noqa: F811
    flow = books_flows.cash_flow(example, *FEBRUARY)
    operating = flow.activities[0]
    # Budi's sukarela by bank (1 Feb WIB), his instalment in cash: principal back, interest in
    assert flows(operating) == {"1301": (200_000, 0), "2101": (300_000, 0), "4101": (12_000, 0)}
    assert flow.opening == 532_000 and flow.net == 512_000 and flow.closing == 1_044_000
    sheet = books.neraca(example, FEBRUARY[1])
    assert flow.closing == amounts(sheet.assets)["1101"] + amounts(sheet.assets)["1102"] == 724_000 + 320_000
    assert (flow.previous_opening, flow.previous_net, flow.previous_closing) == (0, 532_000, 532_000)
    assert {f.code: f.previous_payments for f in operating.flows} == {"1301": 1_200_000, "2101": 0, "4101": 0,
                                                                      "4102": 0}


def test_a_move_between_cash_and_bank_changes_neither_total(example, db):  # noqa: F811
    ledger.post(example, "journal", [Leg(Purpose.BANK, 100_000), Leg(Purpose.CASH, -100_000)], by=None,
                at=at_wib(date(2026, 2, 20), 9))
    flow = books_flows.cash_flow(example, *FEBRUARY)
    assert flow.net == 512_000 and flow.closing == 1_044_000


def test_the_changes_in_equity(example):  # noqa: F811
    january = books_flows.equity_changes(example, *JANUARY)
    rows = {row.code: row.now for row in january.rows if row.now.closing}
    assert rows == {"3101": books_flows.Movement(0, 200_000, 0), "3102": books_flows.Movement(0, 20_000, 0),
                    "3401": books_flows.Movement(0, 0, 0, 12_000)}  # the fee is January's surplus
    assert january.total("now").closing == 232_000 == books.neraca(example, JANUARY[1]).equity.total
    february = books_flows.equity_changes(example, *FEBRUARY)
    shu = next(row for row in february.rows if row.code == "3401")
    assert (shu.now.opening, shu.now.surplus, shu.now.closing) == (12_000, 12_000, 24_000)
    assert shu.before == books_flows.Movement(0, 0, 0, 12_000)  # January beside it
    assert february.total("now").closing == 244_000 == books.neraca(example, FEBRUARY[1]).equity.total
    assert february.total("before").closing == february.total("now").opening


def test_the_balance_sheet_has_the_end_of_the_previous_year_beside_it(example):  # noqa: F811
    sheet = books.neraca(example, date(2027, 1, 31))
    assert sheet.previous_at == date(2026, 12, 31)
    everything = books.neraca(example, EVER[1])
    assert {r.code: r.previous for r in sheet.assets.rows if r.previous} == amounts(everything.assets)
    assert sheet.assets.previous_total == sheet.previous_liabilities_and_equity == 2_094_000
    assert books.neraca(example, JANUARY[1]).assets.previous_total == 0  # nothing at the end of 2025


def test_the_income_statement_and_trial_balance_have_the_previous_month_beside_them(example):  # noqa: F811
    february = books.hasil_usaha(example, *FEBRUARY)
    assert {r.code: (r.amount, r.previous) for r in february.income.rows if r.amount or r.previous} == {
        "4101": (12_000, 0), "4102": (0, 12_000)}
    assert (february.surplus, february.previous_surplus) == (12_000, 12_000)
    trial = books.trial_balance(example, *FEBRUARY)
    assert trial.previous_debit == trial.previous_credit == 2_920_000  # January's, as computed by hand
    assert trial.debit == trial.credit == 300_000 + 212_000 + 200_000 + 12_000 - 200_000 - 12_000


def test_the_closing_entry_is_left_out_of_the_income_statement_only(example, db):  # noqa: F811
    """A year closed at the end of February (to keep the example short): interest and fees move into
    SHU of the current year. The income statement still shows them; the balance sheet is unchanged."""
    before = books.neraca(example, FEBRUARY[1])
    close = ledger.post(example, "year_close", [Leg(Purpose.INTEREST, 12_000), Leg(Purpose.FEES, 12_000),
                                                Leg(Purpose.SHU_CURRENT, -24_000)],
                        by=None, at=at_wib(FEBRUARY[1], 23))
    statement = books.hasil_usaha(example, JANUARY[0], FEBRUARY[1])
    assert amounts(statement.income) == {"4101": 12_000, "4102": 12_000} and statement.surplus == 24_000
    after = books.neraca(example, FEBRUARY[1])
    assert amounts(after.equity) == amounts(before.equity) and after.surplus == 0 and after.balanced
    trial = books.trial_balance(example, *FEBRUARY)
    assert {r.code: (r.debit, r.credit) for r in trial.rows if r.code in ("4101", "3401")} == {
        "4101": (12_000, 12_000), "3401": (0, 24_000)}
    changes = books_flows.equity_changes(example, *FEBRUARY)
    shu = next(row for row in changes.rows if row.code == "3401")
    assert shu.now == books_flows.Movement(12_000, 0, 0, 12_000)  # the closing entry only moved it
    assert changes.total("now").closing == after.equity.total
    # the year reopened in March: the reversal is not March's income either
    ledger.post(example, "reversal", [Leg(leg.account.purpose, -leg.amount) for leg in close.lines],
                by=None, reverses=close, at=at_wib(date(2026, 3, 2), 9))
    march = books.hasil_usaha(example, date(2026, 3, 1), date(2026, 3, 31))
    assert march.income.total == 0 and march.surplus == 0
    assert books.neraca(example, date(2026, 3, 31)).balanced and books_check.check_statements() == []


@pytest.mark.skipif(not hasattr(Account, "parent_id"), reason="sub-accounts come with part 'ledger'")
def test_a_sub_account_is_a_row_of_its_own(example, db):  # noqa: F811
    parent = db.session.scalar(sa.select(Account).where(Account.koperasi_id == example.id,
                                                        Account.purpose == Purpose.BANK, Account.code == "1102"))
    bri = Account(koperasi_id=example.id, purpose=Purpose.BANK, code="1103", kind="asset", name="Bank BRI",
                  parent_id=parent.id)
    db.session.add(bri)
    db.session.flush()
    ledger.post(example, "journal", [Leg(Purpose.BANK, 150_000, account_id=bri.id), Leg(Purpose.CASH, -150_000)],
                by=None, at=at_wib(date(2026, 2, 20), 9))
    sheet = books.neraca(example, FEBRUARY[1])
    assert {r.code: r.amount for r in sheet.assets.rows if r.code.startswith("110")} == {
        "1101": 574_000, "1102": 320_000, "1103": 150_000}  # the sub-account beside its standard account
    assert [str(r.label) for r in sheet.assets.rows if r.code == "1103"] == ["Bank BRI"]
    flow = books_flows.cash_flow(example, *FEBRUARY)
    assert flow.closing == 1_044_000 and flow.net == 512_000  # a move between cash accounts
    assert [line.debit for line in books.general_ledger(example, "1103", *FEBRUARY).lines] == [150_000]
    assert "1103" in [ref.code for ref in books.chart_of(example)]


def test_a_month_to_date_has_the_same_days_of_the_month_before_beside_it(example):  # noqa: F811
    flow = books_flows.cash_flow(example, date(2026, 2, 1), date(2026, 2, 5))
    assert (flow.previous_start, flow.previous_end) == (date(2026, 1, 1), date(2026, 1, 5))
    assert (flow.previous_opening, flow.previous_net, flow.previous_closing) == (0, 200_000, 200_000)  # the pokok
    assert (flow.opening, flow.net, flow.closing) == (532_000, 300_000, 832_000)  # Budi's sukarela by bank
    changes = books_flows.equity_changes(example, date(2026, 2, 1), date(2026, 2, 5))
    assert changes.total("before").closing == books.neraca(example, date(2026, 1, 5)).equity.total == 200_000
    assert changes.total("now").opening == 232_000
