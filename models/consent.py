"""Consent to the processing of personal data (UU PDP 27/2022, Pasal 20–22).

Rules kept here:
- Nobody joins a koperasi without ticking their consent to the stated purpose (``membership.apply``
  refuses, field ``consent``); the record keeps the purpose, the version of the text they saw,
  when, and from which address.
- A member brought in by a koperasi's import gave no consent on Kopz: theirs is pending until they
  claim the membership, which asks for it (``claims.request``).
- Records are kept after a deletion (``personal_data.erase``): they prove what was agreed, and
  hold nothing but the account's id, the purpose and the version.
The text itself (what data, why, who sees it, how long) is ``templates/privacy/_purpose.html``,
one version per ``VERSION``: change the text, raise the version.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow

MEMBERSHIP = "membership"  # the purpose: running the membership (savings, loans, SHU, RAT)
VERSION = "2026-12"
PURPOSES = {MEMBERSHIP: _l("Membership of a koperasi: savings, loans, SHU and the members' meeting")}
REFUSED = _l("To join, tick that you agree to how your personal data is used. Without it the koperasi cannot "
             "keep your membership.")


class Consent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    membership_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    version: Mapped[str] = mapped_column(sa.String(10))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    given_from: Mapped[str] = mapped_column(sa.String(45), default="")  # the client's address

    @property
    def purpose_label(self):
        return PURPOSES.get(self.purpose, self.purpose)


def give(user_id: int, membership_id: int | None, address: str = "", purpose: str = MEMBERSHIP) -> Consent:
    """Record a consent to the current text of ``purpose``."""
    consent = Consent(user_id=user_id, membership_id=membership_id, purpose=purpose, version=VERSION,
                      given_from=(address or "")[:45])
    db.session.add(consent)
    return consent


def given(membership_id: int) -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Consent)
                             .where(Consent.membership_id == membership_id)) > 0


def of_user(user_id: int) -> list[Consent]:
    return list(db.session.scalars(sa.select(Consent).where(Consent.user_id == user_id).order_by(Consent.id)))
