"""Memberships: applying, approval with a member number, cards, resignation.

One row per application; an approved application becomes the membership (the card).
Rejected and resigned rows stay as history, so a person can apply again.
The applicant is notified of the decision (and of the pokok owed) in the same transaction.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature
from lokal import parse_nik
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from models import consent, signing
from models.accounts import User
from models.base import db, utcnow
from models.crypto import Encrypted, decrypt, keyed_hash, reseal
from models.errors import Checks, DomainError
from models.koperasi import Koperasi, record
from models.notifications import Kind, notify

WIB = ZoneInfo("Asia/Jakarta")


class MemberStatus(enum.StrEnum):
    APPLIED = "applied"
    REJECTED = "rejected"
    APPROVED = "approved"  # has a member number; active once simpanan pokok is paid
    ACTIVE = "active"
    RESIGNING = "resigning"  # asked to resign; staff confirm (savings refunded then)
    RESIGNED = "resigned"


OPEN = (MemberStatus.APPLIED, MemberStatus.APPROVED, MemberStatus.ACTIVE, MemberStatus.RESIGNING)
STATUS_LABELS = {
    MemberStatus.APPLIED: _l("Awaiting approval"),
    MemberStatus.REJECTED: _l("Rejected"),
    MemberStatus.APPROVED: _l("Approved: pay simpanan pokok to activate"),
    MemberStatus.ACTIVE: _l("Active"),
    MemberStatus.RESIGNING: _l("Resignation requested"),
    MemberStatus.RESIGNED: _l("Resigned"),
}

GENDERS = {"L": _l("Male"), "P": _l("Female")}

OPEN_SQL = "status IN ('applied', 'approved', 'active', 'resigning')"


class Membership(db.Model):
    __table_args__ = (
        # At most one open application or membership per person and koperasi (also under races).
        sa.Index("uq_membership_open", "koperasi_id", "user_id", unique=True,
                 sqlite_where=sa.text(OPEN_SQL), postgresql_where=sa.text(OPEN_SQL)),
        sa.UniqueConstraint("koperasi_id", "member_number"),
        sa.Index("ix_membership_queue", "koperasi_id", "status", "applied_at"),
        sa.Index("ix_membership_claims", "koperasi_id", "claim_requested_at"),  # the office's claim queue
        sa.Index("ix_membership_nik_hash", "koperasi_id", "nik_hash"),  # a NIK looked up in a koperasi
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default=MemberStatus.APPLIED)
    full_name: Mapped[str] = mapped_column(sa.String(120))  # as on the KTP when applying
    # Personal data, encrypted at rest (models.crypto): plain in Python, a token in the database.
    nik: Mapped[str] = mapped_column(Encrypted())  # shown masked; whole only through reveal_nik
    nik_hash: Mapped[str | None] = mapped_column(sa.String(64))  # keyed hash, to find a NIK (with_nik)
    address: Mapped[str] = mapped_column(Encrypted())  # in full to the board, masked to other staff
    occupation: Mapped[str] = mapped_column(sa.String(120))
    is_umkm: Mapped[bool] = mapped_column(default=False)
    # As on the KTP (personal data, like the NIK): the regulator's report counts members by
    # gender; an imported member brings all three, the join form asks them.
    gender: Mapped[str | None] = mapped_column(sa.String(1))  # GENDERS: "L" laki-laki, "P" perempuan
    birth_date: Mapped[date | None] = mapped_column(Encrypted(date))
    region_code: Mapped[str | None] = mapped_column(sa.String(13))  # Kemendagri code (models.regions)
    # Brought in by the koperasi's import (models.koperasi_import): the person sees nothing of it
    # until the koperasi has confirmed them (claimed_at; models.claims). Joined members: not imported.
    imported: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    claimed_at: Mapped[datetime | None]
    business_name: Mapped[str | None] = mapped_column(sa.String(160))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    rejection_reason: Mapped[str | None] = mapped_column(sa.Text)
    member_number: Mapped[str | None] = mapped_column(sa.String(20))
    joined_on: Mapped[date | None]
    pokok_owed_idr: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # posted by the savings ledger
    resign_requested_at: Mapped[datetime | None]
    resigned_at: Mapped[datetime | None]
    # The member agreed that their savings pay off their loans when they leave (kompensasi,
    # models.resignation): ticked when resigning, or recorded by staff.
    offset_consent: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The member's choice: simpanan wajib paid from sukarela at each month's end (models.dues).
    wajib_autopay: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    koperasi: Mapped[Koperasi] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    # Asked by the account holder (models.claims.request); a refusal's reason stays until the
    # number is corrected or the koperasi confirms them after all.
    claim_requested_at: Mapped[datetime | None]
    claim_refusal: Mapped[str | None] = mapped_column(sa.Text)

    @hybrid_property
    def awaiting_claim(self) -> bool:
        """Imported, and the koperasi has not yet confirmed the account holder is this member."""
        return self.imported and self.claimed_at is None

    @awaiting_claim.inplace.expression
    @classmethod
    def _awaiting_claim(cls):
        return sa.and_(cls.imported.is_(True), cls.claimed_at.is_(None))

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    @validates("nik")
    def _hash_nik(self, _key, nik: str) -> str:
        self.nik_hash = nik_key(nik)
        return nik

    @property
    def nik_masked(self) -> str:
        return mask_nik(self.nik)

    @property
    def address_masked(self) -> str:
        return mask_address(self.address)

    @property
    def is_card(self) -> bool:
        return self.member_number is not None


def held_by(user_id: int):
    """SQL: the memberships that are this person's own. An imported membership the koperasi has
    not yet confirmed them for (``awaiting_claim``) is not: its balances, loans, SHU, card, votes
    and notifications stay the koperasi's until then (the number in the import may be wrong).
    Every member-side query of "my membership" goes through this clause (``confirmed`` for lists)."""
    return sa.and_(Membership.user_id == user_id, confirmed())


def confirmed():
    """SQL: a membership whose holder the koperasi knows (joined, or an import confirmed)."""
    return sa.not_(Membership.awaiting_claim)


def nik_key(nik: str | None) -> str | None:
    """What ``nik_hash`` holds for a NIK (None for none: a pseudonymised member has no NIK)."""
    return keyed_hash(nik) if nik else None


def with_nik(nik: str):
    """SQL: the memberships whose NIK is this one (through the keyed hash: the NIK itself is
    encrypted and cannot be compared in SQL). Every lookup by NIK goes through here."""
    key = nik_key("".join((nik or "").split()))
    return Membership.nik_hash == key if key else sa.false()


def rehash_niks(conn) -> int:
    """Every ``nik_hash`` recomputed with the current hash key (after it changed: rotate-data-key)."""
    return reseal(conn, "membership", ["nik"], lambda values: {"nik_hash": nik_key(decrypt(values["nik"]))})


def find_by_nik(koperasi_id: int, nik: str) -> Membership | None:
    """The koperasi's membership (the open one first, else the latest) of the person with this NIK."""
    return db.session.scalar(sa.select(Membership).where(Membership.koperasi_id == koperasi_id, with_nik(nik))
                             .order_by(Membership.status.in_(OPEN).desc(), Membership.id.desc()).limit(1))


def mask_address(address: str | None) -> str:
    """The first word or two (the street's name), the rest hidden: for staff who need not visit."""
    words = (address or "").split()
    shown = " ".join(words[:2]) if len(" ".join(words[:2])) <= 16 else words[0][:12] if words else ""
    return f"{shown} ••••••" if shown else "••••••"


def mask_nik(nik: str) -> str:
    """3201••••••••0001: enough to recognise, not to misuse."""
    return nik[:4] + "•" * 8 + nik[-4:] if nik and len(nik) == 16 else "•" * 16


def reveal_nik(membership: Membership, by: User) -> str:
    """The full NIK, for a board member who needs it (UU PDP: shown masked otherwise);
    each reveal is recorded in the koperasi's history with who and when."""
    record(membership.koperasi, by, "nik_revealed",
           {"member": membership.member_number or "", "name": membership.full_name})
    db.session.flush()
    return membership.nik


def _jakarta_today() -> date:
    return datetime.now(WIB).date()


def _set_status(membership: Membership, expected: tuple[str, ...], new: str, **values) -> None:
    """Move to a new status only from an expected one, in one conditional UPDATE
    (two staff tapping at once cannot both win)."""
    result = db.session.execute(
        sa.update(Membership).where(Membership.id == membership.id, Membership.status.in_(expected))
        .values(status=new, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(membership)
        raise DomainError(_l("This was already handled by someone else: %(status)s.",
                             status=membership.status_label))
    db.session.refresh(membership)


def check_application(*, full_name: str | None, nik: str | None, address: str | None, occupation: str | None,
                      is_umkm: bool, business_name: str | None, agreed: bool, consented: bool) -> tuple:
    """What a member application must hold; every bad field is reported at once."""
    checks = Checks()
    nik = "".join((nik or "").split())
    if not parse_nik(nik).valid:
        checks.fail(_l("Enter the 16-digit NIK exactly as on your KTP."), "nik")
    full_name = " ".join((full_name or "").split())
    if len(full_name) < 2:
        checks.fail(_l("Enter your full name."), "full_name")
    address = (address or "").strip()
    if len(address) < 10:
        checks.fail(_l("Enter your full address."), "address")
    occupation = (occupation or "").strip()
    if len(occupation) < 2:
        checks.fail(_l("Enter your occupation."), "occupation")
    business_name = (business_name or "").strip() or None
    if is_umkm and not business_name:
        checks.fail(_l("Enter your business name."), "business_name")
    if not agreed:
        checks.fail(_l("You must agree to the koperasi's rules to join."), "agree")
    if not consented:
        checks.fail(consent.REFUSED, "consent")
    checks.done()
    return nik, full_name, address, occupation, business_name


def from_nik(nik: str) -> dict:
    """Gender, birth date and district as a valid NIK encodes them (day + 40 for women)."""
    info = parse_nik(nik)
    if not info.valid:
        return {}
    return {"gender": info.gender, "birth_date": date.fromisoformat(info.birth_date) if info.birth_date else None,
            "region_code": info.district_code}


def apply(user: User, koperasi: Koperasi, *, full_name: str, nik: str, address: str, occupation: str,
          is_umkm: bool, business_name: str | None, agreed: bool, consented: bool, address_from: str = "") -> Membership:
    """Apply to join a verified koperasi; one open application or membership at a time; only with the
    person's consent to the processing of their data (recorded with ``address_from``, models.consent)."""
    if not koperasi.is_verified:
        raise DomainError(_l("This koperasi is not accepting members yet."))
    nik, full_name, address, occupation, business_name = check_application(
        full_name=full_name, nik=nik, address=address, occupation=occupation, is_umkm=is_umkm,
        business_name=business_name, agreed=agreed, consented=consented)
    if open_membership(user, koperasi):
        raise DomainError(_l("You already have an open application or membership here."))
    membership = Membership(koperasi_id=koperasi.id, user_id=user.id, full_name=full_name, nik=nik,
                            address=address, occupation=occupation, is_umkm=bool(is_umkm),
                            business_name=business_name if is_umkm else None, **from_nik(nik))
    db.session.add(membership)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        raise DomainError(_l("You already have an open application or membership here.")) from None
    consent.give(user.id, membership.id, address_from)
    return membership


def open_membership(user: User, koperasi: Koperasi) -> Membership | None:
    return db.session.scalar(sa.select(Membership).where(
        Membership.user_id == user.id, Membership.koperasi_id == koperasi.id, Membership.status.in_(OPEN)))


def approve(membership: Membership, staff_user: User) -> None:
    """Approve: the next member number of this koperasi (sequential, never reused),
    the join date, and the simpanan pokok owed. The membership is active once pokok
    is paid (at once when the koperasi asks none)."""
    koperasi = membership.koperasi
    seq = db.session.execute(
        sa.update(Koperasi).where(Koperasi.id == koperasi.id)
        .values(last_member_seq=Koperasi.last_member_seq + 1)
        .returning(Koperasi.last_member_seq)).scalar_one()
    _set_status(membership, (MemberStatus.APPLIED,),
                MemberStatus.APPROVED if koperasi.pokok_idr > 0 else MemberStatus.ACTIVE,
                member_number=f"{koperasi.member_prefix}-{seq:05d}", joined_on=_jakarta_today(),
                pokok_owed_idr=koperasi.pokok_idr, decided_at=utcnow(), decided_by_id=staff_user.id)
    url = f"/k/{koperasi.slug}/me"
    notify(membership.user_id, Kind.APPLICATION_APPROVED, koperasi_id=koperasi.id,
           params={"number": membership.member_number}, url=url)
    if koperasi.pokok_idr > 0:
        notify(membership.user_id, Kind.POKOK_DUE, koperasi_id=koperasi.id, params={"amount": koperasi.pokok_idr},
               url=url)


def reject(membership: Membership, staff_user: User, reason: str) -> None:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DomainError(_l("Write the reason, so the applicant knows what to fix."), field="reason")
    _set_status(membership, (MemberStatus.APPLIED,), MemberStatus.REJECTED, rejection_reason=reason,
                decided_at=utcnow(), decided_by_id=staff_user.id)
    notify(membership.user_id, Kind.APPLICATION_REJECTED, koperasi_id=membership.koperasi_id,
           params={"reason": reason}, url=f"/k/{membership.koperasi.slug}/me")


def withdraw(membership: Membership) -> None:
    """An application ended by the applicant (their data erased: models.personal_data)."""
    _set_status(membership, (MemberStatus.APPLIED,), MemberStatus.REJECTED, decided_at=utcnow(),
                rejection_reason="Ditarik: data pribadi pemohon dihapus atas permintaannya.")


def request_resignation(membership: Membership) -> None:
    _set_status(membership, (MemberStatus.ACTIVE,), MemberStatus.RESIGNING, resign_requested_at=utcnow())


def mark_resigned(membership: Membership) -> None:
    """The status change alone; the whole flow is ``models.resignation.confirm``."""
    _set_status(membership, (MemberStatus.RESIGNING,), MemberStatus.RESIGNED, resigned_at=utcnow())


# ---------------------------------------------------------------- card verification

def _serializer():
    return signing.serializer(current_app.config["SECRET_KEY"], "kopz-card")


def card_token(membership: Membership) -> str:
    return _serializer().dumps(membership.id)


def membership_from_token(token: str) -> Membership | None:
    try:
        membership_id = _serializer().loads(token)
    except BadSignature:
        return None
    return db.session.get(Membership, membership_id) if isinstance(membership_id, int) else None
