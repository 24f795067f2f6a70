"""Demo stall payments: fellow members paid Siti's Warung Bu Siti in the first Bandung koperasi
from their simpanan sukarela at the stall (its QR), and Siti refunded one typed wrong.

Each payment has a fixed key (``demo_key("stall-<n>")``), so a second run adds nothing.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from models import stall
from models.accounts import User
from models.errors import DomainError
from models.koperasi import Koperasi
from models.ledger import find_by_key
from models.market import Store
from web.demo.capital import STORE
from web.demo.money import demo_key
from web.demo.people import MEMBERS, MOBILES, user_by_mobile
from web.extensions import db

PAYERS = ("Budi Santoso", *(m[0] for m in MEMBERS[:4]))
AMOUNTS = (12_000, 35_000, 8_500, 50_000, 21_000)
REFUNDED = 2  # the payment typed wrong


def stall_payments(added: Counter, first: Koperasi) -> None:
    shop = db.session.scalar(sa.select(Store).where(Store.koperasi_id == first.id, Store.name == STORE))
    if shop is None:
        return
    for n, (name, amount) in enumerate(zip(PAYERS, AMOUNTS, strict=True)):
        payer, key = user_by_mobile(MOBILES[name]), demo_key(f"stall-{n}")
        if payer is None:
            continue
        new = find_by_key(first, key) is None
        try:
            paid = stall.pay(shop, payer, amount, key)
        except DomainError:  # not a member, or too little sukarela: no payment
            continue
        added["stall payments"] += new
        if n == REFUNDED and paid.refunded_at is None:
            stall.refund(paid, db.session.get(User, shop.owner_id), amount, "Salah ketik jumlah, dibayar tunai",
                         demo_key(f"stall-refund-{n}"))
            added["stall refunds"] += 1
    db.session.flush()
