"""Stall payments under real concurrency: payments at once never overdraw the payer's
sukarela, a double tap pays once, and two refunds at once refund once (the race helper and
its rules: tests/test_ledger_concurrency.py)."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from models import books_check, savings, stall
from models.accounts import User
from models.ledger import Entry, balances
from models.market import Store
from models.stall import StallPayment
from tests.conftest import board
from tests.test_ledger_concurrency import race
from web.extensions import db as _db


@pytest.fixture
def paying(make_koperasi, make_store, make_member, make_user):
    """(store id, payer id, payer's membership id): the payer holds Rp300.000 of sukarela."""
    kop = make_koperasi()
    store = make_store(kop, owner=make_user(full_name="Siti Penjual"))
    payer = make_user(full_name="Budi Pembeli")
    membership = make_member(kop, user=payer)
    savings.deposit(membership, "sukarela", 300_000, "cash", board(kop))
    _db.session.commit()
    return store.id, payer.id, membership.id


def _payments_race(app, paying, threads: int = 10, same_key: bool = False):
    store_id, payer_id, membership_id = paying

    def work(i):
        store, payer = _db.session.get(Store, store_id), _db.session.get(User, payer_id)
        key = "k" * 43 if same_key else f"pay-{i:02d}-" + "x" * 36
        return lambda: stall.pay(store, payer, 100_000, key).id

    return race(app, threads, work), membership_id


def _check_ten_payments(app, paying):
    outcome, membership_id = _payments_race(app, paying)
    assert outcome.crashed == []
    assert len(outcome.done) == 3 and len(outcome.refused) == 7  # Rp300.000 covers three
    assert balances(membership_id)["sukarela"] == 0
    payments = _db.session.scalars(sa.select(StallPayment)).all()
    assert sorted(p.id for p in payments) == sorted(outcome.done)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == "stall_payment")) == 3
    assert books_check.check() == []


@pytest.mark.postgres_only
def test_ten_payments_at_once_never_overdraw(app, paying):
    _check_ten_payments(app, paying)


def test_payments_at_once_on_sqlite_never_overdraw(app, paying, db):
    _check_ten_payments(app, paying)


@pytest.mark.postgres_only
def test_a_double_tap_at_once_pays_once(app, paying):
    outcome, membership_id = _payments_race(app, paying, threads=5, same_key=True)
    assert outcome.crashed == [] and outcome.refused == []
    assert len(set(outcome.done)) == 1  # every tap got the one payment
    assert balances(membership_id)["sukarela"] == 200_000


@pytest.mark.postgres_only
def test_two_refunds_at_once_refund_once(app, paying):
    store_id, payer_id, membership_id = paying
    payment = stall.pay(_db.session.get(Store, store_id), _db.session.get(User, payer_id), 100_000, "k" * 43)
    _db.session.commit()
    payment_id, owner_id = payment.id, payment.store.owner_id

    def work(i):
        paid, owner = _db.session.get(StallPayment, payment_id), _db.session.get(User, owner_id)
        return lambda: stall.refund(paid, owner, 100_000, "Salah ketik jumlah", f"refund-{i}-" + "x" * 36).id

    outcome = race(app, 4, work)
    assert outcome.crashed == []
    assert len(outcome.done) == 1 and len(outcome.refused) == 3
    assert balances(membership_id)["sukarela"] == 300_000
    assert books_check.check() == []


@pytest.mark.postgres_only
def test_payments_while_the_sellers_resignation_is_confirmed_are_never_stranded(app, paying, monkeypatch):
    """The refund reads the seller's savings, then pays them out: a payment landing in between would stay
    in the savings of a membership that is closed for good. Each payment comes either before the refund
    (and is refunded with the rest) or after it (and is refused)."""
    from models import resignation
    from models.membership import Membership
    from tests.conftest import fund

    store_id, payer_id, membership_id = paying
    store = _db.session.get(Store, store_id)
    seller_id, board_id = store.membership_id, board(store.koperasi).id
    fund(store.koperasi)
    resignation.request(_db.session.get(Membership, seller_id))
    _db.session.commit()
    counted = threading.Event()
    real = resignation.balances

    def read_then_wait(member_id):
        held = real(member_id)
        if member_id == seller_id:
            counted.set()  # the payments start now, while the refund is under way
            time.sleep(0.5)
        return held

    monkeypatch.setattr(resignation, "balances", read_then_wait)

    def work(i):
        if i == 0:
            seller, by = _db.session.get(Membership, seller_id), _db.session.get(User, board_id)
            return lambda: resignation.confirm(seller, by, "r" * 43)
        store, payer = _db.session.get(Store, store_id), _db.session.get(User, payer_id)

        def pay():
            counted.wait(timeout=10)
            return stall.pay(store, payer, 100_000, f"pay-{i:02d}-" + "x" * 36).id
        return pay

    outcome = race(app, 3, work)
    assert outcome.crashed == []
    assert _db.session.get(Membership, seller_id).status == "resigned"
    assert sum(balances(seller_id).values()) == 0  # nothing left behind in a closed membership
    assert balances(membership_id)["sukarela"] == 300_000 - 100_000 * (len(outcome.done) - 1)
    assert books_check.check() == []
