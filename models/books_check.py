"""The proof of the books, for an operator (``flask --app wsgi ledger-check``) and the tests.

Rules checked, over every koperasi:
- every entry balances (debits = credits) and has two or more lines, each on an account of the
  entry's own koperasi (the statements reach a koperasi's lines through its accounts);
- every cached savings balance (``SavingsBalance``) equals the sum of its lines;
- each loan's receivable, interest and late fees in the ledger equal its instalments;
- every account's cached balance equals the sum of its lines, and no cash or bank account
  (sub-accounts included) is below zero;
- every account's totals of a day (``AccountDay``) equal its lines of that UTC day, closing
  entries apart, and no line is missing from its day (the statements read the days);
- every active member's dues bills carry their wajib balance laid oldest first (``models.dues``);
- the withdrawals awaiting payout hold what their liability account holds, member by member
  (``models.withdrawals``);
- every account is one of the standard chart's or a sub-account of one (else the statements
  would leave it out), and
  each koperasi's trial balance sums to zero and its balance sheet balances (``models.books``).
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from models import books, dues
from models.base import db
from models.koperasi import Koperasi
from models.ledger import CHART, HELD, SAVINGS, YEAR_CLOSE, Account, AccountDay, Entry, Line, Purpose, SavingsBalance
from models.loans import Instalment, Loan
from models.withdrawals import Status, Withdrawal


def check() -> list[str]:
    """Every entry balances; every cached balance equals the sum of its lines.
    Returns the problems found (empty when the books are sound)."""
    return (check_entries() + check_savings() + check_loans() + check_accounts() + check_account_days()
            + dues.check_bills() + check_withdrawals() + check_statements())


def check_withdrawals() -> list[str]:
    """Each member's lines on "withdrawals awaiting payout" sum to their awaiting withdrawals."""
    held = dict(db.session.execute(
        sa.select(Line.membership_id, -sa.func.sum(Line.amount)).join(Account)
        .where(Account.purpose == Purpose.WITHDRAWALS).group_by(Line.membership_id)).all())
    awaiting = dict(db.session.execute(
        sa.select(Withdrawal.membership_id, sa.func.sum(Withdrawal.amount_idr))
        .where(Withdrawal.status == Status.AWAITING).group_by(Withdrawal.membership_id)).all())
    return [f"membership {member}: withdrawals awaiting {awaiting.get(member, 0)}, held in the books {held.get(member, 0)}"
            for member in sorted(set(held) | set(awaiting), key=lambda m: m or 0)
            if held.get(member, 0) != awaiting.get(member, 0)]


def check_entries() -> list[str]:
    """Every entry balances and has two or more lines."""
    problems = []
    unbalanced = db.session.execute(
        sa.select(Line.entry_id, sa.func.sum(Line.amount)).group_by(Line.entry_id)
        .having(sa.func.sum(Line.amount) != 0)).all()
    problems += [f"entry {entry_id} does not balance ({total:+})" for entry_id, total in unbalanced]
    short = db.session.execute(sa.select(Entry.id).outerjoin(Line).group_by(Entry.id)
                               .having(sa.func.count(Line.id) < 2)).scalars().all()
    problems += [f"entry {entry_id} has fewer than two lines" for entry_id in short]
    foreign = db.session.execute(sa.select(Line.entry_id, Line.account_id).join(Entry, Entry.id == Line.entry_id)
                                 .join(Account, Account.id == Line.account_id)
                                 .where(Account.koperasi_id != Entry.koperasi_id)).all()
    problems += [f"entry {entry_id} has a line on account {account_id} of another koperasi"
                 for entry_id, account_id in foreign]
    return problems


def check_savings() -> list[str]:
    """Every cached savings balance equals the sum of its lines."""
    problems = []
    derived = dict.fromkeys(db.session.execute(sa.select(SavingsBalance.membership_id, SavingsBalance.kind)), 0)
    kinds = {purpose: kind for kind, purpose in SAVINGS.items()}
    rows = db.session.execute(
        sa.select(Line.membership_id, Account.purpose, -sa.func.sum(Line.amount)).join(Account)
        .where(Account.purpose.in_(list(kinds)), Line.membership_id.is_not(None))
        .group_by(Line.membership_id, Account.purpose))
    for membership_id, purpose, total in rows:
        derived[(membership_id, kinds[purpose])] = total
    cached = {(m, k): b for m, k, b in db.session.execute(
        sa.select(SavingsBalance.membership_id, SavingsBalance.kind, SavingsBalance.balance))}
    for key, total in derived.items():
        if cached.get(key, 0) != total:
            problems.append(f"savings {key}: cached {cached.get(key, 0)}, lines say {total}")
    return problems


def check_accounts() -> list[str]:
    """Every cached account balance equals its lines; cash and bank are never below zero."""
    lines = sa.select(sa.func.coalesce(sa.func.sum(Line.amount), 0)).where(Line.account_id == Account.id)
    rows = db.session.execute(sa.select(Account.id, Account.code, Account.koperasi_id, Account.purpose,
                                        Account.balance, lines.scalar_subquery()))
    problems = []
    for account_id, code, koperasi_id, purpose, cached, total in rows:
        if cached != total:
            problems.append(f"account {account_id} ({code}) of koperasi {koperasi_id}: cached {cached}, lines say {total}")
        if purpose in HELD and total < 0:
            problems.append(f"account {account_id} ({code}) of koperasi {koperasi_id} is below zero ({total})")
    return problems


def check_account_days() -> list[str]:
    """Every account's row of a day holds the debits and credits of its lines posted that UTC day (a year's
    closing entry and its reversal in the day's closing row), and every line is in its day's row. The two
    are compared in the database, which sends back only the days that differ."""
    reversed_ = aliased(Entry)
    closing = sa.or_(Entry.kind == YEAR_CLOSE, sa.func.coalesce(reversed_.kind == YEAR_CLOSE, False))
    day = sa.func.date(Entry.posted_at, type_=sa.Date)
    lines = (sa.select(Line.account_id.label("account_id"), day.label("day"), closing.label("closing"),
                       sa.func.sum(sa.case((Line.amount > 0, Line.amount), else_=0)).label("debit"),
                       sa.func.sum(sa.case((Line.amount < 0, -Line.amount), else_=0)).label("credit"))
             .join(Entry, Entry.id == Line.entry_id).outerjoin(reversed_, reversed_.id == Entry.reverses_id)
             .group_by(Line.account_id, day, closing).subquery())
    cached = AccountDay.__table__
    same_day = sa.and_(lines.c.account_id == cached.c.account_id, lines.c.day == cached.c.day,
                       lines.c.closing == cached.c.closing)
    differ = sa.or_(cached.c.account_id.is_(None),  # lines without a day row
                    sa.and_(lines.c.account_id.is_(None), sa.or_(cached.c.debit != 0, cached.c.credit != 0)),
                    cached.c.debit != lines.c.debit, cached.c.credit != lines.c.credit)
    rows = db.session.execute(
        sa.select(sa.func.coalesce(lines.c.account_id, cached.c.account_id), sa.func.coalesce(lines.c.day, cached.c.day),
                  sa.func.coalesce(lines.c.closing, cached.c.closing), cached.c.account_id.is_not(None),
                  cached.c.debit, cached.c.credit, lines.c.debit, lines.c.credit)
        .select_from(lines.join(cached, same_day, full=True)).where(differ))
    problems = []
    for account_id, on, shut, has_row, debit, credit, line_debit, line_credit in sorted(rows, key=lambda row: row[:3]):
        said = f"{debit}/{credit}" if has_row else "none/none"
        problems.append(f"account {account_id} on {on}{' (closing)' if shut else ''}: day totals say debit/credit "
                        f"{said}, lines say {int(line_debit or 0)}/{int(line_credit or 0)}")
    return problems


def check_loans() -> list[str]:
    """Each loan's receivable, interest and late fees in the ledger equal its instalments."""
    ledger = {}
    rows = db.session.execute(
        sa.select(Line.loan_id, Account.purpose, sa.func.sum(Line.amount)).join(Account)
        .where(Line.loan_id.is_not(None)).group_by(Line.loan_id, Account.purpose))
    for loan_id, purpose, total in rows:
        ledger[(loan_id, purpose)] = total
    problems = []
    # A written-off loan's principal left the books (hapus buku) while its instalments still say it is owed.
    cached = db.session.execute(
        sa.select(Instalment.loan_id, sa.func.sum(Instalment.principal_due - Instalment.principal_paid)
                  - sa.func.max(sa.func.coalesce(Loan.written_off_idr, 0)),
                  sa.func.sum(Instalment.interest_paid), sa.func.sum(Instalment.late_fee_paid))
        .join(Loan, Loan.id == Instalment.loan_id).group_by(Instalment.loan_id))
    for loan_id, principal_left, interest_paid, late_paid in cached:
        for purpose, expected in ((Purpose.LOANS, principal_left), (Purpose.INTEREST, -interest_paid),
                                  (Purpose.PENALTIES, -late_paid)):
            if ledger.get((loan_id, purpose), 0) != expected:
                problems.append(f"loan {loan_id} {purpose}: instalments say {expected}, "
                                f"lines say {ledger.get((loan_id, purpose), 0)}")
    return problems


def check_statements() -> list[str]:
    """Every account is in the chart; each koperasi's trial balance over its whole history sums to zero and
    its balance sheet balances (assets = liabilities + equity, the surplus included)."""
    at = date.max - timedelta(days=1)
    chart = {(purpose, code, kind) for purpose, code, kind, _label in CHART}
    kinds = {purpose: kind for purpose, _code, kind, _label in CHART}
    problems = [f"account {account_id} ({purpose}, {code}, {kind}) of koperasi {koperasi_id} is not in the chart"
                for account_id, koperasi_id, purpose, code, kind, parent_id in db.session.execute(
                    sa.select(Account.id, Account.koperasi_id, Account.purpose, Account.code, Account.kind,
                              Account.parent_id))
                if ((purpose, code, kind) not in chart if parent_id is None else kinds.get(purpose) != kind)]
    # Every account's totals over the whole history, from its day rows (equal to its lines: check_account_days),
    # for every koperasi in one query; then each koperasi's statements built by the statements' own code.
    totals = {account_id: (int(debit), int(credit)) for account_id, debit, credit in db.session.execute(
        sa.select(AccountDay.account_id, sa.func.sum(AccountDay.debit), sa.func.sum(AccountDay.credit))
        .group_by(AccountDay.account_id))}
    slugs = dict(db.session.execute(sa.select(Koperasi.id, Koperasi.slug)).all())
    accounts = db.session.execute(sa.select(Account.koperasi_id, Account.id, Account.code, Account.purpose, Account.kind)
                                  .order_by(Account.koperasi_id, Account.code, Account.id))
    for koperasi_id, rows in itertools.groupby(accounts, key=lambda row: row[0]):
        refs = [books.AccountRef(account_id, code, purpose, kind, code) for _k, account_id, code, purpose, kind in rows]
        refs += books.not_created({ref.purpose for ref in refs})
        sums = [(ref, [totals.get(ref.id, (0, 0))] * 2) for ref in refs]  # now and "before": the same whole history
        trial = books.TrialBalance(date(1900, 1, 1), at, [books.TrialRow(ref, *now) for ref, (now, _then) in sums],
                                   date(1900, 1, 1), at)
        if not trial.balanced:
            problems.append(f"koperasi {slugs[koperasi_id]}: trial balance debits {trial.debit} != "
                            f"credits {trial.credit}")
        sheet = books.neraca(None, at, sums)
        if not sheet.balanced:
            problems.append(f"koperasi {slugs[koperasi_id]}: balance sheet assets {sheet.assets.total} != "
                            f"liabilities and equity {sheet.liabilities_and_equity}")
    return problems

