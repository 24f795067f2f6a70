"""Top-ups under real concurrency: tellers confirming one request at once post ONE deposit and all
get that confirm back; members asking at once for the same amount get different unique amounts
(the race helper and its rules: tests/test_ledger_concurrency.py)."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from models import books_check, topups
from models.accounts import User
from models.ledger import Entry, balances
from models.membership import Membership
from models.topups import Topup, TopupStatus
from tests.conftest import board
from tests.test_ledger_concurrency import race
from web.extensions import db as _db


@pytest.fixture
def waiting(make_koperasi, make_member, make_staff, make_user):
    """(request id, membership id, the tellers' ids): one pending top-up, five tellers."""
    kop = make_koperasi()
    topups.set_bank_account(kop, board(kop), "BRI", "002101000123305", "Koperasi Sejahtera Bersama", 24)
    membership = make_member(kop, user=make_user(full_name="Rina Marlina"))
    topup = topups.ask(membership, 250_000, None)
    _db.session.commit()
    tellers = [make_staff(kop, "teller", user=make_user(full_name=f"Teller {i}")).id for i in range(5)]
    return topup.id, membership.id, tellers


def _check_tellers_confirm_once(app, waiting):
    topup_id, membership_id, tellers = waiting

    def work(i):
        topup, teller = _db.session.get(Topup, topup_id), _db.session.get(User, tellers[i])
        return lambda: topups.confirm(topup, teller, f"confirm-{i}-" + "x" * 36).entry_id

    outcome = race(app, len(tellers), work)
    assert outcome.crashed == [] and outcome.refused == []
    assert len(outcome.done) == len(tellers) and len(set(outcome.done)) == 1  # each got the first confirm
    topup = _db.session.get(Topup, topup_id)
    assert topup.status == TopupStatus.CONFIRMED and topup.entry_id == outcome.done[0]
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.memo == "sukarela")) == 1
    assert balances(membership_id)["sukarela"] == topup.unique_amount_idr
    assert books_check.check() == []


@pytest.mark.postgres_only
def test_tellers_confirming_at_once_post_one_deposit(app, waiting):
    _check_tellers_confirm_once(app, waiting)


def test_tellers_confirming_at_once_on_sqlite_post_one_deposit(app, waiting, db):
    _check_tellers_confirm_once(app, waiting)


@pytest.mark.postgres_only
def test_members_asking_at_once_get_different_unique_amounts(app, make_koperasi, make_member, make_user,
                                                             monkeypatch):
    kop = make_koperasi()
    topups.set_bank_account(kop, board(kop), "BRI", "002101000123305", "Koperasi Sejahtera Bersama", 24)
    members = [make_member(kop, user=make_user(full_name=f"Anggota {i}"), nik=f"32730115089500{i + 10:02d}").id
               for i in range(6)]
    draw = topups.secrets.choice
    monkeypatch.setattr(topups.secrets, "choice", lambda seq: min(seq) if isinstance(seq, list) else draw(seq))

    def work(i):
        membership = _db.session.get(Membership, members[i])
        return lambda: topups.ask(membership, 100_000, None).unique_amount_idr

    outcome = race(app, len(members), work)  # each first draws the same code: the index sends them on
    assert outcome.crashed == [] and outcome.refused == []
    assert sorted(outcome.done) == [100_001 + i for i in range(len(members))]


@pytest.mark.postgres_only
def test_a_top_up_asked_while_the_member_resigns_is_never_left_waiting_on_a_resigning_member(app, waiting, monkeypatch):
    """The resignation checks for waiting top-ups, then marks the member resigning: a request made in between
    would wait for a transfer no deposit can take any more. It comes before the check, or is refused."""
    from models import resignation

    _topup_id, membership_id, _tellers = waiting
    topups.cancel(_db.session.get(Topup, _topup_id), _db.session.get(Membership, membership_id).user)
    _db.session.commit()
    checked = threading.Event()
    real = resignation.request_resignation

    def checked_then_wait(membership):
        checked.set()  # the request starts now, between the check and the status change
        time.sleep(0.5)
        real(membership)

    monkeypatch.setattr(resignation, "request_resignation", checked_then_wait)

    def work(i):
        membership = _db.session.get(Membership, membership_id)
        if i == 0:
            return lambda: resignation.request(membership)

        def ask():
            checked.wait(timeout=10)
            return topups.ask(membership, 100_000, "ask-" + "x" * 40).id
        return ask

    outcome = race(app, 2, work)
    assert outcome.crashed == []
    resigning = _db.session.get(Membership, membership_id).status == "resigning"
    assert not (resigning and topups.waiting_of(membership_id))
    assert len(outcome.done) == 2 - len(outcome.refused)
