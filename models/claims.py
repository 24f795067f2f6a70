"""Claiming an imported membership: the koperasi confirms who holds it, without an SMS.

A koperasi's import brings members with the mobile number it had on file; each such
membership sits on the account with that number (a placeholder when nobody had one, which
its owner takes over by registering: ``models.accounts.register_user``).

Rules kept here:
- Until the koperasi confirms the account holder (``Membership.claimed_at``), the membership
  is not theirs (``membership.held_by``): no balances, loans, SHU, statement, card, votes or
  notifications. The number typed in the import may belong to someone else.
- The holder asks (``request``): staff who approve members are told, and check the person's
  KTP (at the office or by asking them) against the imported name, NIK and birth date.
- Staff confirm (``confirm``: also at the counter, without a request) or refuse with a reason
  (``refuse``: the person sees the reason, not the membership, and cannot ask again); when
  the number was wrong, staff correct it (``correct_number``): the membership moves to the
  account with the right number, or a new placeholder for it, and waits for that person.
- A placeholder nobody has registered yet cannot be confirmed: there is nobody to confirm.
- Each decision happens once, in one conditional UPDATE (two staff tapping at once), and is
  written in the koperasi's history.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import consent
from models.accounts import User, normalize_mobile, placeholder_for
from models.base import db, utcnow
from models.duties import DUTIES, Duty
from models.errors import DomainError
from models.koperasi import Koperasi, Staff, record
from models.membership import Membership
from models.notifications import Kind, notify, notify_many

MIN_REASON = 5


def awaiting(user: User) -> list[Membership]:
    """The user's imported memberships the koperasi has not confirmed yet (shown as such on /cards)."""
    return list(db.session.scalars(sa.select(Membership).where(
        Membership.user_id == user.id, Membership.awaiting_claim, Membership.status != "resigned")
        .order_by(Membership.id)))


def awaiting_in(user: User, slug: str) -> Membership | None:
    """The user's unconfirmed imported membership in the koperasi ``slug``, if any: found by the
    account, never by an id a person could guess."""
    return db.session.scalar(sa.select(Membership).join(Koperasi).where(
        Koperasi.slug == slug, Membership.user_id == user.id, Membership.awaiting_claim,
        Membership.status != "resigned"))


def queue(koperasi: Koperasi) -> sa.Select:
    """The office's claims to decide: requested, not yet confirmed, oldest first."""
    return (sa.select(Membership).where(Membership.koperasi_id == koperasi.id, Membership.awaiting_claim,
                                        Membership.claim_requested_at.is_not(None))
            .order_by(Membership.claim_requested_at, Membership.id))


def _approvers(koperasi_id: int) -> list[int]:
    roles = [role for role, duties in DUTIES.items() if Duty.APPROVE_MEMBER in duties]
    return list(db.session.scalars(sa.select(Staff.user_id).where(Staff.koperasi_id == koperasi_id,
                                                                  Staff.role.in_(roles))))


def _change(membership: Membership, *where, **values) -> None:
    """Change an unconfirmed import, only while it is one (and ``where`` holds): one UPDATE."""
    done = db.session.execute(
        sa.update(Membership).where(Membership.id == membership.id, Membership.awaiting_claim, *where)
        .values(**values).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(membership)
    if done != 1:
        if not membership.awaiting_claim:
            raise DomainError(_l("This membership is already confirmed."))
        raise DomainError(_l("This was already handled by someone else."))


def request(membership: Membership, consented: bool, address_from: str = "") -> bool:
    """The account holder asks the koperasi to confirm them, consenting to the processing of their
    data (an imported member's consent is pending until then: models.consent); the staff who approve
    members are told. Asking twice changes nothing (False); after a refusal they cannot ask again."""
    if membership.claim_refusal:
        raise DomainError(_l("The koperasi could not confirm you. Visit the office with your KTP."))
    if membership.claim_requested_at is not None:
        return False
    if not consented:
        raise DomainError(consent.REFUSED, field="consent")
    try:
        _change(membership, Membership.claim_requested_at.is_(None), Membership.claim_refusal.is_(None),
                claim_requested_at=utcnow())
    except DomainError:
        return False  # a second tap at the same moment: the first one asked
    consent.give(membership.user_id, membership.id, address_from)
    koperasi = membership.koperasi
    notify_many(_approvers(koperasi.id), Kind.CLAIM_REQUESTED, koperasi_id=koperasi.id,
                params={"name": membership.user.full_name, "number": membership.member_number or ""},
                url=f"/k/{koperasi.slug}/office/claims/{membership.id}")
    return True


def confirm(membership: Membership, by: User) -> None:
    """The koperasi has checked the account holder's KTP: the membership is theirs from now on."""
    if membership.user.placeholder:
        raise DomainError(_l("Nobody has registered with this mobile number yet: ask the member to register "
                             "on Kopz with it first."))
    _change(membership, claimed_at=utcnow(), claim_refusal=None)
    koperasi = membership.koperasi
    record(koperasi, by, "claim_confirmed", {"member": membership.member_number or "", "name": membership.full_name,
                                             "user": membership.user.full_name})
    notify(membership.user_id, Kind.CLAIM_CONFIRMED, koperasi_id=koperasi.id,
           params={"number": membership.member_number or ""}, url=f"/k/{koperasi.slug}/me")


def refuse(membership: Membership, by: User, reason: str | None) -> None:
    """The account holder is not this member: they see the reason (not the membership) and
    cannot ask again; staff may still correct the number or confirm them at the counter."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise DomainError(_l("Write the reason, so the person knows what to do."), field="reason")
    _change(membership, claim_refusal=reason, claim_requested_at=None)
    koperasi = membership.koperasi
    record(koperasi, by, "claim_refused", {"member": membership.member_number or "", "name": membership.full_name,
                                           "user": membership.user.full_name, "reason": reason})
    notify(membership.user_id, Kind.CLAIM_REFUSED, koperasi_id=koperasi.id, params={"reason": reason},
           url="/cards")


def correct_number(membership: Membership, by: User, mobile: str | None) -> User:
    """The import had the wrong number: the membership moves to the account with the right one
    (a new placeholder when there is none) and waits for that person to claim it."""
    number = normalize_mobile(mobile or "")
    if number == membership.user.mobile:
        raise DomainError(_l("This is already the membership's number."), field="mobile")
    old = membership.user.mobile
    target = placeholder_for(number, membership.full_name)
    try:
        with db.session.begin_nested():
            _change(membership, user_id=target.id, claim_requested_at=None, claim_refusal=None)
    except sa.exc.IntegrityError:
        raise DomainError(_l("The account with this number already has a membership here."),
                          field="mobile") from None
    record(membership.koperasi, by, "claim_number", {"member": membership.member_number or "",
                                                     "name": membership.full_name, "from": old, "to": number})
    return target
