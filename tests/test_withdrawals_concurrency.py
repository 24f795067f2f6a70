"""Withdrawals under real concurrency: requests at once never hold more than the balance nor pass
the daily limit together, a withdrawal and a stall payment at once cannot spend the same money,
and two tellers at once pay a withdrawal out once (the race helper: tests/test_ledger_concurrency.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import books_check, savings, stall
from models import withdrawals as wd
from models.accounts import User
from models.ledger import Account, Entry, Purpose, balances
from models.market import Store
from models.membership import Membership
from models.withdrawals import Withdrawal
from tests.conftest import board, fund
from tests.test_ledger_concurrency import race
from web.extensions import db as _db


@pytest.fixture
def asking(make_koperasi, make_member, make_user, make_store):
    """(membership id, destination id, store id): the member holds Rp300.000 of sukarela and may
    withdraw Rp10.000.000 a day; a fellow member's store takes payments."""
    kop = fund(make_koperasi(), 10_000_000, "bank")
    kop.withdraw_daily_limit_idr = 10_000_000
    membership = make_member(kop, user=make_user(full_name="Siti Aminah"))
    savings.deposit(membership, "sukarela", 300_000, "cash", board(kop))
    destination = wd.add_destination(membership, membership.user, "bca", "1234567890", "Siti Aminah")
    store = make_store(kop, owner=make_user(full_name="Budi Penjual"))
    _db.session.commit()
    return membership.id, destination.id, store.id


def _request(membership_id: int, destination_id: int, amount: int, key: str):
    membership = _db.session.get(Membership, membership_id)
    return lambda: wd.request(membership, membership.user, destination_id, amount, key).id


def _count(kind: str) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == kind))


def _check_ten_requests(app, asking):
    membership_id, destination_id, _store = asking
    outcome = race(app, 10, lambda i: _request(membership_id, destination_id, 100_000, f"wd-{i:02d}-" + "x" * 36))
    assert outcome.crashed == []
    assert len(outcome.done) == 3 and len(outcome.refused) == 7  # Rp300.000 holds three
    assert balances(membership_id)["sukarela"] == 0
    assert _count("withdrawal_hold") == 3
    assert books_check.check() == []


@pytest.mark.postgres_only
def test_ten_withdrawals_at_once_never_hold_more_than_the_balance(app, asking):
    _check_ten_requests(app, asking)


def test_withdrawals_at_once_on_sqlite_never_hold_more_than_the_balance(app, asking, db):
    _check_ten_requests(app, asking)


@pytest.mark.postgres_only
def test_requests_at_once_cannot_pass_the_daily_limit_together(app, asking):
    membership_id, destination_id, _store = asking
    membership = _db.session.get(Membership, membership_id)
    membership.koperasi.withdraw_daily_limit_idr = 150_000
    _db.session.commit()
    outcome = race(app, 6, lambda i: _request(membership_id, destination_id, 50_000, f"wd-{i:02d}-" + "x" * 36))
    assert outcome.crashed == []
    assert len(outcome.done) == 3 and len(outcome.refused) == 3  # Rp150.000 a day: three of Rp50.000
    assert balances(membership_id)["sukarela"] == 150_000
    assert books_check.check() == []


@pytest.mark.postgres_only
def test_a_withdrawal_and_stall_payments_at_once_cannot_overdraw(app, asking):
    membership_id, destination_id, store_id = asking

    def work(i):
        if i % 2:
            return _request(membership_id, destination_id, 100_000, f"wd-{i:02d}-" + "x" * 36)
        store, payer = _db.session.get(Store, store_id), _db.session.get(Membership, membership_id).user
        return lambda: stall.pay(store, payer, 100_000, f"pay-{i:02d}-" + "x" * 36).id

    outcome = race(app, 8, work)
    assert outcome.crashed == []
    assert len(outcome.done) == 3 and len(outcome.refused) == 5  # whichever came first, Rp300.000 once
    assert balances(membership_id)["sukarela"] == 0
    assert _count("withdrawal_hold") + _count("stall_payment") == 3
    assert books_check.check() == []


def _awaiting(asking) -> tuple[int, int]:
    membership_id, destination_id, _store = asking
    membership = _db.session.get(Membership, membership_id)
    withdrawal = wd.request(membership, membership.user, destination_id, 200_000, "k" * 43)
    _db.session.commit()
    return withdrawal.id, membership.koperasi.created_by_id


def _bank(koperasi_id: int) -> int:
    return _db.session.scalar(sa.select(Account.balance).where(
        Account.koperasi_id == koperasi_id, Account.purpose == Purpose.BANK, Account.parent_id.is_(None)))


@pytest.mark.postgres_only
def test_two_tellers_at_once_pay_out_once(app, asking):
    withdrawal_id, teller_id = _awaiting(asking)
    koperasi_id = _db.session.get(Withdrawal, withdrawal_id).koperasi_id
    bank = _bank(koperasi_id)

    def work(i):
        withdrawal, teller = _db.session.get(Withdrawal, withdrawal_id), _db.session.get(User, teller_id)
        return lambda: wd.pay_out(withdrawal, teller, f"TRX-{i}", f"payout-{i}-" + "x" * 36).id

    outcome = race(app, 4, work)
    assert outcome.crashed == []
    assert len(outcome.done) == 1 and len(outcome.refused) == 3
    assert _bank(koperasi_id) == bank - 200_000
    assert _count("withdrawal_payout") == 1
    assert books_check.check() == []


@pytest.mark.postgres_only
def test_a_payout_and_a_rejection_at_once_do_one_of_them(app, asking):
    withdrawal_id, teller_id = _awaiting(asking)
    membership_id = asking[0]

    def work(i):
        withdrawal, teller = _db.session.get(Withdrawal, withdrawal_id), _db.session.get(User, teller_id)
        if i % 2:
            return lambda: wd.reject(withdrawal, teller, "Nomor rekening salah", f"reject-{i}-" + "x" * 36).id
        return lambda: wd.pay_out(withdrawal, teller, None, f"payout-{i}-" + "x" * 36).id

    outcome = race(app, 4, work)
    assert outcome.crashed == []
    assert len(outcome.done) == 1 and len(outcome.refused) == 3
    status = _db.session.get(Withdrawal, withdrawal_id).status
    assert balances(membership_id)["sukarela"] == (300_000 if status == "rejected" else 100_000)
    assert _count("withdrawal_payout") + _count("withdrawal_release") == 1
    assert books_check.check() == []
