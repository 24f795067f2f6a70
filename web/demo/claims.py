"""Claims in the koperasi that came in through the import (web/demo/imported.py): its members
have placeholder accounts under the numbers its paper books had. Two of them have since
registered with their number: Dadang (member 3, a loan being repaid) was confirmed at the
counter and sees his savings and loan; Euis (member 2) asked to be confirmed and waits at
/k/<slug>/office/claims for Dedi, its pengurus. The other 58 have not registered yet."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from models import claims
from models.accounts import User, register_user
from models.koperasi import Koperasi
from models.membership import Membership
from web.demo.people import DEMO_PASSWORD
from web.extensions import db

CONFIRMED, WAITING = 3, 2  # member numbers (…-00003, …-00002) in the imported file


def mobile_of(n: int) -> str:
    """The number web/demo/imported.py wrote for member ``n``."""
    return f"08572{n:07d}"


def imported_claims(added: Counter, koperasi: Koperasi, board: User) -> None:
    for n in (CONFIRMED, WAITING):
        membership = db.session.scalar(sa.select(Membership).where(
            Membership.koperasi_id == koperasi.id, Membership.member_number == f"{koperasi.member_prefix}-{n:05d}"))
        if membership.user.placeholder:  # they register with the number the koperasi had
            register_user(membership.full_name, mobile_of(n), DEMO_PASSWORD)
            db.session.refresh(membership)
            added["claimed accounts"] += 1
        if membership.awaiting_claim and membership.claim_requested_at is None:
            claims.request(membership, consented=True)
        if n == CONFIRMED and membership.awaiting_claim:
            claims.confirm(membership, board)
