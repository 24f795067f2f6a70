"""A member's business with their koperasi, for SHU jasa usaha.

Rules kept here: one row per thing that counts (a completed purchase from the koperasi's
stores, a payment at a member's stall and its refund, the interest of one loan repayment),
recorded by the flow that did it (orders, stall, loans); they import this module, so it
imports nothing above the base.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow

PURCHASE = "purchase"
LOAN_INTEREST = "interest"  # the column holds 12 characters: "loan_interest" would not fit without a migration


class MemberTransaction(db.Model):
    """A member's business with their koperasi (purchases from its stores, loan interest paid), for SHU."""

    __table_args__ = (sa.Index("ix_member_transaction", "koperasi_id", "membership_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id"))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"))
    kind: Mapped[str] = mapped_column(sa.String(12), default=PURCHASE)
    amount_idr: Mapped[int] = mapped_column(sa.BigInteger)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("market_order.id"), unique=True)
    # a payment at a member's stall (``models.stall``), and its refund (a negative amount)
    stall_payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stall_payment.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
