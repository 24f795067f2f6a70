"""The books as downloads: each statement's rows as CSV (the columns tools rely on: one period,
fixed English column names, amounts as whole Rupiah) and as XLSX (headings in the user's
language, the previous period beside, the koperasi and period at the top)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import books, books_flows
from models.koperasi import Koperasi
from models.ledger import Purpose
from models.statement import ENTRY_LABELS
from web.i18n import local_datetime
from web.spreadsheet import XRow, csv_response, xlsx_response

# What money into or out of cash against a standard account was, in words (else "Received: <account>").
FLOW_LABELS = {
    (Purpose.SUKARELA, "in"): _l("Simpanan sukarela deposited"), (Purpose.SUKARELA, "out"): _l("Simpanan sukarela withdrawn"),
    (Purpose.LOANS, "in"): _l("Loan principal repaid"), (Purpose.LOANS, "out"): _l("Loans disbursed"),
    (Purpose.INTEREST, "in"): _l("Loan interest received"), (Purpose.FEES, "in"): _l("Loan fees received"),
    (Purpose.PENALTIES, "in"): _l("Late fees received"), (Purpose.SALES, "in"): _l("Store sales received"),
    (Purpose.SETTLEMENT, "in"): _l("Market payments received for sellers"),
    (Purpose.SETTLEMENT, "out"): _l("Market sales paid to sellers"),
    (Purpose.POKOK, "in"): _l("Simpanan pokok paid in"), (Purpose.POKOK, "out"): _l("Simpanan pokok refunded"),
    (Purpose.WAJIB, "in"): _l("Simpanan wajib paid in"), (Purpose.WAJIB, "out"): _l("Simpanan wajib refunded"),
}


def flow_label(flow: books_flows.Flow, direction: str) -> str:
    """A cash flow row's name: what the money was for (``direction`` "in" or "out")."""
    if flow.account.standard and (flow.account.purpose, direction) in FLOW_LABELS:
        return str(FLOW_LABELS[(flow.account.purpose, direction)])
    if direction == "in":
        return _("Received: %(account)s", account=flow.label)
    return _("Paid: %(account)s", account=flow.label)


@dataclass
class About:
    """What the top of a spreadsheet says: whose statement, which one, for when."""

    koperasi: Koperasi
    title: str
    period: str

    def lines(self) -> list[str]:
        return [self.koperasi.name, _("Legal entity number: %(number)s", number=self.koperasi.legal_number),
                self.period]


def _xlsx(about: About, filename: str, header, rows):
    return xlsx_response(f"{filename}.xlsx", about.title, about.lines(), header, rows)


def _kind(kind: str) -> str:
    return {"asset": _("Assets"), "liability": _("Liabilities"), "equity": _("Equity"), "income": _("Income"),
            "expense": _("Expenses")}.get(kind, kind)


def trial_balance(wanted: str, about: About, trial: books.TrialBalance, headings, filename: str):
    if wanted == "csv":
        rows = [(r.code, str(r.label), r.kind, r.debit, r.credit) for r in trial.rows]
        rows.append(("", _("Total"), "", trial.debit, trial.credit))
        return csv_response(f"{filename}.csv", ["code", "name", "kind", "debit", "credit"], rows)
    now, then = headings
    header = [_("Code"), _("Account"), _("Kind"), f"{_('Debit')} {now}", f"{_('Credit')} {now}",
              f"{_('Debit')} {then}", f"{_('Credit')} {then}"]
    rows = [XRow([r.code, str(r.label), _kind(r.kind), r.debit, r.credit, r.previous_debit, r.previous_credit])
            for r in trial.rows]
    rows.append(XRow(["", _("Total"), "", trial.debit, trial.credit, trial.previous_debit, trial.previous_credit], True))
    return _xlsx(about, filename, header, rows)


def _group_rows(groups: list[tuple[books.Group, str]], csv: bool) -> list:
    """The rows of the neraca or hasil usaha. CSV (the issue's columns): each account in its own
    normal balance (PPAP and accumulated depreciation positive, as credits), the group's total
    deducting them; XLSX: as the page shows them, a deduction negative so the rows add up."""
    rows = []
    for group, total_label in groups:
        if csv:
            rows += [(r.code, str(r.label), r.kind, r.own_balance) for r in group.rows]
            rows.append(("", total_label, group.kind, group.total))
        else:
            rows.append(XRow(["", _kind(group.kind)], True))
            rows += [XRow([r.code, str(r.label), r.amount, r.previous]) for r in group.rows]
            rows.append(XRow(["", total_label, group.total, group.previous_total], True))
    return rows


def neraca(wanted: str, about: About, sheet: books.BalanceSheet, headings, filename: str):
    groups = [(sheet.assets, _("Total assets")), (sheet.liabilities, _("Total liabilities")),
              (sheet.equity, _("Total equity"))]
    rows = _group_rows(groups, wanted == "csv")
    if wanted == "csv":
        rows.append(("", _("Total liabilities and equity"), "", sheet.liabilities_and_equity))
        return csv_response(f"{filename}.csv", ["code", "name", "kind", "amount"], rows)
    rows.append(XRow(["", _("Total liabilities and equity"), sheet.liabilities_and_equity,
                      sheet.previous_liabilities_and_equity], True))
    return _xlsx(about, filename, [_("Code"), _("Account"), *headings], rows)


def hasil_usaha(wanted: str, about: About, statement: books.IncomeStatement, headings, filename: str):
    rows = _group_rows([(statement.income, _("Total income")), (statement.expenses, _("Total expenses"))],
                       wanted == "csv")
    if wanted == "csv":
        rows.append(("", _("Surplus (SHU)"), "", statement.surplus))
        return csv_response(f"{filename}.csv", ["code", "name", "kind", "amount"], rows)
    rows.append(XRow(["", _("Surplus (SHU)"), statement.surplus, statement.previous_surplus], True))
    return _xlsx(about, filename, [_("Code"), _("Account"), *headings], rows)


def _activity_title(name: str) -> str:
    return {"operating": _("Operating activities"), "investing": _("Investing activities"),
            "financing": _("Financing activities")}[name]


def _activity_label(name: str) -> str:
    return {"operating": _("Net cash from operating activities"), "investing": _("Net cash from investing activities"),
            "financing": _("Net cash from financing activities")}[name]


def cash_flow(wanted: str, about: About, flow: books_flows.CashFlow, headings, filename: str):
    """CSV ``activity,code,name,amount``: receipts positive, payments negative, with the opening,
    each activity's net, the net change and the closing (rows with an empty code)."""
    if wanted == "csv":
        rows = [("", "", _("Opening balance"), flow.opening)]
        for activity in flow.activities:
            rows += [(activity.name, f.code, str(f.label), f.receipts) for f in activity.flows if f.receipts]
            rows += [(activity.name, f.code, str(f.label), -f.payments) for f in activity.flows if f.payments]
            rows.append((activity.name, "", _activity_label(activity.name), activity.net))
        rows += [("", "", _("Net change in cash and bank"), flow.net), ("", "", _("Closing balance"), flow.closing)]
        return csv_response(f"{filename}.csv", ["activity", "code", "name", "amount"], rows)
    rows = [XRow(["", _("Opening balance"), flow.opening, flow.previous_opening], True)]
    for activity in flow.activities:
        rows.append(XRow(["", _activity_title(activity.name)], True))
        rows += [XRow([f.code, flow_label(f, "in"), f.receipts, f.previous_receipts]) for f in activity.receipts]
        rows += [XRow([f.code, flow_label(f, "out"), -f.payments, -f.previous_payments]) for f in activity.payments]
        rows.append(XRow(["", _activity_label(activity.name), activity.net, activity.previous_net], True))
    rows += [XRow(["", _("Net change in cash and bank"), flow.net, flow.previous_net], True),
             XRow(["", _("Closing balance"), flow.closing, flow.previous_closing], True)]
    return _xlsx(about, filename, [_("Code"), _("Description"), *headings], rows)


def equity_changes(wanted: str, about: About, changes: books_flows.EquityChanges, headings, filename: str):
    """CSV ``code,name,opening,increases,decreases,surplus,closing`` for the period, a total row with
    an empty code; the XLSX has the period, then the previous period below it."""
    def cells(movement):
        return [movement.opening, movement.increases, movement.decreases, movement.surplus, movement.closing]

    if wanted == "csv":
        rows = [(r.code, str(r.label), *cells(r.now)) for r in changes.rows]
        rows.append(("", _("Total equity"), *cells(changes.total("now"))))
        return csv_response(f"{filename}.csv", ["code", "name", "opening", "increases", "decreases", "surplus",
                                                "closing"], rows)
    rows = []
    for period, heading in zip(("now", "before"), headings, strict=True):
        rows.append(XRow([heading], True))
        rows += [XRow([r.code, str(r.label), *cells(getattr(r, period))]) for r in changes.rows]
        rows.append(XRow(["", _("Total equity"), *cells(changes.total(period))], True))
    header = [_("Code"), _("Account"), _("Opening balance"), _("Increases"), _("Decreases"),
              _("Surplus of the period"), _("Closing balance")]
    return _xlsx(about, filename, header, rows)


def general_ledger(wanted: str, about: About, gl: books.AccountLedger, koperasi: Koperasi, filename: str):
    lines = [(local_datetime(line.posted_at, "yyyy-MM-dd HH:mm", koperasi), line.ref,
              str(ENTRY_LABELS.get(line.entry_kind, line.entry_kind)), line.debit or "", line.credit or "", line.balance)
             for line in gl.lines]
    if wanted == "csv":
        rows = [("", "", _("Opening balance"), "", "", gl.opening), *lines,
                ("", "", _("Closing balance"), "", "", gl.closing)]
        return csv_response(f"{filename}.csv", ["date", "ref", "description", "debit", "credit", "balance"], rows)
    rows = [XRow(["", "", _("Opening balance"), "", "", gl.opening], True), *(XRow(line) for line in lines),
            XRow(["", "", _("Closing balance"), "", "", gl.closing], True)]
    header = [_("Date"), _("Receipt number"), _("Description"), _("Debit"), _("Credit"), _("Balance")]
    return _xlsx(about, filename, header, rows)
