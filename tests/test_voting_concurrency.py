"""One member, one ballot, under real concurrency: the same member voting from several
phones at once on PostgreSQL gets exactly one ballot; many members voting at once all count.

Each thread is one request: its own app context (its own session and connection), loads by
id, casts, commits (the pattern of tests/test_ledger_concurrency.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import voting
from models.base import utcnow
from models.koperasi import Koperasi
from models.meetings import Meeting
from models.membership import Membership
from models.voting import Ballot, Proposal, VoterMark
from models.zones import zone_of
from tests.conftest import board
from tests.test_ledger_concurrency import race
from web.extensions import db as _db

NIKS = [f"32730115089{n:05d}" for n in range(1, 30)]


@pytest.fixture
def proposal(db, make_koperasi):
    k = make_koperasi(name="Koperasi Serentak", member_prefix="KSN", pokok_idr=0)
    meeting = Meeting(koperasi_id=k.id, title="RAT 2025", book_year=2025, starts_at=utcnow(),
                      record_date=zone_of(k).today())
    db.session.add(meeting)
    db.session.flush()
    now = utcnow()
    p = voting.create(meeting, voting.ProposalData(kind="motion", topic="shu", title="Pembagian SHU 2025",
                                                   opens_at=now, closes_at=now + timedelta(days=1)), board(k))
    db.session.commit()
    return p


def _count(model) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.postgres_only
def test_one_member_voting_eight_times_at_once_gets_one_ballot(app, proposal, make_member):
    member = make_member(_db.session.get(Koperasi, proposal.koperasi_id), nik=NIKS[0])
    proposal_id, member_id = proposal.id, member.id

    def work(i):
        p = _db.session.get(Proposal, proposal_id)
        m = _db.session.get(Membership, member_id)
        return lambda: voting.cast(p, m, choice=("yes", "no")[i % 2])

    outcome = race(app, 8, work)
    assert outcome.crashed == []
    assert len(outcome.done) == 1 and len(outcome.refused) == 7
    assert all("sudah memberikan suara" in message or "already voted" in message for message in outcome.refused)
    assert _count(Ballot) == _count(VoterMark) == 1


@pytest.mark.postgres_only
def test_many_members_voting_at_once_all_count(app, proposal, make_member):
    koperasi = _db.session.get(Koperasi, proposal.koperasi_id)
    ids = [make_member(koperasi, nik=NIKS[1 + i]).id for i in range(10)]
    proposal_id = proposal.id

    def work(i):
        p = _db.session.get(Proposal, proposal_id)
        m = _db.session.get(Membership, ids[i])
        return lambda: voting.cast(p, m, choice="yes")

    outcome = race(app, 10, work)
    assert outcome.crashed == [] and outcome.refused == []
    assert len(set(outcome.done)) == 10
    assert _count(Ballot) == _count(VoterMark) == 10
