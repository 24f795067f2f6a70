"""The board's side of the chart: sub-accounts, opening balances, the general journal, and
the correction of a cash-book or journal entry.

Rules kept here:
- A sub-account sits under one standard account, with its purpose and kind; its code is the
  parent's code, a dot and two digits (a second bank under 1102 is 1102.01). Codes are
  unique per koperasi: a code that exists is refused.
- An account with postings is never deleted, only closed to new postings (a closed account
  keeps its lines and shows in every report); an unused sub-account may be deleted. The
  standard accounts stay open: the app's own operations post to them.
- Opening balances are one balanced entry (kind ``opening``) dated the first moment of the
  cut-over day, one per koperasi (another only once the first was reversed).
- A journal entry is balanced, has a reason, and never touches a member's savings or loans
  (those move through their own operations, so each member's figures stay right).
- Nothing is dated in the future; a past day's posting is dated that day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models.accounts import User
from models.base import db, utcnow
from models.books import utc_bounds
from models.errors import DomainError, reason_given
from models.keys import fingerprint
from models.koperasi import Koperasi
from models.ledger import (
    CHART,
    CONTRA,
    MAX_AMOUNT,
    Account,
    Entry,
    Leg,
    Line,
    Purpose,
    ensure_chart,
    idempotent,
    lock,
    post,
)
from models.money import idr
from models.zones import zone_of

BALANCE_SHEET = ("asset", "liability", "equity")
# Accounts with a per-member ledger beside them: moved only by their own operations.
MEMBER_LEDGERS = frozenset({Purpose.POKOK, Purpose.WAJIB, Purpose.SUKARELA, Purpose.LOANS, Purpose.SETTLEMENT,
                            Purpose.WITHDRAWALS})
REVERSIBLE = {"cash_in", "cash_out", "journal", "opening"}
SUB_CODE = re.compile(r"(\d{4})\.(\d{2})")


def chart(koperasi: Koperasi) -> list[Account]:
    """Every account of the koperasi, standard and sub-accounts, in code order."""
    ensure_chart(koperasi)
    return list(db.session.scalars(sa.select(Account).where(Account.koperasi_id == koperasi.id)
                                   .order_by(Account.code)))


def standard_missing(koperasi: Koperasi) -> bool:
    """Has the koperasi not been given every account of the standard chart yet? (One count.)"""
    have = db.session.scalar(sa.select(sa.func.count()).select_from(Account).where(
        Account.koperasi_id == koperasi.id, Account.parent_id.is_(None)))
    return have < len(CHART)


def account_of(koperasi: Koperasi, account_id: int | None) -> Account | None:
    account = db.session.get(Account, account_id) if account_id else None
    return account if account is not None and account.koperasi_id == koperasi.id else None


def has_lines(account: Account) -> bool:
    return db.session.scalar(sa.select(Line.id).where(Line.account_id == account.id).limit(1)) is not None


# ---------------------------------------------------------------- sub-accounts

def add_sub_account(koperasi: Koperasi, parent_id: int | None, code: str, name: str) -> Account:
    """A sub-account under a standard account: code ``<parent>.NN``, a name, unique code."""
    parent = account_of(koperasi, parent_id)
    if parent is None or parent.parent_id is not None:
        raise DomainError(_l("Choose the standard account it belongs under."), field="parent")
    code, name = (code or "").strip(), " ".join((name or "").split())
    match = SUB_CODE.fullmatch(code)
    if not match or match[1] != parent.code or match[2] == "00":
        example = parent.code + ".01"
        raise DomainError(_l("A sub-account's code is its account's code, a dot and two digits, "
                             "for example %(code)s.", code=example), field="code")
    if not 2 <= len(name) <= 80:
        raise DomainError(_l("Give the account a name (2 to 80 characters)."), field="name")
    if db.session.scalar(sa.select(Account.id).where(Account.koperasi_id == koperasi.id, Account.code == code)):
        raise DomainError(_l("Code %(code)s is already in the chart: choose another.", code=code), field="code")
    account = Account(koperasi_id=koperasi.id, purpose=parent.purpose, code=code, kind=parent.kind, name=name,
                      parent_id=parent.id, balance=0, closed=False)
    try:
        with db.session.begin_nested():
            db.session.add(account)
    except sa.exc.IntegrityError:  # the same code added at the same moment
        raise DomainError(_l("Code %(code)s is already in the chart: choose another.", code=code),
                          field="code") from None
    return account


def close_account(account: Account) -> None:
    """No new postings to a sub-account; its lines stay. Its balance must be moved out first."""
    if account.parent_id is None:
        raise DomainError(_l("A standard account stays open: Kopz posts to it. Close a sub-account instead."))
    lock(Account, account.id)
    if account.balance:
        raise DomainError(_l("This account still holds %(amount)s: move it to another account with a journal "
                             "entry, then close it.", amount=idr(abs(account.balance))))
    account.closed = True


def reopen_account(account: Account) -> None:
    account.closed = False


def delete_account(account: Account) -> None:
    """Only an unused sub-account may go; an account with postings is closed instead."""
    if account.parent_id is None:
        raise DomainError(_l("A standard account cannot be deleted."))
    if has_lines(account):
        raise DomainError(_l("This account has postings: it cannot be deleted, only closed to new postings."))
    db.session.delete(account)


# ---------------------------------------------------------------- dating

def moment(koperasi: Koperasi, day: date | None, start: bool = False) -> datetime:
    """When a posting for ``day`` (today when None) is dated: now for today, else that day (its
    first moment when ``start``, else its last second). A day in the future is refused."""
    today = zone_of(koperasi).today()
    day = day or today
    if day > today:
        raise DomainError(_l("The date cannot be in the future."), field="day")
    if day.year < 1900:
        raise DomainError(_l("Enter a date from 1900 on."), field="day")
    since, until = utc_bounds(koperasi, day, day)
    if start:
        return since
    return utcnow() if day == today else until - timedelta(seconds=1)


def _reason(text: str | None, field: str = "reason") -> str:
    return reason_given(text, _l("Write the reason (at least 5 characters)."), field)


# ---------------------------------------------------------------- opening balances

def opening_entry(koperasi: Koperasi) -> Entry | None:
    """The koperasi's opening entry that stands (not reversed), if any."""
    reversed_ = sa.select(Entry.reverses_id).where(Entry.reverses_id.is_not(None))
    return db.session.scalar(sa.select(Entry).where(Entry.koperasi_id == koperasi.id, Entry.kind == "opening",
                                                    Entry.id.not_in(reversed_)))


def opening_accounts(koperasi: Koperasi) -> list[Account]:
    return [a for a in chart(koperasi) if a.kind in BALANCE_SHEET and not a.closed]


def _debit_normal(account: Account) -> bool:
    return (account.kind == "asset") != (account.purpose in CONTRA)


def post_opening(koperasi: Koperasi, day: date | None, amounts: dict[int, int], by: User | None,
                 key: str | None = None) -> Entry:
    """The balance sheet at the cut-over day, one amount per account in its normal balance
    (a contra account's, such as PPAP, is a deduction): debits must equal credits."""
    clean = {account_id: amount for account_id, amount in amounts.items() if amount}
    once = fingerprint("opening", by, day=str(day), amounts=tuple(sorted(clean.items())))

    def run() -> Entry:
        at = moment(koperasi, day, start=True)
        lock(Koperasi, koperasi.id)  # two openings at once: the second sees the first
        if opening_entry(koperasi) is not None:
            raise DomainError(_l("The opening balances were already entered. Correct that entry first "
                                 "(reverse it from its receipt), then enter them again."))
        legs = []
        for account_id, amount in clean.items():
            account = account_of(koperasi, account_id)
            if account is None or account.kind not in BALANCE_SHEET:
                raise DomainError(_l("Choose an account of the balance sheet."))
            if amount < 0 or amount > MAX_AMOUNT:
                raise DomainError(_l("Enter amounts of Rp0 or more (a deduction such as PPAP is entered as "
                                     "a positive amount too)."), field=f"a{account_id}")
            legs.append(Leg(account.purpose, amount if _debit_normal(account) else -amount, account_id=account.id))
        _balanced(legs)
        return post(koperasi, "opening", legs, by=by, memo=str(_l("Opening balances")), key=key, at=at,
                    fingerprint=once)

    return idempotent(koperasi, key, once, run)


def _balanced(legs: list[Leg]) -> None:
    debit = sum(leg.amount for leg in legs if leg.amount > 0)
    credit = -sum(leg.amount for leg in legs if leg.amount < 0)
    if not debit and not credit:
        raise DomainError(_l("Enter at least one amount."))
    if debit != credit:
        raise DomainError(_l("Debits (%(debit)s) and credits (%(credit)s) differ by %(difference)s: "
                             "nothing was posted.", debit=idr(debit), credit=idr(credit),
                             difference=idr(abs(debit - credit))))


# ---------------------------------------------------------------- general journal

@dataclass
class JournalRow:
    account_id: int | None
    debit: int | None
    credit: int | None


def journal_accounts(koperasi: Koperasi) -> list[Account]:
    return [a for a in chart(koperasi) if not a.closed and a.purpose not in MEMBER_LEDGERS]


def post_journal(koperasi: Koperasi, day: date | None, rows: list[JournalRow], reason: str, by: User | None,
                 key: str | None = None) -> Entry:
    """An adjustment (depreciation, accrual, correction): balanced lines, a reason, kind ``journal``."""
    filled = [(i, r) for i, r in enumerate(rows) if r.account_id or r.debit or r.credit]
    once = fingerprint("journal", by, day=str(day),
                       rows=tuple((r.account_id, r.debit or 0, r.credit or 0) for _i, r in filled))

    def run() -> Entry:
        text = _reason(reason)
        at = moment(koperasi, day)
        legs = []
        for i, row in filled:
            account = account_of(koperasi, row.account_id)
            if account is None:
                raise DomainError(_l("Choose the account of this line."), field=f"lines-{i}-account")
            if account.purpose in MEMBER_LEDGERS:
                raise DomainError(_l("Members' savings and loans move through their own pages, not a journal."),
                                  field=f"lines-{i}-account")
            debit, credit = row.debit or 0, row.credit or 0
            if (debit > 0) == (credit > 0) or debit < 0 or credit < 0 or max(debit, credit) > MAX_AMOUNT:
                raise DomainError(_l("Enter a debit or a credit above Rp0 (not both)."), field=f"lines-{i}-debit")
            legs.append(Leg(account.purpose, debit - credit, account_id=account.id))
        if len(legs) < 2:
            raise DomainError(_l("A journal entry has two lines or more."))
        _balanced(legs)
        return post(koperasi, "journal", legs, by=by, memo=text, key=key, at=at, fingerprint=once)

    return idempotent(koperasi, key, once, run)


# ---------------------------------------------------------------- corrections

def reverse(entry: Entry, by: User, reason: str, key: str | None = None) -> Entry:
    """Correct a cash-book, journal or opening entry: every line negated, to the same
    (sub-)accounts, pointing at the original. Once per entry; cash never below zero."""
    koperasi = db.session.get(Koperasi, entry.koperasi_id)
    entry_id = entry.id
    once = fingerprint("reversal", by, entry=entry_id)

    def run() -> Entry:
        text = _reason(reason)
        original = db.session.get(Entry, entry_id)
        if original.kind not in REVERSIBLE or original.reverses_id:
            raise DomainError(_l("This entry cannot be corrected here."))
        lock(Entry, entry_id)
        if db.session.scalar(sa.select(Entry.id).where(Entry.reverses_id == entry_id)):
            raise DomainError(_l("This entry was already corrected."))
        original = db.session.get(Entry, entry_id)
        legs = [Leg(line.account.purpose, -line.amount, account_id=line.account_id) for line in original.lines]
        return post(koperasi, "reversal", legs, by=by, memo=text, reverses=original, key=key, fingerprint=once)

    return idempotent(koperasi, key, once, run)
