"""The offline teller: cash collected where there is no signal, posted when it returns.

Rules kept here:
- The teller's phone keeps what collecting needs (``collecting``): the koperasi's members who can
  pay in (a card; approved, active or resigning), at most ``MEMBERS_KEPT`` of them, with what each
  may pay (simpanan pokok due, the wajib rate) and their loans being repaid (what is due now, what
  is owed). No balance, NIK, phone or address: nothing a lost phone should tell.
- Offline, each collection gets a provisional number on the phone (``P-<device>-<sequence>``,
  "not yet confirmed") and a one-time key. Only money IN, in cash: deposits (pokok, wajib,
  sukarela) and loan repayments. A withdrawal is never made offline (the balance cannot be known).
- The server posts each collection EXACTLY once, by its key, in the order sent: the deposit
  (``savings.deposit``) or the repayment (``loans.repay``) to the cash account, so the cash count's
  expected balance includes it; the provisional number is kept beside the final receipt
  (``OfflineCollection``). A collection the rules refuse (the loan already paid off, the member
  resigned, an amount that is not right) is answered with the reason, and that answer is kept: a
  resent key gets the same answer, posted or refused, and never posts later (the teller has settled
  a refusal with the member meanwhile). The key sent again with other content is refused (``models.keys``).
- Each collection answered for the first time leaves one event in the audit log, by the teller
  signed in, as an online posting does.
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, lazyload, mapped_column

from models import loans, savings
from models.accounts import User
from models.base import db, utcnow
from models.duties import Duty
from models.errors import DomainError
from models.keys import fingerprint, same
from models.koperasi import Koperasi, KoperasiEvent
from models.ledger import Entry, SavingsBalance
from models.loans import Loan, LoanStatus
from models.membership import Membership, MemberStatus
from models.money import idr

WHAT = ("pokok", "wajib", "sukarela", "repayment")
MEMBERS_KEPT = 500  # a village koperasi whole; a bigger one's first 500 by member number
PROVISIONAL_MAX = 24
PAYING_IN = (MemberStatus.APPROVED, MemberStatus.ACTIVE, MemberStatus.RESIGNING)


class OfflineCollection(db.Model):
    """One collection made on a teller's phone, as the server answered it: posted (``entry_id``)
    or refused (``refusal``, in the language of the teller who sent it)."""

    __table_args__ = (
        sa.UniqueConstraint("koperasi_id", "key"),
        sa.Index("ix_offline_collection_teller", "koperasi_id", "teller_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(64))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    teller_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    provisional: Mapped[str] = mapped_column(sa.String(PROVISIONAL_MAX))
    membership_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))
    loan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("loan.id"))
    what: Mapped[str] = mapped_column(sa.String(10))
    amount_idr: Mapped[int] = mapped_column(sa.BigInteger)
    collected_at: Mapped[datetime | None]  # the phone's clock: when the member paid
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entry.id"), unique=True)
    refusal: Mapped[str | None] = mapped_column(sa.String(300))


def collecting(koperasi: Koperasi) -> list[dict]:
    """What the phone keeps for collecting offline (module rules), by member number."""
    members = db.session.execute(
        sa.select(Membership.id, Membership.member_number, Membership.full_name, Membership.status,
                  Membership.pokok_owed_idr)
        .where(Membership.koperasi_id == koperasi.id, Membership.member_number.is_not(None),
               Membership.status.in_(PAYING_IN))
        .order_by(Membership.member_number).limit(MEMBERS_KEPT)).all()
    ids = [m.id for m in members]
    open_loans: dict[int, list[dict]] = {}
    if ids:
        for loan in db.session.scalars(sa.select(Loan).where(
                Loan.koperasi_id == koperasi.id, Loan.membership_id.in_(ids), Loan.status == LoanStatus.ACTIVE)
                .options(lazyload(Loan.membership)).order_by(Loan.id)):
            owed = loans.owed(loan)
            open_loans.setdefault(loan.membership_id, []).append(
                {"id": loan.id, "name": loan.product.name, "due": owed.due_now, "owed": owed.total})
    paid_pokok = _pokok_paid([m.id for m in members if m.status == MemberStatus.APPROVED])
    return [{"id": m.id, "number": m.member_number, "name": m.full_name, "status": str(m.status),
             "pokok": max(m.pokok_owed_idr - paid_pokok.get(m.id, 0), 0) if m.status == MemberStatus.APPROVED else 0,
             "wajib": koperasi.wajib_idr, "loans": open_loans.get(m.id, [])} for m in members]


def _pokok_paid(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(SavingsBalance.membership_id, SavingsBalance.balance).where(
        SavingsBalance.membership_id.in_(ids), SavingsBalance.kind == "pokok")).all())


def answered(koperasi: Koperasi, key: str) -> OfflineCollection | None:
    return db.session.scalar(sa.select(OfflineCollection).where(OfflineCollection.koperasi_id == koperasi.id,
                                                                OfflineCollection.key == key))


def collect(koperasi: Koperasi, by: User, *, key: str, membership_id: int | None, what: str, amount: int,
            loan_id: int | None = None, provisional: str = "", collected_at: datetime | None = None,
            keep_refusal: bool = True) -> OfflineCollection:
    """Post one collection once by its key (module rules). A refusal is kept and returned
    (``keep_refusal``), or raised (the online form, which shows it and lets the teller fix it)."""
    once = fingerprint("offline_collection", by, membership=membership_id, what=what, loan=loan_id, amount=amount)
    if (first := answered(koperasi, key)) is not None:
        same(first.fingerprint, once)
        return first

    def new_row() -> OfflineCollection:
        return OfflineCollection(koperasi_id=koperasi.id, key=key, fingerprint=once, teller_id=by.id,
                                 provisional=(provisional or "")[:PROVISIONAL_MAX], what=str(what)[:10],
                                 amount_idr=amount, collected_at=collected_at)

    try:
        with db.session.begin_nested():
            membership, loan = _whom(koperasi, membership_id, what, loan_id)
            entry = (loans.repay(loan, amount, "cash", by, key=key) if loan
                     else savings.deposit(membership, what, amount, "cash", by, key=key))
            row = new_row()
            row.membership_id, row.loan_id, row.entry_id = membership.id, loan.id if loan else None, entry.id
            db.session.add(row)
            _record(koperasi, by, row, membership, entry)
            db.session.flush()
    except DomainError as error:
        if not keep_refusal:
            raise
        try:
            with db.session.begin_nested():
                return _refused(koperasi, by, new_row(), membership_id, loan_id, error)
        except sa.exc.IntegrityError:
            pass  # the same key answered meanwhile: below
    except sa.exc.IntegrityError:  # the same key answered meanwhile (the batch sent twice at once)
        pass
    else:
        return row
    if (first := answered(koperasi, key)) is None:
        raise RuntimeError(f"key {key!r} refused as taken, yet not found")
    same(first.fingerprint, once)
    return first


def _whom(koperasi: Koperasi, membership_id: int | None, what: str, loan_id: int | None):
    """The member (of this koperasi, still paying in) and, for a repayment, their loan being repaid."""
    membership = db.session.get(Membership, membership_id) if isinstance(membership_id, int) else None
    if membership is None or membership.koperasi_id != koperasi.id or membership.member_number is None:
        raise DomainError(_l("This member is not a member of %(koperasi)s. Nothing was posted: give the money back.",
                             koperasi=koperasi.name), field="member")
    if what not in WHAT:
        raise DomainError(_l("Choose a deposit or a loan repayment."), field="what")
    if membership.status == MemberStatus.RESIGNED or (membership.status == MemberStatus.RESIGNING
                                                      and what != "repayment"):
        raise DomainError(_l("%(name)s has resigned from the koperasi: their savings take no more deposits. "
                             "Nothing was posted: give the money back.", name=membership.full_name), field="member")
    if what != "repayment":
        return membership, None
    if loan_id is None:  # one loan being repaid: it is the one (the online form may leave it unchosen)
        repaying = db.session.scalars(sa.select(Loan.id).where(Loan.membership_id == membership.id,
                                                               Loan.status == LoanStatus.ACTIVE).limit(2)).all()
        loan_id = repaying[0] if len(repaying) == 1 else None
    loan = db.session.get(Loan, loan_id) if isinstance(loan_id, int) else None
    if loan is None or loan.membership_id != membership.id:
        raise DomainError(_l("Choose a loan of this member."), field="loan")
    if loan.status == LoanStatus.PAID_OFF:
        raise DomainError(_l("This loan was already paid off. Nothing was posted: give the money back to the member "
                             "or take it as a deposit."), field="loan")
    return membership, loan


def _refused(koperasi: Koperasi, by: User, row: OfflineCollection, membership_id, loan_id,
             error: DomainError) -> OfflineCollection:
    """Keep the refusal as the answer for good (module rules)."""
    mine = isinstance(membership_id, int) and db.session.scalar(sa.select(Membership.id).where(
        Membership.id == membership_id, Membership.koperasi_id == koperasi.id))
    row.membership_id = membership_id if mine else None  # never a row pointing at another koperasi's member
    row.loan_id = loan_id if mine and isinstance(loan_id, int) and db.session.scalar(sa.select(Loan.id).where(
        Loan.id == loan_id, Loan.membership_id == membership_id)) else None
    row.refusal = str(error.message)[:300]
    db.session.add(row)
    _record(koperasi, by, row, db.session.get(Membership, row.membership_id) if row.membership_id else None, None)
    db.session.flush()
    return row


def _record(koperasi: Koperasi, by: User, row: OfflineCollection, membership: Membership | None,
            entry: Entry | None) -> None:
    """The audit event of one collection, shaped as web/audit.py records an office action."""
    details = {"member": membership.member_number if membership else "",
               "form": {"provisional": row.provisional, "what": row.what, "amount": idr(row.amount_idr)}}
    if entry is not None:
        details["entries"] = [[entry.ref, entry.kind, entry.total]]
    else:
        details["form"]["refused"] = row.refusal or ""
    db.session.add(KoperasiEvent(koperasi_id=koperasi.id, actor_id=by.id, action=str(Duty.COLLECT_OFFLINE),
                                 details=json.dumps(details, ensure_ascii=False)))


def latest(koperasi: Koperasi, teller: User, limit: int = 10) -> list[tuple[OfflineCollection, str | None]]:
    """The teller's latest collections here, newest first, each with its final receipt (None: refused)."""
    return [tuple(row) for row in db.session.execute(
        sa.select(OfflineCollection, Entry.ref).outerjoin(Entry, Entry.id == OfflineCollection.entry_id)
        .where(OfflineCollection.koperasi_id == koperasi.id, OfflineCollection.teller_id == teller.id)
        .order_by(OfflineCollection.id.desc()).limit(limit))]


def provisional_of(entry: Entry) -> str | None:
    """The provisional number a posted collection had on the teller's phone (for its receipt)."""
    return db.session.scalar(sa.select(OfflineCollection.provisional).where(OfflineCollection.entry_id == entry.id))


def receipt_of(row: OfflineCollection) -> str | None:
    return db.session.scalar(sa.select(Entry.ref).where(Entry.id == row.entry_id)) if row.entry_id else None
