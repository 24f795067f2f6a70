"""Collectability (kolektibilitas), loan-loss provisioning (PPAP), write-off and recovery.

Rules kept here:
- A loan being repaid is classed by the days its oldest unpaid instalment is past due, as
  the koperasi simpan pinjam health rules class loans (Permen KUKM 14/2009, Petunjuk
  Teknis Deputi Perkoperasian 15/2021): lancar up to 90 days, kurang lancar 91 to 180,
  diragukan 181 to 270, macet beyond 270 days.
- NPL (pinjaman bermasalah) is the principal outstanding of kurang lancar, diragukan and
  macet loans over all principal outstanding.
- The allowance (PPAP) a month needs is each class's rate times its principal outstanding
  at the month's end, rounded half up per class; default rates 0,5 %, 10 %, 50 %, 100 %,
  set per koperasi (``Koperasi.provision_*_bp``, at most 100 %).
- ``provision(koperasi, month)`` posts the difference between that and the allowance on
  the books at the month's end (kind ``provision``: loan-loss expense ↔ allowance, up or
  down), dated the last moment of the month, only for a month that has ended, at most once
  per koperasi and month (under a lock on the koperasi, the month's entry is looked for first).
- Write-off (hapus buku), by the board with a reason: the principal left leaves loans
  receivable against the allowance, and against loan-loss expense for what the allowance
  does not cover (kind ``write_off``). The loan stays owed, off the balance sheet: its
  instalments are kept as they were, and what the member pays later is a recovery (kind
  ``recovery``: cash or bank ↔ other income), at most what was still owed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import lazyload

from models import months
from models.accounts import User
from models.base import db, utcnow
from models.books import utc_bounds
from models.errors import DomainError, reason_given
from models.keys import fingerprint
from models.koperasi import Koperasi
from models.ledger import (
    MEANS,
    Account,
    Entry,
    Leg,
    Line,
    Purpose,
    check_amount,
    idempotent,
    lock,
    post,
    round_idr,
)
from models.loans import Instalment, Loan, LoanStatus, owed
from models.money import idr
from models.zones import zone_of

CLASSES = ("lancar", "kurang_lancar", "diragukan", "macet")
CLASS_LABELS = {
    "lancar": _l("Lancar (current)"),
    "kurang_lancar": _l("Kurang lancar (substandard)"),
    "diragukan": _l("Diragukan (doubtful)"),
    "macet": _l("Macet (loss)"),
}
LIMITS = (90, 180, 270)  # the most days past due of lancar, kurang lancar, diragukan
RATE_COLUMNS = {"lancar": "provision_lancar_bp", "kurang_lancar": "provision_kurang_bp",
                "diragukan": "provision_diragukan_bp", "macet": "provision_macet_bp"}
NON_PERFORMING = ("kurang_lancar", "diragukan", "macet")


def class_of(days_late: int) -> str:
    """The class of a loan whose oldest unpaid instalment is ``days_late`` days past due."""
    for name, limit in zip(CLASSES, LIMITS, strict=False):
        if days_late <= limit:
            return name
    return "macet"


def rates(koperasi: Koperasi) -> dict[str, int]:
    """The koperasi's provisioning rate per class, in hundredths of a percent."""
    return {name: getattr(koperasi, column) for name, column in RATE_COLUMNS.items()}


def set_rates(koperasi: Koperasi, values: dict[str, int | None]) -> None:
    """Change the provisioning rates: each from 0 to 100 %, never lower for a worse class."""
    for name in CLASSES:
        value = values.get(name)
        if not isinstance(value, int) or not 0 <= value <= 10000:
            raise DomainError(_l("Enter a rate from 0 to 100 percent."), field=name)
    ordered = [values[name] for name in CLASSES]
    if ordered != sorted(ordered):
        raise DomainError(_l("A worse class may not have a lower rate than a better one."), field="macet")
    for name, column in RATE_COLUMNS.items():
        setattr(koperasi, column, values[name])
    db.session.flush()


# ---------------------------------------------------------------- classing

@dataclass
class Classed:
    loan_id: int
    outstanding: int  # principal
    days_late: int

    @property
    def klass(self) -> str:
        return class_of(self.days_late)


def classify(koperasi_id: int, today: date) -> list[Classed]:
    """Every loan being repaid with its principal outstanding and days past due, worst first: figures
    and the loan's id, no loan objects (a koperasi may have thousands; a page loads the ones it shows)."""
    left = sa.func.sum(Instalment.principal_due - Instalment.principal_paid)
    oldest = sa.func.min(sa.case((sa.and_(Instalment.settled_on.is_(None), Instalment.due_on < today),
                                  Instalment.due_on)))
    rows = db.session.execute(
        sa.select(Loan.id, left, oldest).join(Instalment, Instalment.loan_id == Loan.id)
        .where(Loan.koperasi_id == koperasi_id, Loan.status == LoanStatus.ACTIVE).group_by(Loan.id)).all()
    found = [Classed(loan_id, int(outstanding), (today - _as_date(since)).days if since else 0)
             for loan_id, outstanding, since in rows]
    return sorted(found, key=lambda c: (-c.days_late, c.loan_id))


def loans_of(rows: list[Classed]) -> dict[int, Loan]:
    """The loans of these rows (a page of them), by id: one query."""
    return {loan.id: loan for loan in db.session.scalars(sa.select(Loan).where(Loan.id.in_([r.loan_id for r in rows])))}


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


@dataclass
class Summary:
    rates: dict[str, int]
    count: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    outstanding: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))

    @property
    def total(self) -> int:
        return sum(self.outstanding.values())

    @property
    def npl(self) -> int:
        return sum(self.outstanding[name] for name in NON_PERFORMING)

    @property
    def npl_ratio(self) -> float:
        """NPL in percent of the principal outstanding (0 when nothing is lent)."""
        return self.npl / self.total * 100 if self.total else 0.0

    def required(self, name: str) -> int:
        return round_idr(self.outstanding[name] * self.rates[name] / 10000)

    @property
    def required_total(self) -> int:
        return sum(self.required(name) for name in CLASSES)


def summarize(koperasi: Koperasi, rows: list[Classed]) -> Summary:
    summary = Summary(rates(koperasi))
    for row in rows:
        summary.count[row.klass] += 1
        summary.outstanding[row.klass] += row.outstanding
    return summary


# ---------------------------------------------------------------- month-end provisioning

def month_of(month: date | str) -> date:
    """The first day of a month given as a date in it or as "YYYY-MM"."""
    if isinstance(month, str):
        if (parsed := months.parse(month)) is None:
            raise DomainError(_l("Choose a month, such as 2026-03."), field="month")
        return parsed
    return month.replace(day=1)


def allowance_on_books(koperasi: Koperasi, until: datetime | None = None) -> int:
    """The allowance (a credit balance, shown positive) from its lines, up to ``until``."""
    query = (sa.select(sa.func.coalesce(sa.func.sum(Line.amount), 0)).join(Account, Account.id == Line.account_id)
             .where(Account.koperasi_id == koperasi.id, Account.purpose == Purpose.ALLOWANCE))
    if until is not None:
        query = query.join(Entry, Entry.id == Line.entry_id).where(Entry.posted_at < until)
    return -int(db.session.scalar(query))


def classify_at_month_end(koperasi: Koperasi, first: date) -> Summary:
    """Each loan's principal outstanding at the month's end (from its ledger lines) and its
    class then (instalments unpaid on the last day, by their due date)."""
    end = months.last_day(first)
    until = utc_bounds(koperasi, None, end)[1]
    principal = dict(db.session.execute(
        sa.select(Line.loan_id, sa.func.sum(Line.amount)).join(Account, Account.id == Line.account_id)
        .join(Entry, Entry.id == Line.entry_id)
        .where(Account.koperasi_id == koperasi.id, Account.purpose == Purpose.LOANS, Line.loan_id.is_not(None),
               Entry.posted_at < until).group_by(Line.loan_id)).all())
    principal = {loan_id: int(amount) for loan_id, amount in principal.items() if amount}
    oldest = dict(db.session.execute(
        sa.select(Instalment.loan_id, sa.func.min(Instalment.due_on))
        .where(Instalment.loan_id.in_(list(principal)), Instalment.due_on < end,
               sa.or_(Instalment.settled_on.is_(None), Instalment.settled_on > end))
        .group_by(Instalment.loan_id)).all()) if principal else {}
    summary = Summary(rates(koperasi))
    for loan_id, amount in principal.items():
        since = oldest.get(loan_id)
        name = class_of((end - _as_date(since)).days if since else 0)
        summary.count[name] += 1
        summary.outstanding[name] += amount
    return summary


def provision(koperasi: Koperasi, month: date | str, by: User | None = None) -> Entry | None:
    """Post the month's allowance (see the module rules): the entry, the month's entry when it
    was posted before, or None when the books already held what the month needs."""
    first = month_of(month)
    end = months.last_day(first)
    if end >= zone_of(koperasi).today():
        raise DomainError(_l("Provision a month only after it has ended."), field="month")
    until = utc_bounds(koperasi, None, end)[1]
    lock(Koperasi, koperasi.id)  # two runs of one month at once: the second finds the first's entry
    if (done := provisioned(koperasi, first)) is not None:
        return done
    needed = classify_at_month_end(koperasi, first).required_total
    change = needed - allowance_on_books(koperasi, until)
    if change == 0:
        return None
    legs = [Leg(Purpose.LOAN_LOSS, change), Leg(Purpose.ALLOWANCE, -change)]
    return post(koperasi, "provision", legs, by=by, memo=f"{first:%Y-%m}", at=until - timedelta(seconds=1))


def provisioned(koperasi: Koperasi, month: date | str) -> Entry | None:
    """The month's provision entry, if one was posted."""
    return db.session.scalar(sa.select(Entry).where(Entry.koperasi_id == koperasi.id, Entry.kind == "provision",
                                                    Entry.memo == f"{month_of(month):%Y-%m}").limit(1))


# ---------------------------------------------------------------- write-off and recovery

def write_off(loan: Loan, by: User, reason: str, key: str | None = None) -> Entry:
    """Take a loan off the books (hapus buku), against the allowance first."""
    koperasi = db.session.get(Koperasi, loan.koperasi_id)
    loan_id = loan.id
    once = fingerprint("write_off", by, loan=loan_id)

    def run() -> Entry:
        text = reason_given(reason, _l("Write why this loan is written off."))
        lock(Koperasi, koperasi.id)  # two write-offs at once do not both spend the same allowance
        lock(Loan, loan_id)
        current = db.session.get(Loan, loan_id)
        if current.status != LoanStatus.ACTIVE:
            raise DomainError(_l("Only a loan being repaid can be written off."))
        principal = sum(inst.principal_due - inst.principal_paid for inst in current.instalments)
        covered = min(principal, max(allowance_on_books(koperasi), 0))
        legs = [Leg(Purpose.ALLOWANCE, covered), Leg(Purpose.LOAN_LOSS, principal - covered),
                Leg(Purpose.LOANS, -principal, loan_id=loan_id)]
        entry = post(koperasi, "write_off", legs, by=by, memo=text, membership_id=current.membership_id,
                     loan_id=loan_id, key=key, fingerprint=once)
        current.status, current.written_off_at, current.written_off_idr = LoanStatus.WRITTEN_OFF, utcnow(), principal
        db.session.flush()
        return entry

    entry = idempotent(koperasi, key, once, run)
    db.session.refresh(loan)
    return entry


def recovered(loan_id: int) -> int:
    """What was recovered on a written-off loan so far (its other-income lines)."""
    return -int(db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Line.amount), 0)).join(Account, Account.id == Line.account_id)
        .where(Line.loan_id == loan_id, Account.purpose == Purpose.OTHER_INCOME)))


def still_owed(loan: Loan, today: date | None = None) -> int:
    """What the member of a written-off loan still owes: the instalments as written off, less recoveries."""
    return max(owed(loan, today).total - recovered(loan.id), 0)


def recover(loan: Loan, amount: int, means: str, by: User, key: str | None = None) -> Entry:
    """The member pays on a written-off loan: income, at most what was still owed."""
    koperasi = db.session.get(Koperasi, loan.koperasi_id)
    loan_id = loan.id
    once = fingerprint("recovery", by, loan=loan_id, amount=amount, means=means)

    def run() -> Entry:
        check_amount(amount)
        if means not in MEANS:
            raise DomainError(_l("Choose cash or bank."), field="means")
        lock(Loan, loan_id)
        current = db.session.get(Loan, loan_id)
        if current.status != LoanStatus.WRITTEN_OFF:
            raise DomainError(_l("Only a written-off loan takes a recovery; take a repayment instead."))
        left = still_owed(current, zone_of(koperasi).today())
        if amount > left:
            raise DomainError(_l("That is more than what is still owed (%(amount)s).", amount=idr(left)),
                              field="amount")
        legs = [Leg(MEANS[means], amount), Leg(Purpose.OTHER_INCOME, -amount, loan_id=loan_id)]
        return post(koperasi, "recovery", legs, by=by, memo=means, membership_id=current.membership_id,
                    loan_id=loan_id, key=key, fingerprint=once)

    return idempotent(koperasi, key, once, run)


def written_off(koperasi_id: int) -> list[tuple[Loan, int]]:
    """The off-balance list: written-off loans, newest first, each with what was recovered."""
    got = (sa.select(Line.loan_id, sa.func.sum(-Line.amount).label("amount")).join(Account, Account.id == Line.account_id)
           .where(Account.purpose == Purpose.OTHER_INCOME, Line.loan_id.is_not(None)).group_by(Line.loan_id).subquery())
    rows = db.session.execute(
        sa.select(Loan, sa.func.coalesce(got.c.amount, 0)).outerjoin(got, got.c.loan_id == Loan.id)
        .where(Loan.koperasi_id == koperasi_id, Loan.status == LoanStatus.WRITTEN_OFF)
        .options(lazyload(Loan.instalments)).order_by(Loan.written_off_at.desc(), Loan.id.desc())).all()
    return [(loan, int(amount)) for loan, amount in rows]
