"""Demo top-ups by bank transfer: the first Bandung koperasi set its BRI account; a few members asked
to top up their sukarela and wait for the teller (one sent the transfer's photo), and one request was
confirmed against the bank statement, so its receipt is there.

Each request has a fixed key (``demo_key("topup-<n>")``) and the confirm is once per request, so a
second run adds nothing.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from models import topups
from models.accounts import User
from models.koperasi import Koperasi
from models.membership import Membership, MemberStatus
from web.demo.money import demo_key
from web.demo.people import MEMBERS, MOBILES, user_by_mobile
from web.extensions import db

ASKED = ((MEMBERS[5][0], 250_000), (MEMBERS[6][0], 100_000), (MEMBERS[7][0], 1_000_000), (MEMBERS[8][0], 75_000))
CONFIRMED = 3  # the teller found this one on the statement


def topup_requests(added: Counter, first: Koperasi, teller: User) -> None:
    if topups.bank_account(first) is None:
        topups.set_bank_account(first, db.session.get(User, first.created_by_id), "BRI", "0021-01-000123-30-5",
                                first.name, first.topup_expiry_hours)
    for n, (name, amount) in enumerate(ASKED):
        user = user_by_mobile(MOBILES[name])
        member = user and db.session.scalar(sa.select(Membership).where(
            Membership.user_id == user.id, Membership.koperasi_id == first.id, Membership.status == MemberStatus.ACTIVE))
        if member is None:
            continue
        new = db.session.scalar(sa.select(topups.Topup.id).where(topups.Topup.request_key == demo_key(f"topup-{n}"))) is None
        topup = topups.ask(member, amount, demo_key(f"topup-{n}"))
        added["top-up requests"] += new
        if n == CONFIRMED and topup.status == topups.TopupStatus.PENDING:
            topups.confirm(topup, teller, demo_key(f"topup-confirm-{n}"))
            added["top-ups confirmed"] += 1
    db.session.flush()
