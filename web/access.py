"""Access: every query for a koperasi's data goes through here.

- ``office(slug, duty)``: the koperasi where the current user is staff, with their role.
  Anyone else gets 404 (the office of another koperasi does not exist for them);
  a role whose duties (``models.duties``) do not include ``duty`` gets 403. Then ``web.reauth``
  may stop it: a second factor the koperasi requires, or the password again before posting money.
  A POST that changes something for an audited duty leaves one event in the audit log (``web.audit``).
- ``can(duty)``: in templates, may the current staff member do it here (hides buttons).
- ``Office.get`` / ``Office.select``: rows of that koperasi only.
- ``my_membership(slug)``: the current user's own membership there, else 404. An imported
  membership the koperasi has not confirmed them for is not theirs yet (``membership.held_by``).
- ``insider(slug)``: the koperasi for its members (with a card) and its staff, else 404
  (the RAT's documents are theirs alone).
- ``visible_koperasi(slug)``: verified koperasi for everyone; a pending or rejected one
  only for its staff and platform admins.
- ``platform_admin_required``: platform admin pages.
- ``login_first()``: the anonymous visitor is sent to log in (htmx too), from any of the above.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

import sqlalchemy as sa
from flask import abort, g, make_response
from flask_login import current_user, login_required

from models.duties import Duty
from models.koperasi import Koperasi, Staff, Status
from models.membership import Membership, held_by
from web import audit, reauth
from web.extensions import db, login_manager


@dataclass
class Office:
    koperasi: Koperasi
    staff: Staff

    def can(self, duty: str) -> bool:
        return self.staff.can(duty)

    def select(self, model):
        """``SELECT model`` limited to this koperasi's rows."""
        return sa.select(model).where(model.koperasi_id == self.koperasi.id)

    def get(self, model, row_id: int):
        """One row of this koperasi, or 404 (another koperasi's row does not exist here)."""
        row = db.session.get(model, row_id)
        if row is None or row.koperasi_id != self.koperasi.id:
            abort(404)
        return row


def login_first() -> None:
    """Stop here and send the visitor to log in: a redirect, or for htmx a 401 with HX-Redirect
    (``login_manager.unauthorized`` answers with a tuple then, which ``abort`` alone cannot raise)."""
    abort(make_response(login_manager.unauthorized()))


def office(slug: str, duty: Duty | str) -> Office:
    """The current user's office in this koperasi, for ``duty``: 404 if not staff here, 403 if
    their role lacks the duty."""
    if duty not in set(Duty):
        raise ValueError(f"unknown duty {duty!r}")  # a typo in a view must not open or close a door
    if not current_user.is_authenticated:
        login_first()
    row = db.session.execute(
        sa.select(Koperasi, Staff)
        .join(Staff, sa.and_(Staff.koperasi_id == Koperasi.id, Staff.user_id == current_user.id))
        .where(Koperasi.slug == slug)
    ).first()
    if row is None:
        abort(404)
    koperasi, staff = row
    if not staff.can(duty):
        abort(403)
    g.office = Office(koperasi, staff)
    reauth.guard(g.office, duty)  # may answer first: the second factor to set up, or the password again
    audit.expect(g.office, duty)
    return g.office


def can(duty: str) -> bool:
    """For templates: may the current user do ``duty`` in the office this request opened?"""
    here = g.get("office")
    return bool(here and here.can(duty))


def my_membership(slug: str) -> Membership:
    """The current user's newest membership or application in this koperasi."""
    if not current_user.is_authenticated:
        login_first()
    membership = db.session.scalar(
        sa.select(Membership).join(Koperasi).where(Koperasi.slug == slug, held_by(current_user.id))
        .order_by(Membership.applied_at.desc(), Membership.id.desc()).limit(1))
    if membership is None:
        abort(404)
    return membership


def my_card(slug: str) -> Membership:
    """The current user's membership here that carries a card (not an application still waiting): else 404."""
    membership = my_membership(slug)
    if not membership.is_card:
        abort(404)
    return membership


@dataclass
class Insider:
    koperasi: Koperasi
    membership: Membership | None  # None for staff who are not members here
    staff: Staff | None


def insider(slug: str) -> Insider:
    """The koperasi for one of its members (a card, not resigned) or its staff; anyone else: 404."""
    if not current_user.is_authenticated:
        login_first()
    koperasi = db.session.scalar(sa.select(Koperasi).where(Koperasi.slug == slug))
    if koperasi is None:
        abort(404)
    membership = db.session.scalar(sa.select(Membership).where(
        Membership.koperasi_id == koperasi.id, held_by(current_user.id),
        Membership.member_number.is_not(None), Membership.status != "resigned"))
    staff = staff_role(koperasi)
    if membership is None and staff is None:
        abort(404)
    return Insider(koperasi, membership, staff)


def staff_role(koperasi: Koperasi) -> Staff | None:
    if not current_user.is_authenticated:
        return None
    return db.session.scalar(sa.select(Staff).where(Staff.koperasi_id == koperasi.id,
                                                    Staff.user_id == current_user.id))


def visible_koperasi(slug: str) -> Koperasi:
    koperasi = db.session.scalar(sa.select(Koperasi).where(Koperasi.slug == slug))
    if koperasi is None:
        abort(404)
    if koperasi.status != Status.VERIFIED and not (
        current_user.is_authenticated and (current_user.is_platform_admin or staff_role(koperasi))
    ):
        abort(404)
    return koperasi


def platform_admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_platform_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapper
