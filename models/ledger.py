"""The koperasi's books: a chart of accounts and balanced, append-only journal entries.

Rules kept here, for every koperasi:
- Money is whole Rupiah. A line's ``amount`` is signed: debit positive, credit negative.
- Every entry has two or more lines and its amounts sum to zero (debits = credits).
- Entries are never updated or deleted (enforced on flush); a mistake is corrected by
  a reversing entry that points at the original.
- Member savings and loan balances are cached in ``SavingsBalance`` and on the loan's
  instalments for race-safe checks; ``books_check.check()`` proves each cache equals its lines.
- Each account's debits and credits per UTC day (``AccountDay``: the closing entries of a year
  apart) are kept by ``post()`` beside the account's balance, so a statement reads days, not lines.
- A posting with an idempotency key that was used before returns the first entry, when
  the key comes with the same operation (its fingerprint, see ``models.keys``); the same
  key with another operation is refused.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.accounts import User
from models.base import db, utcnow
from models.errors import DomainError
from models.keys import same
from models.koperasi import Koperasi, KoperasiEvent
from models.money import idr
from models.zones import zone_of

YEAR_CLOSE = "year_close"  # the book year's closing entry (models.periods): it alone enters its closed December
MAX_AMOUNT = 10_000_000_000  # Rp10 miliar: anything larger in one posting is a typing mistake


def round_idr(value: Fraction | Decimal | int | float) -> int:
    """THE rounding rule: half up (away from zero) to the whole Rupiah, for all interest
    and fees. Exact: computed on rationals, so Rp81.204,50 is Rp81.205 whatever the
    thread's Decimal context (a float is taken as the decimal it prints as)."""
    exact = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    whole = (abs(exact) + Fraction(1, 2)).__floor__()
    return -whole if exact < 0 else whole


class Purpose(enum.StrEnum):
    """The accounts every koperasi's chart has (code, kind, purpose)."""

    CASH = "cash"
    BANK = "bank"
    LOANS = "loans_receivable"
    POKOK = "savings_pokok"
    WAJIB = "savings_wajib"
    SUKARELA = "savings_sukarela"
    SETTLEMENT = "settlement"  # money owed to sellers (marketplace)
    SHU_PAYABLE = "shu_payable"
    INTEREST = "interest_income"
    FEES = "fee_income"
    PENALTIES = "penalty_income"
    SALES = "store_sales"  # the koperasi's own store
    # The rest of the standard chart (issue 10): created with the others, posted to by later work.
    RECEIVABLE = "interest_receivable"  # loan interest and late fees due, not yet paid
    ALLOWANCE = "loan_loss_allowance"  # PPAP: a contra asset, credit balance
    INVENTORY = "inventory"
    FIXED_ASSETS = "fixed_assets"
    DEPRECIATION_ACC = "accum_depreciation"  # a contra asset, credit balance
    SAVINGS_INTEREST_DUE = "savings_int_payable"
    TAX_PAYABLE = "tax_payable"
    SHU_BOARD = "shu_fund_board"
    SHU_STAFF = "shu_fund_staff"
    SHU_EDUCATION = "shu_fund_education"
    SHU_SOCIAL = "shu_fund_social"
    BORROWINGS = "borrowings"
    RESERVE = "reserve"  # cadangan
    GRANTS = "grants"  # hibah
    SHU_CURRENT = "shu_current"  # SHU of the current year: the surplus not yet divided
    SHU_RETAINED = "shu_retained"
    OTHER_INCOME = "other_income"
    SAVINGS_INTEREST = "savings_interest"
    SALARIES = "salaries"
    RENT = "rent"
    UTILITIES = "utilities"
    SUPPLIES = "supplies"
    DEPRECIATION = "depreciation"
    LOAN_LOSS = "loan_loss_provision"
    COGS = "cost_of_goods_sold"
    OTHER_EXPENSES = "other_expenses"
    CASH_DIFFERENCE = "cash_difference"  # a cash count's shortage or surplus, once a pengurus approves it
    # The counterpart of an import's member savings and loans (models.import_batch) until the board's
    # opening balances (models.chart.post_opening) bring in the cash, bank and the rest and clear it.
    OPENING_EQUITY = "opening_equity"
    WITHDRAWALS = "withdrawals_pending"  # sukarela held for a payout to a bank or e-wallet (models.withdrawals)


CHART = [
    # (purpose, code, kind, label): 1xxx assets, 2xxx liabilities, 3xxx equity, 4xxx income, 5xxx expenses.
    # Codes already posted to never change; new accounts take free codes in their group.
    (Purpose.CASH, "1101", "asset", _l("Cash on hand")),
    (Purpose.BANK, "1102", "asset", _l("Bank")),
    (Purpose.LOANS, "1301", "asset", _l("Loans to members")),
    (Purpose.RECEIVABLE, "1302", "asset", _l("Interest and late fees receivable")),
    (Purpose.ALLOWANCE, "1309", "asset", _l("Allowance for loan losses (PPAP)")),
    (Purpose.INVENTORY, "1401", "asset", _l("Store inventory")),
    (Purpose.FIXED_ASSETS, "1501", "asset", _l("Fixed assets")),
    (Purpose.DEPRECIATION_ACC, "1509", "asset", _l("Accumulated depreciation")),
    (Purpose.SUKARELA, "2101", "liability", _l("Simpanan sukarela")),
    (Purpose.SAVINGS_INTEREST_DUE, "2102", "liability", _l("Interest payable on savings")),
    (Purpose.SETTLEMENT, "2201", "liability", _l("Payable to sellers")),
    (Purpose.WITHDRAWALS, "2202", "liability", _l("Withdrawals awaiting payout")),
    (Purpose.SHU_PAYABLE, "2301", "liability", _l("SHU payable")),
    (Purpose.SHU_BOARD, "2302", "liability", _l("SHU fund for the board")),
    (Purpose.SHU_STAFF, "2303", "liability", _l("SHU fund for staff")),
    (Purpose.SHU_EDUCATION, "2304", "liability", _l("SHU fund for education")),
    (Purpose.SHU_SOCIAL, "2305", "liability", _l("SHU fund for social purposes")),
    (Purpose.TAX_PAYABLE, "2401", "liability", _l("Tax payable")),
    (Purpose.BORROWINGS, "2501", "liability", _l("External borrowings")),
    (Purpose.POKOK, "3101", "equity", _l("Simpanan pokok")),
    (Purpose.WAJIB, "3102", "equity", _l("Simpanan wajib")),
    (Purpose.RESERVE, "3201", "equity", _l("Reserve (cadangan)")),
    (Purpose.GRANTS, "3301", "equity", _l("Grants (hibah)")),
    (Purpose.SHU_CURRENT, "3401", "equity", _l("SHU of the current year")),
    (Purpose.SHU_RETAINED, "3402", "equity", _l("Retained SHU")),
    (Purpose.OPENING_EQUITY, "3901", "equity", _l("Opening balances to be matched (import)")),
    (Purpose.INTEREST, "4101", "income", _l("Loan interest (jasa)")),
    (Purpose.FEES, "4102", "income", _l("Loan fees (provisi)")),
    (Purpose.PENALTIES, "4103", "income", _l("Late fees (denda)")),
    (Purpose.SALES, "4201", "income", _l("Store sales")),
    (Purpose.OTHER_INCOME, "4901", "income", _l("Other income")),
    (Purpose.SAVINGS_INTEREST, "5101", "expense", _l("Interest on savings")),
    (Purpose.SALARIES, "5201", "expense", _l("Salaries")),
    (Purpose.RENT, "5202", "expense", _l("Rent")),
    (Purpose.UTILITIES, "5203", "expense", _l("Utilities")),
    (Purpose.SUPPLIES, "5204", "expense", _l("Office supplies")),
    (Purpose.DEPRECIATION, "5205", "expense", _l("Depreciation")),
    (Purpose.LOAN_LOSS, "5206", "expense", _l("Loan-loss provision")),
    (Purpose.COGS, "5301", "expense", _l("Cost of goods sold")),
    (Purpose.OTHER_EXPENSES, "5901", "expense", _l("Other expenses")),
    (Purpose.CASH_DIFFERENCE, "5902", "expense", _l("Cash differences")),
]
KINDS = ("asset", "liability", "equity", "income", "expense")
# Accounts whose balance runs against their kind's: shown as a deduction inside their group.
CONTRA = frozenset({Purpose.ALLOWANCE, Purpose.DEPRECIATION_ACC})
LABELS = {purpose: label for purpose, _code, _kind, label in CHART}
SAVINGS = {"pokok": Purpose.POKOK, "wajib": Purpose.WAJIB, "sukarela": Purpose.SUKARELA}
SAVINGS_LABELS = {"pokok": _l("Simpanan pokok"), "wajib": _l("Simpanan wajib"), "sukarela": _l("Simpanan sukarela")}
MEANS = {"cash": Purpose.CASH, "bank": Purpose.BANK}
# Money the koperasi holds: these accounts (and their sub-accounts) never go below zero.
HELD = frozenset({Purpose.CASH, Purpose.BANK})
STANDARD = sa.text("parent_id IS NULL")


class Account(db.Model):
    """One account of a koperasi's chart: a standard one (one per purpose) or a sub-account
    (``parent_id``, e.g. a second bank) with its parent's purpose and kind and its own name."""

    __table_args__ = (
        sa.UniqueConstraint("koperasi_id", "code", name="uq_account_code"),
        sa.Index("uq_account_standard_purpose", "koperasi_id", "purpose", unique=True,
                 sqlite_where=STANDARD, postgresql_where=STANDARD),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(sa.String(20))
    code: Mapped[str] = mapped_column(sa.String(8))
    kind: Mapped[str] = mapped_column(sa.String(10))  # asset, liability, equity, income, expense
    name: Mapped[str | None] = mapped_column(sa.String(80))  # a sub-account's own name
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    closed: Mapped[bool] = mapped_column(default=False)  # no new postings
    balance: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # signed, debit positive; kept by post()

    @property
    def label(self):
        return self.name or LABELS.get(self.purpose, self.purpose)


class Entry(db.Model):
    """One money movement: a receipt number, who posted it and when, two or more lines."""

    __table_args__ = (
        sa.UniqueConstraint("koperasi_id", "ref", name="uq_entry_ref"),
        sa.UniqueConstraint("koperasi_id", "idempotency_key", name="uq_entry_idempotency_key"),
        sa.Index("ix_entry_koperasi_posted", "koperasi_id", "posted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(sa.String(24))  # the receipt number
    kind: Mapped[str] = mapped_column(sa.String(20))  # deposit, withdrawal, disbursement, repayment, …
    memo: Mapped[str] = mapped_column(sa.String(200), default="")
    membership_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("loan.id"), index=True)
    posted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(64))
    idempotency_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))  # models.keys.fingerprint
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entry.id"), unique=True)

    lines: Mapped[list[Line]] = relationship(lazy="selectin", order_by="Line.id")
    posted_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def total(self) -> int:
        """The amount moved: the sum of the debits."""
        return sum(line.amount for line in self.lines if line.amount > 0)


class Line(db.Model):
    __table_args__ = (
        sa.CheckConstraint("amount <> 0", name="nonzero"),
        # A member's statement: their lines on one account, in order.
        sa.Index("ix_line_membership_account", "membership_id", "account_id", "id"),
        # An account's lines (the statements reach a koperasi's lines through its accounts): on PostgreSQL
        # it carries the amount, so the sums read the index alone (an append-only table stays all-visible).
        sa.Index("ix_line_account_entry", "account_id", "entry_id", postgresql_include=["amount"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))  # indexed by ix_line_account_entry
    amount: Mapped[int] = mapped_column(sa.BigInteger)  # debit > 0, credit < 0
    membership_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))
    loan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("loan.id"), index=True)

    account: Mapped[Account] = relationship(lazy="joined")


class AccountDay(db.Model):
    """One account's debits and credits on one UTC day (``closing``: those of a year's closing entry
    or of its reversal, which the income statement leaves out): kept by ``post()`` under the account's
    row lock, proven by ``books_check``. The statements add up days and read lines only at a window's
    partial first and last day (``models.books.account_sums``)."""

    __tablename__ = "account_day"
    __table_args__ = (sa.CheckConstraint("debit >= 0 AND credit >= 0", name="not_negative"),)

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)  # the UTC calendar day of the entries' posted_at
    closing: Mapped[bool] = mapped_column(primary_key=True)
    debit: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # the sum of the positive amounts
    credit: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # the sum of the negative amounts, made positive


def day_totals_from_lines(where: str = "") -> str:
    """SQL (PostgreSQL and SQLite alike) that fills ``account_day`` from the lines, one INSERT … SELECT:
    the migration's backfill and bulk loads (``web.bench_data``, benchmarks). ``where``: a condition
    on ``e`` (entry) and ``l`` (line) that picks the lines, none of which may have day rows yet."""
    return f"""
        INSERT INTO account_day (account_id, day, closing, debit, credit)
        SELECT l.account_id, date(e.posted_at),
               e.kind = '{YEAR_CLOSE}' OR COALESCE(r.kind = '{YEAR_CLOSE}', false),
               SUM(CASE WHEN l.amount > 0 THEN l.amount ELSE 0 END),
               SUM(CASE WHEN l.amount < 0 THEN -l.amount ELSE 0 END)
        FROM line l JOIN entry e ON e.id = l.entry_id LEFT JOIN entry r ON r.id = e.reverses_id
        {f"WHERE {where}" if where else ""}
        GROUP BY 1, 2, 3"""


def refill_day_totals(koperasi_id: int) -> None:
    """The koperasi's ``AccountDay`` rows made again from its lines: for lines written around ``post()``
    (bulk loads in benchmarks and tests); ``books_check`` proves the result like any other."""
    mine = sa.select(Account.id).where(Account.koperasi_id == koperasi_id)
    db.session.execute(sa.delete(AccountDay).where(AccountDay.account_id.in_(mine)))
    db.session.execute(sa.text(day_totals_from_lines("e.koperasi_id = :koperasi")), {"koperasi": koperasi_id})


class SavingsBalance(db.Model):
    """Cached balance of one member's savings of one kind (credit balance, ≥ 0)."""

    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    balance: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    __table_args__ = (sa.CheckConstraint("balance >= 0", name="not_negative"),)


@sa.event.listens_for(Session, "before_flush")
def _append_only(session: Session, _context, _instances) -> None:
    """Posted entries and their lines, and the koperasi's audit log, are never changed or deleted (the
    audit log's table refuses it in the database too: migration 0037)."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Entry | Line | KoperasiEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("journal entries are append-only: post a reversing entry instead"
                               if isinstance(obj, Entry | Line) else "the audit log is append-only")


# ---------------------------------------------------------------- chart and posting

def ensure_chart(koperasi: Koperasi) -> dict[str, Account]:
    """The koperasi's accounts by purpose, created the first time they are needed."""
    accounts = {a.purpose: a for a in db.session.scalars(sa.select(Account).where(
        Account.koperasi_id == koperasi.id, Account.parent_id.is_(None)))}
    missing = [row for row in CHART if row[0] not in accounts]
    if missing:
        try:
            with db.session.begin_nested():
                for purpose, code, kind, _label in missing:
                    account = Account(koperasi_id=koperasi.id, purpose=purpose, code=code, kind=kind, balance=0)
                    db.session.add(account)
                    accounts[purpose] = account
        except sa.exc.IntegrityError:  # created at the same moment by another request
            return ensure_chart(koperasi)
    return accounts


@dataclass
class Leg:
    """One line to post: an account purpose, a signed amount, and who it concerns;
    ``account_id`` posts to that (sub-)account of the purpose instead of the standard one."""

    purpose: str
    amount: int
    membership_id: int | None = None
    loan_id: int | None = None
    account_id: int | None = None


def find_by_key(koperasi: Koperasi, key: str | None) -> Entry | None:
    if not key:
        return None
    return db.session.scalar(sa.select(Entry).where(Entry.koperasi_id == koperasi.id,
                                                    Entry.idempotency_key == key))


def check_amount(amount: int | None, field: str = "amount") -> int:
    if not isinstance(amount, int) or amount <= 0:
        raise DomainError(_l("Enter an amount above Rp0."), field=field)
    if amount > MAX_AMOUNT:
        raise DomainError(_l("This amount is too large for one transaction."), field=field)
    return amount


def idempotent(koperasi: Koperasi, key: str | None, fingerprint: str, operation: Callable[[], Entry]) -> Entry:
    """Run a posting once per key: a retry (double tap, flaky network, offline replay)
    gets the first entry back and changes nothing more; the key sent with another
    operation (``fingerprint`` differs) is refused (``KeyReused``) and changes nothing.

    When the operation fails (a unique key raced ours, or a rule refused it because the
    first request already changed the books, e.g. the loan it paid off), a key that won
    meanwhile is the answer: every request of a double tap gets the first result."""
    if (first := find_by_key(koperasi, key)) is not None:
        same(first.idempotency_fingerprint, fingerprint)
        return first
    try:
        with db.session.begin_nested():  # a failure undoes ours, and only ours: the caller's work stays
            return operation()
    except (sa.exc.IntegrityError, DomainError):
        if not key or (first := find_by_key(koperasi, key)) is None:
            raise
        same(first.idempotency_fingerprint, fingerprint)
        return first


def _next_ref(koperasi: Koperasi) -> str:
    """Receipt numbers are sequential per koperasi; one atomic UPDATE hands them out."""
    seq = db.session.execute(
        sa.update(Koperasi).where(Koperasi.id == koperasi.id)
        .values(last_receipt_seq=Koperasi.last_receipt_seq + 1)
        .returning(Koperasi.last_receipt_seq)).scalar_one()
    return f"{koperasi.member_prefix}-{seq:07d}"


# A membership takes postings while it is a member's: active, or resigning (loans are
# settled then). Two operations say otherwise: the pokok that activates an approved
# membership, and the resignation refund that closes a resigning one.
MEMBER_OPEN = ("active", "resigning")


def _check_memberships(legs: list[Leg], allowed: tuple[str, ...]) -> None:
    ids = {leg.membership_id for leg in legs if leg.membership_id}
    if not ids:
        return
    membership = db.metadata.tables["membership"]  # by table: the ledger sits below the membership module
    statuses = db.session.execute(sa.select(membership.c.status).where(membership.c.id.in_(ids))).scalars()
    if any(status not in allowed for status in statuses):
        raise DomainError(_l("This membership is closed (resigned, or not active yet): no money can be "
                             "posted to it."))


def _check_period_open(koperasi: Koperasi, kind: str, at: datetime | None) -> None:
    """A posting dated in a closed month (``models.periods``) is refused. The caller already holds
    the koperasi's row (the receipt number's UPDATE), as a close holds it, so a close and a posting
    into its month cannot pass each other."""
    if kind == YEAR_CLOSE:
        return
    day = ((at or utcnow()) + timedelta(hours=zone_of(koperasi).hours)).date()
    events = db.metadata.tables["period_event"]  # by table: models.periods sits above the ledger
    last = db.session.scalar(sa.select(events.c.action).where(
        events.c.koperasi_id == koperasi.id, events.c.scope == "month", events.c.start == day.replace(day=1))
        .order_by(events.c.id.desc()).limit(1))
    if last == "closed":
        raise DomainError(_l("This period is closed: post the correction in an open period."))


def post(koperasi: Koperasi, kind: str, legs: list[Leg], *, by: User | None, memo: str = "",
         membership_id: int | None = None, loan_id: int | None = None, key: str | None = None,
         reverses: Entry | None = None, at: datetime | None = None,
         membership_status: tuple[str, ...] = MEMBER_OPEN, fingerprint: str | None = None) -> Entry:
    """Post one balanced entry. The caller has already changed any cached balance in
    the same transaction (conditional UPDATE or row lock), so both commit or neither.
    Every membership a line names must be in ``membership_status`` (open, by default).
    A ``key`` comes with the ``fingerprint`` of the operation it names (see ``idempotent``)."""
    if key and not fingerprint:
        raise TypeError("an idempotency key is stored with the fingerprint of its operation")
    legs = [leg for leg in legs if leg.amount]
    if len(legs) < 2:
        raise DomainError(_l("Nothing to post: the amount is zero."))
    if any(not isinstance(leg.amount, int) for leg in legs):
        raise TypeError("amounts are whole Rupiah (int)")
    if sum(leg.amount for leg in legs) != 0:
        raise ValueError(f"unbalanced entry: {legs}")
    _check_memberships(legs, membership_status)
    ref = _next_ref(koperasi)  # its UPDATE holds the koperasi's row until commit: a close waits for it
    _check_period_open(koperasi, kind, at)
    accounts = ensure_chart(koperasi)
    entry = Entry(koperasi_id=koperasi.id, ref=ref, kind=kind, memo=memo[:200],
                  membership_id=membership_id, loan_id=loan_id, posted_by_id=by.id if by else None,
                  idempotency_key=key, idempotency_fingerprint=fingerprint if key else None,
                  reverses_id=reverses.id if reverses else None,
                  posted_at=at or utcnow())  # ``at``: only for importing past records
    entry.lines = [Line(account_id=leg.account_id or accounts[leg.purpose].id, amount=leg.amount,
                        membership_id=leg.membership_id, loan_id=leg.loan_id) for leg in legs]
    closing = kind == YEAR_CLOSE or (reverses is not None and reverses.kind == YEAR_CLOSE)
    move_balances(koperasi, entry.lines, {leg.account_id: leg.purpose for leg in legs if leg.account_id},
                  entry.posted_at, closing)
    db.session.add(entry)
    db.session.flush()
    return entry


def move_balances(koperasi: Koperasi, lines: list[Line], chosen: dict[int, str], posted_at: datetime,
                  closing: bool) -> None:
    """Change each account's cached balance by its lines: one UPDATE per account, in id
    order (no deadlock between two postings), then that account's totals of the day (the
    UTC day of ``posted_at``; ``closing``: a closing entry or its reversal), under the row
    lock the UPDATE took. A closed account takes no posting; cash and bank never go below
    zero: the check and the change are one conditional UPDATE."""
    moves: dict[int, int] = {}
    debits: dict[int, int] = {}
    credits: dict[int, int] = {}
    for line in lines:
        moves[line.account_id] = moves.get(line.account_id, 0) + line.amount
        side = debits if line.amount > 0 else credits
        side[line.account_id] = side.get(line.account_id, 0) + abs(line.amount)
    rows = {a.id: a for a in db.session.execute(sa.select(Account.id, Account.koperasi_id, Account.purpose,
                                                            Account.closed).where(Account.id.in_(list(moves))))}
    for account_id, purpose in chosen.items():
        if account_id not in rows or rows[account_id].koperasi_id != koperasi.id or rows[account_id].purpose != purpose:
            raise ValueError(f"account {account_id} is not this koperasi's {purpose} account")
    if any(rows[account_id].closed for account_id in moves):
        raise DomainError(_l("This account is closed to new postings."), field="account")
    for account_id in sorted(moves):
        amount, held = moves[account_id], rows[account_id].purpose in HELD
        query = sa.update(Account).where(Account.id == account_id)
        if held and amount < 0:
            query = query.where(Account.balance + amount >= 0)
        if db.session.execute(query.values(balance=Account.balance + amount)).rowcount != 1:
            have = db.session.scalar(sa.select(Account.balance).where(Account.id == account_id))
            raise DomainError(_l("Not enough money in %(account)s for this payout: it holds %(balance)s.",
                                 account=_account_label(account_id), balance=idr(have)), field="amount")
        _add_to_day(account_id, posted_at.date(), closing, debits.get(account_id, 0), credits.get(account_id, 0))


def _add_to_day(account_id: int, day: date, closing: bool, debit: int, credit: int) -> None:
    """Add to the account's row of the day, creating it the first time: one upsert
    (INSERT … ON CONFLICT DO UPDATE, PostgreSQL's or SQLite's), built once per dialect."""
    dialect = db.session.get_bind().dialect.name
    if (statement := _UPSERTS.get(dialect)) is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        row = insert(AccountDay).values(account_id=sa.bindparam("account_id"), day=sa.bindparam("day"),
                                        closing=sa.bindparam("closing"), debit=sa.bindparam("debit"),
                                        credit=sa.bindparam("credit"))
        statement = _UPSERTS[dialect] = row.on_conflict_do_update(
            index_elements=[AccountDay.account_id, AccountDay.day, AccountDay.closing],
            set_={"debit": AccountDay.debit + row.excluded.debit, "credit": AccountDay.credit + row.excluded.credit})
    db.session.execute(statement, {"account_id": account_id, "day": day, "closing": closing, "debit": debit,
                                   "credit": credit})


_UPSERTS: dict[str, sa.Insert] = {}


def _account_label(account_id: int):
    return db.session.get(Account, account_id).label


def lock(model, row_id: int) -> None:
    """Hold the row for writing until the caller commits, so a read-check-write sequence
    cannot interleave with another request's. PostgreSQL: a row lock. SQLite: nothing
    to do, a writing transaction holds the database's write lock from its first read
    (BEGIN IMMEDIATE, web/database.py); never a commit behind the caller's back."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(model.id).where(model.id == row_id).with_for_update())
    db.session.expire_all()


# ---------------------------------------------------------------- savings balances

def credit_savings(membership_id: int, kind: str, amount: int) -> None:
    """Add to a cached savings balance (creating the row on the first deposit)."""
    updated = db.session.execute(
        sa.update(SavingsBalance).where(SavingsBalance.membership_id == membership_id,
                                        SavingsBalance.kind == kind)
        .values(balance=SavingsBalance.balance + amount)).rowcount
    if not updated:
        try:
            with db.session.begin_nested():
                db.session.add(SavingsBalance(membership_id=membership_id, kind=kind, balance=amount))
        except sa.exc.IntegrityError:  # a first deposit raced ours: add to it instead
            credit_savings(membership_id, kind, amount)


def debit_savings(membership_id: int, kind: str, amount: int, refusal=None) -> None:
    """Take from a cached savings balance; never below zero, even under races: the
    check and the change are one conditional UPDATE. ``refusal``: the message when the balance
    is short, given ``%(balance)s`` and ``%(amount)s`` (formatted Rupiah)."""
    updated = db.session.execute(
        sa.update(SavingsBalance).where(SavingsBalance.membership_id == membership_id,
                                        SavingsBalance.kind == kind, SavingsBalance.balance >= amount)
        .values(balance=SavingsBalance.balance - amount)).rowcount
    if updated != 1:
        if refusal is None:
            raise DomainError(_l("The balance is not enough for this amount."), field="amount")
        raise DomainError(refusal % {"balance": idr(balances(membership_id)[kind]), "amount": idr(amount)},
                          field="amount")


def balances(membership_id: int) -> dict[str, int]:
    rows = db.session.execute(sa.select(SavingsBalance.kind, SavingsBalance.balance).where(
        SavingsBalance.membership_id == membership_id))
    found = dict(rows.all())
    return {kind: found.get(kind, 0) for kind in SAVINGS}
