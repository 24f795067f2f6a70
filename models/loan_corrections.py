"""Correcting a loan's postings: a repayment or a disbursement posted by mistake.

Rules kept here:
- A correction is a reversing entry (every line negated, ``reverses=`` the original, which
  stays as posted), by a pengurus, with a reason; an entry is reversed at most once, and a
  retried correction (same key) returns the first one.
- A reversed repayment puts the instalments it changed back exactly as they were before it
  (paid amounts, late fees paid, the interest a payoff lowered, settled or not: the
  ``InstalmentSnapshot`` the repayment kept); a loan it had closed is being repaid again;
  money taken from simpanan sukarela goes back to it; the interest no longer counts for SHU.
- Corrections go newest first: a repayment is reversed only when no later repayment on the
  loan stands (reverse those first), so the state restored is the state the books say.
- A reversed disbursement returns the loan to "approved, awaiting disbursement" (its
  schedule removed), so it can be paid out again correctly, e.g. by bank instead of cash;
  only while no repayment on it stands, and not once the loan is written off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from models.accounts import User
from models.base import db
from models.errors import DomainError, reason_given
from models.keys import fingerprint
from models.koperasi import Koperasi
from models.ledger import SAVINGS, Entry, Leg, Line, credit_savings, idempotent, lock, post
from models.loans import SNAPSHOT, Instalment, InstalmentSnapshot, Loan, LoanStatus
from models.transactions import LOAN_INTEREST, MemberTransaction

REVERSIBLE = {"disbursement", "repayment"}


def standing(loan_id: int, kind: str):
    """The loan's entries of ``kind`` not reversed, as a query of entries."""
    reversal = aliased(Entry)
    return sa.select(Entry).where(Entry.loan_id == loan_id, Entry.kind == kind,
                                  ~sa.exists().where(reversal.reverses_id == Entry.id))


def latest_repayment(loan_id: int) -> Entry | None:
    """The repayment a correction may reverse now (corrections go newest first)."""
    return db.session.scalar(standing(loan_id, "repayment").order_by(Entry.id.desc()).limit(1))


def correctable(entry: Entry) -> bool:
    """May this loan entry be corrected now (shown on its receipt)?"""
    if entry.kind not in REVERSIBLE or entry.loan_id is None or entry.reverses_id:
        return False
    if db.session.scalar(sa.select(Entry.id).where(Entry.reverses_id == entry.id)):
        return False
    loan = db.session.get(Loan, entry.loan_id)
    if entry.kind == "disbursement":
        return loan.status == LoanStatus.ACTIVE and latest_repayment(loan.id) is None
    latest = latest_repayment(loan.id)
    return loan.status in (LoanStatus.ACTIVE, LoanStatus.PAID_OFF) and latest is not None and latest.id == entry.id


@dataclass
class Receipt:
    """One of a loan's entries, for its page: what and how much, and what it corrects."""

    id: int
    ref: str
    kind: str
    posted_at: datetime
    reverses_id: int | None
    total: int


def receipts(loan_id: int) -> list[Receipt]:
    """The loan's entries, oldest first, with their totals: one query."""
    debits = sa.func.coalesce(sa.func.sum(sa.case((Line.amount > 0, Line.amount), else_=0)), 0)
    rows = db.session.execute(
        sa.select(Entry.id, Entry.ref, Entry.kind, Entry.posted_at, Entry.reverses_id, debits)
        .join(Line, Line.entry_id == Entry.id).where(Entry.loan_id == loan_id)
        .group_by(Entry.id, Entry.ref, Entry.kind, Entry.posted_at, Entry.reverses_id).order_by(Entry.id))
    return [Receipt(*row[:5], int(row[5])) for row in rows]


def next_to_correct(loan: Loan, entries: list[Receipt]) -> int | None:
    """The one entry of the loan a correction may reverse now (same rules as ``correctable``)."""
    corrected = {entry.reverses_id for entry in entries if entry.reverses_id}
    standing_ones = [e for e in entries if e.id not in corrected and not e.reverses_id]
    repayments = [e for e in standing_ones if e.kind == "repayment"]
    if repayments:
        return repayments[-1].id if loan.status in (LoanStatus.ACTIVE, LoanStatus.PAID_OFF) else None
    disbursed = [e for e in standing_ones if e.kind == "disbursement"]
    return disbursed[-1].id if disbursed and loan.status == LoanStatus.ACTIVE else None


def reverse(entry: Entry, by: User, reason: str, key: str | None = None) -> Entry:
    """Reverse a mistaken repayment or disbursement (see the module rules)."""
    koperasi = db.session.get(Koperasi, entry.koperasi_id)
    entry_id = entry.id
    once = fingerprint("reversal", by, entry=entry_id)  # the reason is words: a retry may differ

    def run() -> Entry:
        text = reason_given(reason, _l("Write why this entry is corrected."))
        original = db.session.get(Entry, entry_id)
        if original.kind not in REVERSIBLE or original.loan_id is None or original.reverses_id:
            raise DomainError(_l("Only a repayment or a disbursement of a loan can be corrected here."))
        loan_id = original.loan_id
        lock(Loan, loan_id)  # two corrections, or a correction and a repayment, at once: one after the other
        if db.session.scalar(sa.select(Entry.id).where(Entry.reverses_id == entry_id)):
            raise DomainError(_l("This entry was already corrected."))
        original, loan = db.session.get(Entry, entry_id), db.session.get(Loan, loan_id)
        if original.kind == "repayment":
            _undo_repayment(original, loan)
        else:
            _undo_disbursement(loan)
        legs = [Leg(line.account.purpose, -line.amount, membership_id=line.membership_id, loan_id=line.loan_id)
                for line in original.lines]
        return post(koperasi, "reversal", legs, by=by, memo=text, membership_id=original.membership_id,
                    loan_id=loan_id, reverses=original, key=key, fingerprint=once)

    return idempotent(koperasi, key, once, run)


def _undo_repayment(original: Entry, loan: Loan) -> None:
    if loan.status not in (LoanStatus.ACTIVE, LoanStatus.PAID_OFF):
        raise DomainError(_l("This loan is %(status)s: its repayments can no longer be corrected.",
                             status=loan.status_label))
    latest = latest_repayment(loan.id)
    if latest is None or latest.id != original.id:
        raise DomainError(_l("A later repayment on this loan stands (receipt %(ref)s): correct that one first.",
                             ref=latest.ref if latest else "—"))
    snapshots = db.session.scalars(sa.select(InstalmentSnapshot).where(InstalmentSnapshot.entry_id == original.id)).all()
    if not snapshots:
        raise DomainError(_l("This repayment was recorded before corrections were kept: ask the board to post a "
                             "journal correction."))
    by_id = {inst.id: inst for inst in loan.instalments}
    for snap in snapshots:
        inst = by_id[snap.instalment_id]
        for name in SNAPSHOT:
            setattr(inst, name, getattr(snap, name))
    for line in original.lines:
        kind = next((k for k, purpose in SAVINGS.items() if purpose == line.account.purpose), None)
        if kind and line.amount > 0:  # paid from the member's savings: back to them
            credit_savings(line.membership_id, kind, line.amount)
    interest = -sum(line.amount for line in original.lines if line.account.purpose == "interest_income")
    if interest:
        db.session.add(MemberTransaction(koperasi_id=loan.koperasi_id, membership_id=loan.membership_id,
                                         kind=LOAN_INTEREST, amount_idr=-interest))
    if loan.status == LoanStatus.PAID_OFF:
        loan.status, loan.paid_off_at = LoanStatus.ACTIVE, None
    db.session.flush()


def _undo_disbursement(loan: Loan) -> None:
    if loan.status != LoanStatus.ACTIVE:
        raise DomainError(_l("This loan is %(status)s: its disbursement can no longer be corrected.",
                             status=loan.status_label))
    if latest_repayment(loan.id) is not None:
        raise DomainError(_l("Repayments on this loan stand: correct them first, newest first."))
    ids = [inst.id for inst in loan.instalments]
    if ids:  # the snapshots of repayments already corrected: their instalments go with the schedule
        db.session.execute(sa.delete(InstalmentSnapshot).where(InstalmentSnapshot.instalment_id.in_(ids)))
        db.session.execute(sa.delete(Instalment).where(Instalment.id.in_(ids)))
    loan.status, loan.disbursed_on = LoanStatus.APPROVED, None
    db.session.flush()
    db.session.expire(loan, ["instalments"])
