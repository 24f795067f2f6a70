"""Demo withdrawals to a bank or e-wallet: Budi saved his BCA account and his GoPay in the first
Bandung koperasi, had Rp100.000 paid out to his bank (the teller sent it and marked it paid, with
the bank's reference) and asked for Rp250.000 more, awaiting the teller.

Every posting has a fixed key (``demo_key("withdrawal-<n>")``), so a second run adds nothing.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from models import savings
from models import withdrawals as wd
from models.accounts import User
from models.koperasi import Koperasi
from models.ledger import find_by_key
from models.membership import Membership, MemberStatus
from web.demo.money import _once, demo_key
from web.demo.people import MOBILES, user_by_mobile
from web.extensions import db

ACCOUNTS = (("bca", "7310 2245 18", "BUDI SANTOSO"), ("gopay", "081200000002", "Budi Santoso"))
ASKED = ((100_000, "BCA-TRF-240117"), (250_000, None))  # paid out with the bank's reference; awaiting


def withdrawals(added: Counter, first: Koperasi, teller: User) -> None:
    budi = user_by_mobile(MOBILES["Budi Santoso"])
    member = budi and db.session.scalar(sa.select(Membership).where(
        Membership.user_id == budi.id, Membership.koperasi_id == first.id, Membership.status == MemberStatus.ACTIVE))
    if member is None:
        return
    saved = {d.provider: d for d in wd.destinations(member.id)}
    for provider, number, holder in ACCOUNTS:
        if provider not in saved:
            saved[provider] = wd.add_destination(member, budi, provider, number, holder)
            added["withdrawal accounts"] += 1
    _once(added, first, "withdrawal-top-up", savings.deposit, member, "sukarela",
          sum(amount for amount, _ref in ASKED), "cash", teller)
    for n, (amount, ref) in enumerate(ASKED):
        key = demo_key(f"withdrawal-{n}")
        new = find_by_key(first, key) is None
        asked = wd.request(member, budi, saved["bca"].id, amount, key)
        added["withdrawals"] += new
        if ref and asked.status == wd.Status.AWAITING:
            wd.pay_out(asked, teller, ref, demo_key(f"withdrawal-payout-{n}"))
    db.session.flush()
