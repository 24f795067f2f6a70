"""Imported memberships for tests: what a koperasi's import leaves behind (models.koperasi_import
makes them in production): an active membership with a member number on the account with the
mobile number the koperasi had (a placeholder when nobody has one), not yet claimed."""

from __future__ import annotations

from datetime import date
from itertools import count

from models import savings
from models.accounts import User, normalize_mobile, placeholder_for
from models.base import db
from models.membership import Membership, from_nik

NIK = "3273011508900007"  # a man born 15-08-1990 in Bandung
_numbers = count(1)


def make_imported(koperasi, mobile: str, *, full_name: str = "Rudi Hartono", nik: str = NIK,
                  number: str | None = None, sukarela: int = 0, by: User | None = None) -> Membership:
    """An active imported membership of ``koperasi`` under ``mobile``, awaiting its claim; with
    ``sukarela`` a deposit posted (by ``by``), so there is a balance to keep hidden."""
    user = placeholder_for(normalize_mobile(mobile), full_name)
    membership = Membership(koperasi_id=koperasi.id, user_id=user.id, status="active", full_name=full_name, nik=nik,
                            address="Jl. Cigadung Raya No. 5, Bandung", occupation="Petani",
                            member_number=number or f"{koperasi.member_prefix}-L{next(_numbers):04d}",
                            joined_on=date(2019, 3, 1), imported=True, **from_nik(nik))
    db.session.add(membership)
    db.session.flush()
    if sukarela:
        savings.deposit(membership, "sukarela", sukarela, "cash", by or db.session.get(User, koperasi.created_by_id))
    db.session.commit()
    return membership
