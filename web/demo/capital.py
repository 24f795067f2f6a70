"""Demo working capital: Siti's Warung Bu Siti in the first Bandung koperasi sold to fellow
members for six months (paid from their simpanan sukarela), applied for working capital with
that record and 10 % of each sale pledged, was approved above the suggested ceiling, paid out
(today), and has since repaid part of it from new sales.

Orders are found by their fixed checkout key (``demo_key("capital-order-<n>")``), the loan by
the store's ``CapitalLoan``, so a second run adds nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import sqlalchemy as sa

from models import loans, months, orders, sales_record
from models.accounts import User
from models.capital import CapitalLoan
from models.errors import DomainError
from models.koperasi import Koperasi
from models.loans import LoanProduct
from models.market import Product, Store
from models.membership import Membership, MemberStatus
from models.savings import balances
from web.demo.money import demo_key
from web.demo.people import MEMBERS, MOBILES, user_by_mobile
from web.extensions import db

STORE = "Warung Bu Siti"
BUYERS = [m[0] for m in MEMBERS[:8]]
PER_MONTH = (3, 4, 4, 5, 6, 7)  # orders in each of the six months, oldest first: a growing warung
LATER = 4  # orders completed since the loan was paid out: each pays 10 % into it
ASKED, TENOR, PLEDGE = 3_000_000, 12, 10


def _sale(added: Counter, koperasi: Koperasi, shop: Store, buyer: User, n: int, when: datetime | None) -> None:
    """One order paid from the buyer's sukarela, completed (and dated ``when`` when given)."""
    key = demo_key(f"capital-order-{n}")
    if db.session.scalar(sa.select(orders.Order.id).where(orders.Order.buyer_id == buyer.id,
                                                          orders.Order.checkout_key == key)):
        return
    member = db.session.scalar(sa.select(Membership).where(Membership.user_id == buyer.id,
                                                           Membership.koperasi_id == koperasi.id,
                                                           Membership.status == MemberStatus.ACTIVE))
    if member is None:
        return
    for item in orders.cart(buyer):
        db.session.delete(item)
    products = db.session.scalars(sa.select(Product).where(Product.store_id == shop.id, Product.active.is_(True),
                                                           Product.stock >= 3).order_by(Product.id)).all()
    if not products:
        return
    picked = [products[(n * 7 + k) % len(products)] for k in range(1 + n % 2)]
    total = 0
    for product in dict.fromkeys(picked):
        orders.add_to_cart(buyer, product, 1)
        total += orders.price_for(product, {koperasi.id: member.id})
    payment = "savings" if balances(member.id)["sukarela"] >= total else "cash"
    seller = db.session.get(User, shop.owner_id)
    for placed in orders.checkout(buyer, {shop.id: orders.Choice(payment=payment)}, key).orders:
        for to in ("accepted", "ready", "completed"):
            orders.move(placed, to, seller, as_seller=True)
        if when is not None:  # the record's history: completed in that month
            db.session.execute(sa.update(orders.OrderEvent).where(orders.OrderEvent.order_id == placed.id)
                               .values(at=when))
        added["capital orders"] += 1


def working_capital(added: Counter, first: Koperasi, pengurus: User, teller: User) -> None:
    """Six months of sales, the application with its record, the loan paid out and repaid from sales."""
    shop = db.session.scalar(sa.select(Store).where(Store.koperasi_id == first.id, Store.name == STORE))
    product = db.session.scalar(sa.select(LoanProduct).where(LoanProduct.koperasi_id == first.id,
                                                             LoanProduct.name == "Modal Usaha UMKM"))
    buyers = [user for name in BUYERS if (user := user_by_mobile(MOBILES[name]))]
    if shop is None or product is None or not buyers:
        return
    n = 0
    for month, count in zip(sales_record.window(first), PER_MONTH, strict=True):
        start = months.bounds(first, month)[0]
        for k in range(count):
            _sale(added, first, shop, buyers[(n + k) % len(buyers)], n, start + timedelta(days=2 + k * 5, hours=3))
            n += 1
    db.session.flush()
    if db.session.scalar(sa.select(CapitalLoan.loan_id).where(CapitalLoan.store_id == shop.id)) is None:
        seller = db.session.get(User, shop.owner_id)
        try:
            loan = sales_record.apply_for_capital(shop, seller, product, ASKED, TENOR,
                                                  "Tambah stok beras dan minyak menjelang Lebaran", PLEDGE)
            loans.approve(loan, pengurus)
            loans.disburse(loan, teller, "cash", key=demo_key(f"capital-disburse-{loan.id}"))
        except DomainError:
            return
        added["working-capital loans"] += 1
    for k in range(LATER):  # sales since: each pays its share into the loan
        _sale(added, first, shop, buyers[(n + k) % len(buyers)], n + k, None)
    db.session.flush()
