"""Member savings (simpanan): pokok once, wajib monthly, sukarela any time.

Every operation posts one balanced entry and changes the cached balance in the same
transaction; a withdrawal's check and change are one conditional UPDATE, so two at
once can never overdraw. A retried form (same idempotency key) returns the first entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import dues
from models.accounts import User
from models.base import db
from models.errors import DomainError, reason_given
from models.keys import fingerprint
from models.koperasi import Koperasi
from models.ledger import (
    MEANS,
    SAVINGS,
    Entry,
    Leg,
    balances,
    check_amount,
    credit_savings,
    debit_savings,
    idempotent,
    lock,
    post,
)
from models.membership import Membership, MemberStatus
from models.money import idr
from models.zones import zone_of


def deposit(membership: Membership, kind: str, amount: int, means: str, by: User | None,
            key: str | None = None, at: datetime | None = None) -> Entry:
    """Cash or bank in, member savings up. Paying the whole simpanan pokok activates
    an approved membership; pokok is paid once, and only the amount owed."""
    koperasi = membership.koperasi
    once = fingerprint("deposit", by, membership=membership.id, kind=kind, amount=amount, means=means)

    def run() -> Entry:
        check_amount(amount)
        if kind not in SAVINGS:
            raise DomainError(_l("Choose a kind of savings."), field="kind")
        if means not in MEANS:
            raise DomainError(_l("Choose cash or bank."), field="means")
        allowed = (MemberStatus.APPROVED,) if kind == "pokok" else (MemberStatus.ACTIVE,)
        if membership.status not in allowed:
            raise DomainError(_l("Simpanan pokok is paid once, when joining.") if kind == "pokok"
                              else _l("The membership is not active: pay simpanan pokok first."), field="kind")
        if kind == "pokok" and amount != pokok_due(membership):
            raise DomainError(_l("Simpanan pokok is %(amount)s, paid in full.",
                                 amount=idr(pokok_due(membership))), field="amount")
        if kind == "wajib":  # the member's row first, as the month end's autopay takes it: no deadlock
            dues.lock_members([membership.id])
        credit_savings(membership.id, kind, amount)
        entry = post(koperasi, "deposit", [Leg(MEANS[means], amount),
                                           Leg(SAVINGS[kind], -amount, membership_id=membership.id)],
                     by=by, memo=kind, membership_id=membership.id, key=key, at=at,
                     membership_status=allowed, fingerprint=once)
        if kind == "wajib":
            dues.settle([membership.id])  # toward the oldest open bill
        if kind == "pokok":
            db.session.execute(sa.update(Membership).where(Membership.id == membership.id,
                                                           Membership.status == MemberStatus.APPROVED)
                               .values(status=MemberStatus.ACTIVE))
            db.session.refresh(membership)
        return entry

    return idempotent(koperasi, key, once, run)


def withdraw(membership: Membership, amount: int, means: str, by: User | None, key: str | None = None,
             at: datetime | None = None) -> Entry:
    """Sukarela out, never beyond the balance (pokok and wajib stay while a member)."""
    koperasi = membership.koperasi
    once = fingerprint("withdrawal", by, membership=membership.id, amount=amount, means=means)

    def run() -> Entry:
        check_amount(amount)
        if means not in MEANS:
            raise DomainError(_l("Choose cash or bank."), field="means")
        if membership.status != MemberStatus.ACTIVE:
            raise DomainError(_l("Only an active member can withdraw."))
        debit_savings(membership.id, "sukarela", amount)
        return post(koperasi, "withdrawal", [Leg(SAVINGS["sukarela"], amount, membership_id=membership.id),
                                             Leg(MEANS[means], -amount)],
                    by=by, memo="sukarela", membership_id=membership.id, key=key, at=at, fingerprint=once)

    return idempotent(koperasi, key, once, run)


def pokok_due(membership: Membership, held: dict[str, int] | None = None) -> int:
    """Simpanan pokok still to pay (``held``: the balances, when the caller has them)."""
    return max(membership.pokok_owed_idr - (held or balances(membership.id))["pokok"], 0)



@dataclass
class Wajib:
    """Monthly dues, from the join month on. A month's wajib is due within that month,
    so a month is in arrears only once it has ended unpaid: a member approved today
    owes this month's dues but is not in arrears. Paying ahead covers later months."""

    rate: int
    months_due: int  # the join month through this month
    months_paid: int
    joined_on: date | None = None

    @property
    def arrears(self) -> int:
        """Months that ended unpaid."""
        return max(self.months_due - 1 - self.months_paid, 0)

    @property
    def arrears_idr(self) -> int:
        return self.arrears * self.rate

    @property
    def this_month_paid(self) -> bool:
        return self.months_paid >= self.months_due

    @property
    def paid_through(self) -> date | None:
        """The first day of the last month the payments cover, or None before any."""
        if not self.joined_on or self.months_paid <= 0:
            return None
        month = self.joined_on.month - 1 + self.months_paid - 1
        return date(self.joined_on.year + month // 12, month % 12 + 1, 1)


def wajib_status(membership: Membership, paid: int, today: date | None = None) -> Wajib:
    rate = membership.koperasi.wajib_idr
    if not membership.joined_on or rate <= 0:
        return Wajib(rate, 0, 0)
    today = today or zone_of(membership.koperasi).today()
    months = (today.year - membership.joined_on.year) * 12 + today.month - membership.joined_on.month + 1
    return Wajib(rate, max(months, 0), paid // rate, membership.joined_on)


REVERSIBLE = {"deposit", "withdrawal"}


def reverse(entry: Entry, by: User, reason: str, key: str | None = None) -> Entry:
    """Correct a mistaken deposit or withdrawal: a new entry with every line negated,
    pointing at the original, which stays exactly as posted. An entry is reversed at
    most once; a deposit already withdrawn cannot be taken back (the balance check)."""
    koperasi = db.session.get(Koperasi, entry.koperasi_id)
    entry_id = entry.id
    once = fingerprint("reversal", by, entry=entry_id)  # the reason is words: a retry may differ

    def run() -> Entry:
        text = reason_given(reason, _l("Write why this entry is corrected."))
        original = db.session.get(Entry, entry_id)
        if original.kind not in REVERSIBLE or original.reverses_id:
            raise DomainError(_l("Only a deposit or a withdrawal can be corrected here."))
        lock(Entry, entry_id)  # two corrections at once: the second sees the first
        if db.session.scalar(sa.select(Entry.id).where(Entry.reverses_id == entry_id)):
            raise DomainError(_l("This entry was already corrected."))
        original = db.session.get(Entry, entry_id)
        wajib_of = [line.membership_id for line in original.lines
                    if line.membership_id and line.account.purpose == SAVINGS["wajib"]]
        dues.lock_members(wajib_of)  # before the balances, in the order dues.settle keeps
        legs = []
        for line in original.lines:
            kind = next((k for k, purpose in SAVINGS.items() if purpose == line.account.purpose), None)
            if kind == "pokok":
                raise DomainError(_l("Simpanan pokok cannot be corrected here."))
            if kind and line.amount < 0:  # the original credited savings: take it back
                debit_savings(line.membership_id, kind, -line.amount)
            elif kind:
                credit_savings(line.membership_id, kind, line.amount)
            legs.append(Leg(line.account.purpose, -line.amount, membership_id=line.membership_id,
                             loan_id=line.loan_id))
        entry = post(koperasi, "reversal", legs, by=by, memo=text, membership_id=original.membership_id,
                     reverses=original, key=key, fingerprint=once)
        dues.settle(wajib_of)
        return entry

    return idempotent(koperasi, key, once, run)
