"""How Kopz drives SQLite: a request that writes begins with BEGIN IMMEDIATE, so it
holds the write lock from its first read (what it read is still true when it writes,
and no domain operation needs to commit to drop a stale snapshot); a reading request
begins a plain BEGIN and never waits for a writer."""

from __future__ import annotations

import threading

import pytest

from models import ledger, savings
from models.membership import Membership
from web.extensions import db as _db

pytestmark = pytest.mark.sqlite_only


def _in_thread(target) -> threading.Thread:
    thread = threading.Thread(target=target)
    thread.start()
    return thread


def test_a_writing_request_holds_the_write_lock_from_its_first_read(app, make_koperasi, make_member, make_staff):
    kop = make_koperasi()
    member, teller = make_member(kop), make_staff(kop, "teller")
    savings.deposit(member, "sukarela", 100_000, "cash", teller)
    _db.session.commit()
    member_id, teller_id = member.id, teller.id
    a_read, b_read = threading.Event(), threading.Event()
    order, seen = [], {}

    def first_writer():
        with app.test_request_context("/", method="POST"):
            membership = _db.session.get(Membership, member_id)  # the transaction begins here
            a_read.set()
            b_read.wait(timeout=2)  # a second writer cannot get past its own first read meanwhile
            savings.withdraw(membership, 70_000, "cash", _db.session.get(type(teller), teller_id))
            _db.session.commit()
            order.append("first committed")

    def second_writer():
        a_read.wait(timeout=10)
        with app.test_request_context("/", method="POST"):
            seen["balance"] = ledger.balances(member_id)["sukarela"]
            order.append("second read")
            b_read.set()
            _db.session.rollback()

    threads = [_in_thread(first_writer), _in_thread(second_writer)]
    for thread in threads:
        thread.join(timeout=30)
    assert order == ["first committed", "second read"]
    assert seen["balance"] == 30_000  # it read after the first writer's withdrawal, never before


def test_a_reading_request_does_not_wait_for_a_writer(app, make_koperasi, make_member, make_staff):
    kop = make_koperasi()
    member, teller = make_member(kop), make_staff(kop, "teller")
    savings.deposit(member, "sukarela", 100_000, "cash", teller)
    _db.session.commit()
    member_id = member.id
    writing, read = threading.Event(), threading.Event()
    seen = {}

    def writer():
        with app.test_request_context("/", method="POST"):
            _db.session.get(Membership, member_id)
            writing.set()
            seen["reader done first"] = read.wait(timeout=10)
            _db.session.rollback()

    def reader():
        writing.wait(timeout=10)
        with app.test_request_context("/", method="GET"):
            seen["balance"] = ledger.balances(member_id)["sukarela"]
            read.set()

    threads = [_in_thread(writer), _in_thread(reader)]
    for thread in threads:
        thread.join(timeout=30)
    assert seen == {"balance": 100_000, "reader done first": True}
