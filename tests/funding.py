"""Cash in a test koperasi's drawer before it lends: a member's sukarela deposit, so a cash
disbursement never takes the koperasi's cash below zero (the ledger refuses that)."""

from __future__ import annotations

from models import savings
from tests.conftest import board

FUNDER_NIK = "3273011508890399"  # not among the NIKs the tests give their members


def fund(koperasi, make_member, make_user, amount: int = 100_000_000) -> None:
    funder = make_member(koperasi, user=make_user(full_name="Penyimpan Besar"), nik=FUNDER_NIK)
    savings.deposit(funder, "sukarela", amount, "cash", board(koperasi))
    savings.db.session.commit()
