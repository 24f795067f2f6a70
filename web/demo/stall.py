"""Demo stall payments: fellow members topped up their sukarela at the counter and paid Siti's
Warung Bu Siti in the first Bandung koperasi from it at the stall (its QR); Siti refunded one
typed wrong.

Every posting has a fixed key (``demo_key("stall-<n>")``, ``"stall-top-up-<n>"``), so a second
run adds nothing.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from models import savings, stall
from models.accounts import User
from models.koperasi import Koperasi
from models.ledger import find_by_key
from models.market import Store
from models.membership import Membership, MemberStatus
from web.demo.capital import STORE
from web.demo.money import _once, demo_key
from web.demo.people import MEMBERS, MOBILES, user_by_mobile
from web.extensions import db

PAYERS = ("Budi Santoso", *(m[0] for m in MEMBERS[:4]))
AMOUNTS = (12_000, 35_000, 8_500, 50_000, 21_000)
REFUNDED = 2  # the payment typed wrong


def stall_payments(added: Counter, first: Koperasi, teller: User) -> None:
    shop = db.session.scalar(sa.select(Store).where(Store.koperasi_id == first.id, Store.name == STORE))
    if shop is None:
        return
    for n, (name, amount) in enumerate(zip(PAYERS, AMOUNTS, strict=True)):
        payer, key = user_by_mobile(MOBILES[name]), demo_key(f"stall-{n}")
        member = payer and db.session.scalar(sa.select(Membership).where(
            Membership.user_id == payer.id, Membership.koperasi_id == first.id, Membership.status == MemberStatus.ACTIVE))
        if member is None:
            continue
        _once(added, first, f"stall-top-up-{n}", savings.deposit, member, "sukarela", amount, "cash", teller)
        new = find_by_key(first, key) is None
        paid = stall.pay(shop, payer, amount, key)
        added["stall payments"] += new
        if n == REFUNDED and paid.refunded_at is None:
            stall.refund(paid, db.session.get(User, shop.owner_id), amount, "Salah ketik jumlah, dibayar tunai",
                         demo_key(f"stall-refund-{n}"))
            added["stall refunds"] += 1
    db.session.flush()
