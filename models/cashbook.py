"""The cash book (kas masuk / kas keluar) and the cash count (kas opname).

Rules kept here:
- A cash-book entry moves money between cash or a bank (sub-accounts included) and one
  other account: income, expense, or another account that is not a member's ledger
  (a fixed asset bought, a borrowing received, cash taken to the bank). Idempotent by its
  key; corrected by a pengurus with a reversing entry (``models.chart.reverse``).
- Money out that the cash or bank cannot cover is refused (``ledger.post``: one
  conditional UPDATE, race-safe).
- A cash count records the cash expected (the cached balance at that moment) and counted.
  A difference moves nothing until a pengurus approves it: then one ``cash_count`` entry
  posts it to the cash-difference account; a rejected one posts nothing. A count is decided
  once (a conditional UPDATE on its status), and not by the person who counted (unless the
  koperasi chose its one-person setting for small koperasi). A new count of a drawer replaces
  the ones still waiting (a double tap never posts a shortage twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts import User
from models.base import db, utcnow
from models.books import utc_bounds
from models.chart import MEMBER_LEDGERS, account_of, chart, moment
from models.errors import DomainError, reason_given
from models.keys import fingerprint
from models.koperasi import Koperasi
from models.ledger import HELD, Account, Entry, Leg, Purpose, check_amount, idempotent, post

DIRECTIONS = ("in", "out")
KINDS = {"in": "cash_in", "out": "cash_out"}


class CashBookDetail(db.Model):
    """What a cash-book entry says besides its lines: who paid or was paid, a note, a receipt photo."""

    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id", ondelete="CASCADE"), primary_key=True)
    counterparty: Mapped[str] = mapped_column(sa.String(80), default="")
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    photo: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)  # WebP, re-encoded (models.images)


class CashCount(db.Model):
    """One count of a cash drawer: expected, counted, who counted, who decided, the entry."""

    __table_args__ = (sa.Index("ix_cash_count_koperasi_status", "koperasi_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    expected_idr: Mapped[int] = mapped_column(sa.BigInteger)
    counted_idr: Mapped[int] = mapped_column(sa.BigInteger)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(10))  # matched, pending, approved, rejected, replaced
    counted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    counted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entry.id"))

    account: Mapped[Account] = relationship(lazy="joined")
    counted_by: Mapped[User | None] = relationship(foreign_keys=[counted_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")
    entry: Mapped[Entry | None] = relationship(lazy="joined")

    @property
    def difference(self) -> int:
        """Counted minus expected: negative is a shortage, positive a surplus."""
        return self.counted_idr - self.expected_idr


# ---------------------------------------------------------------- the cash book

def money_accounts(koperasi: Koperasi) -> list[Account]:
    """Cash and the banks, sub-accounts included, open ones only."""
    return [a for a in chart(koperasi) if a.purpose in HELD and not a.closed]


def other_accounts(koperasi: Koperasi) -> list[Account]:
    """The accounts a cash-book entry may name: expenses and income first, then the rest
    of the chart that has no member ledger beside it."""
    usable = [a for a in chart(koperasi) if not a.closed and a.purpose not in MEMBER_LEDGERS
              and a.purpose != Purpose.CASH_DIFFERENCE]
    order = {"expense": 0, "income": 1}
    return sorted(usable, key=lambda a: (order.get(a.kind, 2), a.code))


def record(koperasi: Koperasi, direction: str, account_id: int | None, money_id: int | None, amount: int | None,
           day: date | None, counterparty: str, note: str, by: User | None, key: str | None = None,
           photo: bytes | None = None) -> Entry:
    """Kas masuk (``in``: money up, the other account credited) or kas keluar (``out``)."""
    once = fingerprint("cash_book", by, direction=direction, account=account_id, money=money_id, amount=amount,
                       day=str(day))

    def run() -> Entry:
        if direction not in DIRECTIONS:
            raise DomainError(_l("Choose money in or money out."), field="direction")
        check_amount(amount)
        at = moment(koperasi, day)
        money = account_of(koperasi, money_id)
        if money is None or money.purpose not in HELD or money.closed:
            raise DomainError(_l("Choose the cash or the bank account."), field="money")
        other = account_of(koperasi, account_id)
        if other is None or other.closed or other.purpose in MEMBER_LEDGERS or other.id == money.id:
            raise DomainError(_l("Choose the account this money is for."), field="account")
        sign = 1 if direction == "in" else -1
        legs = [Leg(money.purpose, sign * amount, account_id=money.id),
                Leg(other.purpose, -sign * amount, account_id=other.id)]
        who, text = " ".join((counterparty or "").split())[:80], " ".join((note or "").split())[:200]
        entry = post(koperasi, KINDS[direction], legs, by=by, memo=" · ".join(filter(None, (who, text)))[:200],
                     key=key, at=at, fingerprint=once)
        db.session.add(CashBookDetail(entry_id=entry.id, counterparty=who, note=text, photo=photo))
        return entry

    return idempotent(koperasi, key, once, run)


@dataclass
class BookLine:
    entry: Entry
    money: Account
    other: Account
    amount: int  # + in, - out
    detail: CashBookDetail | None
    reversed_by: str | None


@dataclass
class Book:
    lines: list[BookLine]
    money_in: int
    money_out: int

    @property
    def net(self) -> int:
        return self.money_in - self.money_out


def book(koperasi: Koperasi, start: date, end: date, limit: int = 500) -> Book:
    """The cash-book entries of the koperasi's days ``start``..``end`` (and their corrections),
    newest first, with the totals of money in and out."""
    since, until = utc_bounds(koperasi, start, end)
    entries = db.session.scalars(
        sa.select(Entry).where(Entry.koperasi_id == koperasi.id, Entry.posted_at >= since, Entry.posted_at < until,
                               sa.or_(Entry.kind.in_(list(KINDS.values())),
                                      Entry.reverses_id.in_(sa.select(Entry.id).where(
                                          Entry.kind.in_(list(KINDS.values()))))))
        .order_by(Entry.posted_at.desc(), Entry.id.desc()).limit(limit)).all()
    ids = [e.id for e in entries]
    details = {d.entry_id: d for d in db.session.scalars(sa.select(CashBookDetail).where(
        CashBookDetail.entry_id.in_(ids)))}
    reversals = dict(db.session.execute(sa.select(Entry.reverses_id, Entry.ref).where(Entry.reverses_id.in_(ids))).all())
    lines, money_in, money_out = [], 0, 0
    for entry in entries:
        money = next((line for line in entry.lines if line.account.purpose in HELD), None)
        other = next((line for line in entry.lines if line is not money), None)
        if money is None or other is None:
            continue
        lines.append(BookLine(entry, money.account, other.account, money.amount, details.get(entry.id),
                              reversals.get(entry.id)))
        money_in += max(money.amount, 0)
        money_out += max(-money.amount, 0)
    return Book(lines, money_in, money_out)


def detail_of(entry: Entry) -> CashBookDetail | None:
    return db.session.get(CashBookDetail, entry.id)


def photo_of(entry_id: int) -> bytes | None:
    return db.session.scalar(sa.select(CashBookDetail.photo).where(CashBookDetail.entry_id == entry_id))


# ---------------------------------------------------------------- the cash count

def cash_accounts(koperasi: Koperasi) -> list[Account]:
    return [a for a in money_accounts(koperasi) if a.purpose == Purpose.CASH]


def count_cash(koperasi: Koperasi, account_id: int | None, counted: int | None, note: str, by: User | None) -> CashCount:
    """The teller's count: the expected balance is the cached one now; a difference waits for a pengurus."""
    account = account_of(koperasi, account_id)
    if account is None or account.purpose != Purpose.CASH or account.closed:
        raise DomainError(_l("Choose the cash drawer you counted."), field="account")
    if not isinstance(counted, int) or counted < 0:
        raise DomainError(_l("Enter the cash counted (Rp0 or more)."), field="counted")
    if counted > 10_000_000_000:
        raise DomainError(_l("This amount is too large for one transaction."), field="counted")
    db.session.execute(sa.update(CashCount).where(CashCount.account_id == account.id, CashCount.status == "pending")
                       .values(status="replaced"))
    db.session.refresh(account)
    count = CashCount(koperasi_id=koperasi.id, account_id=account.id, expected_idr=account.balance, counted_idr=counted,
                      note=" ".join((note or "").split())[:200], counted_by_id=by.id if by else None,
                      status="matched" if counted == account.balance else "pending", reason="")
    db.session.add(count)
    db.session.flush()
    return count


def decide(count: CashCount, approve: bool, by: User, reason: str = "", key: str | None = None) -> CashCount:
    """A pengurus approves (the difference is posted to the cash-difference account) or
    rejects (nothing posted; recount) a pending count. Decided once."""
    koperasi = db.session.get(Koperasi, count.koperasi_id)
    if count.counted_by_id == by.id and not koperasi.single_person_loans:
        raise DomainError(_l("You counted this cash yourself: another pengurus decides on it."))
    text = " ".join((reason or "").split())[:200] if approve else reason_given(
        reason, _l("Write why the count is rejected (at least 5 characters)."))
    status = "approved" if approve else "rejected"
    taken = db.session.execute(sa.update(CashCount).where(CashCount.id == count.id, CashCount.status == "pending")
                               .values(status=status, decided_by_id=by.id, decided_at=utcnow(), reason=text)).rowcount
    if taken != 1:
        raise DomainError(_l("This count was already decided."))
    db.session.refresh(count)
    if approve:
        diff = count.difference
        entry = post(koperasi, "cash_count", [Leg(Purpose.CASH, diff, account_id=count.account_id),
                                              Leg(Purpose.CASH_DIFFERENCE, -diff)],
                     by=by, memo=text or str(_l("Cash count")), key=key,
                     fingerprint=fingerprint("cash_count", by, count=count.id) if key else None)
        count.entry_id = entry.id
    return count


def counts(koperasi: Koperasi, limit: int = 50) -> list[CashCount]:
    return list(db.session.scalars(sa.select(CashCount).where(CashCount.koperasi_id == koperasi.id)
                                   .order_by(CashCount.status != "pending", CashCount.id.desc()).limit(limit)))

