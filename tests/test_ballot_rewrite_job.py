"""When a vote closes, the worker rewrites the ballot tables by itself: on PostgreSQL, a ballot
and its voter's mark no longer share a transaction stamp (xmin), with no one running a command.

A real RQ worker with its scheduler (tests/rq_worker.py) takes the task that creating the vote
scheduled for its close (``models.voting._rewrite_after``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import voting, voting_results
from models.base import utcnow
from models.meetings import Meeting
from models.zones import zone_of
from tests.conftest import board
from tests.rq_worker import wait_for, worker_fixture  # noqa: F401  (the fixture named worker)
from tests.test_voting import NIKS, _xmin_links


@pytest.mark.postgres_only
def test_the_worker_rewrites_the_ballots_when_the_vote_closes(worker, db, make_koperasi, make_member):
    k = make_koperasi(name="Koperasi Suara Rahasia", member_prefix="KSR", pokok_idr=0)
    voters = [make_member(k, nik=NIKS[40 + i]) for i in range(6)]
    meeting = Meeting(koperasi_id=k.id, title="RAT Tahun Buku 2025", book_year=2025,
                      starts_at=utcnow() + timedelta(days=3), record_date=zone_of(k).today())
    db.session.add(meeting)
    db.session.commit()
    now = utcnow()
    proposal = voting.create(meeting, voting.ProposalData(
        kind="motion", topic="statements", title="Mengesahkan laporan keuangan 2025", opens_at=now,
        closes_at=now + timedelta(seconds=4)), board(k), announce_it=False)
    db.session.commit()  # the rewrite is now scheduled for the close, on the worker's Redis
    for member, choice in zip(voters, ("yes", "no", "yes", "abstain", "yes", "no"), strict=True):
        voting.cast(proposal, member, choice=choice)
        db.session.commit()
    assert _xmin_links(db) == 6  # while the vote is open, each ballot carries its voter's stamp

    def rewritten():
        db.session.rollback()  # a fresh look at what the worker committed
        stamps = db.session.execute(sa.text("SELECT count(DISTINCT xmin::text) FROM ballot")).scalar()
        return stamps == 1 and _xmin_links(db) == 0

    wait_for(rewritten, timeout=60, what="the scheduled rewrite of the ballot tables")
    assert sorted(choice for _r, choice, _i in voting_results.published(proposal)) == sorted(
        ("yes", "no", "yes", "abstain", "yes", "no"))  # the same ballots, counted as cast
