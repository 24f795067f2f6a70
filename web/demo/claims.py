"""Imported members waiting to be claimed, in the fourth Bandung koperasi (no other demo flow
touches it): Wati registered with the number her koperasi imported and asked to be confirmed
(her claim waits at /k/<slug>/office/claims for Asep, its admin pengurus); Rudi has not
registered yet (his placeholder cannot log in; staff confirm him at the counter once he has)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import sqlalchemy as sa

from models import claims, savings
from models.accounts import User, placeholder_for, register_user
from models.koperasi import Koperasi
from models.ledger import find_by_key
from models.membership import Membership, from_nik
from web.demo.money import demo_key
from web.demo.people import DEMO_PASSWORD, user_by_mobile
from web.extensions import db

# name, mobile, NIK, sukarela brought from the paper books, registered on Kopz
IMPORTED = [("Wati Susanti", "081200000004", "3273115507880002", 1_250_000, True),
            ("Rudi Hartono", "081200000005", "3273011508900007", 400_000, False)]


def imported_claims(added: Counter, koperasi: Koperasi, board: User) -> None:
    for n, (name, mobile, nik, sukarela, registered) in enumerate(IMPORTED, start=1):
        number = f"{koperasi.member_prefix}-L{n:04d}"
        membership = db.session.scalar(sa.select(Membership).where(Membership.koperasi_id == koperasi.id,
                                                                   Membership.member_number == number))
        if membership is None:
            user = user_by_mobile(mobile) or placeholder_for("+62" + mobile[1:], name)
            membership = Membership(koperasi_id=koperasi.id, user_id=user.id, status="active", full_name=name, nik=nik,
                                    address="Jl. Cigadung Raya No. 5, Bandung", occupation="Petani",
                                    member_number=number, joined_on=date(2018, 7, 1), imported=True, **from_nik(nik))
            db.session.add(membership)
            db.session.flush()
            added["imported members"] += 1
        key = demo_key(f"claim-sukarela-{number}")
        if find_by_key(koperasi, key) is None:
            savings.deposit(membership, "sukarela", sukarela, "cash", board, key=key)
        if registered and membership.user.placeholder:
            register_user(name, mobile, DEMO_PASSWORD)
            db.session.refresh(membership)
        if registered and membership.awaiting_claim and membership.claim_requested_at is None:
            claims.request(membership)
