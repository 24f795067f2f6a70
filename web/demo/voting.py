"""Demo votes at the RAT: the past meeting's closed and published votes (statements, the SHU
split, an election of the pengawas) with ballots cast by the demo members, and the coming
meeting's votes open now, closing in a few days, that the demo logins can still cast."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from models import attendance, voting
from models.accounts import User
from models.base import utcnow
from models.koperasi import Koperasi
from models.meetings import Meeting
from models.membership import Membership
from web.extensions import db

KEEP_FOR_THE_LOGINS = ("Siti Rahmawati", "Budi Santoso")  # they vote themselves on the open ones

PAST = (
    ("motion", "accountability", "Menerima laporan pertanggungjawaban pengurus {year}", (), 1, (70, 10, 20)),
    ("motion", "statements", "Mengesahkan laporan keuangan tahun buku {year}", (), 1, (75, 10, 15)),
    ("motion", "shu", "Mengesahkan pembagian SHU tahun buku {year}", (), 1, (65, 20, 15)),
    ("election", "pengawas", "Pemilihan pengawas {next}–{end}", ("Hendra Gunawan", "Ratna Sari", "Yusuf Maulana"),
     1, (50, 30, 20)),
)
UPCOMING = (
    ("motion", "plan", "Mengesahkan rencana kerja dan anggaran {next}", (), 1, (60, 25, 15)),
    ("election", "pengurus", "Pemilihan pengurus {next}–{end}", ("Asep Hidayat", "Nur Aini", "Dedi Kurniawan",
                                                                  "Lestari Wulandari"), 2, (35, 30, 20, 15)),
)


def votes(added: Counter, koperasi: Koperasi, past_meeting: Meeting, upcoming_meeting: Meeting) -> None:
    """Closed and published votes on the past meeting; open ones on the coming meeting."""
    by = db.session.get(User, koperasi.created_by_id)
    now = utcnow()
    start = past_meeting.starts_at - timedelta(hours=1)
    _meeting_votes(added, past_meeting, PAST, by, opens=start, closes=start + timedelta(hours=4), everyone=True,
                   next_year=past_meeting.book_year + 1)
    # the coming meeting decides next year's plan: the year after the one it meets in
    _meeting_votes(added, upcoming_meeting, UPCOMING, by, opens=now - timedelta(hours=2),
                   closes=now + timedelta(days=4), everyone=False, next_year=upcoming_meeting.day.year + 1)


def _meeting_votes(added, meeting, proposals, by, opens, closes, everyone: bool, next_year: int) -> None:
    names = {"year": meeting.book_year, "next": next_year, "end": next_year + 3}
    voters = db.session.scalars(sa.select(Membership).where(attendance.eligible_clause(meeting))
                                .order_by(Membership.member_number)).all()
    for kind, topic, title, candidates, seats, weights in proposals:
        title = title.format(**names)
        proposal = db.session.scalar(sa.select(voting.Proposal).where(voting.Proposal.meeting_id == meeting.id,
                                                                      voting.Proposal.title == title))
        if proposal is None:
            proposal = voting.create(meeting, voting.ProposalData(
                kind=kind, topic=topic, title=title, opens_at=opens, closes_at=closes, seats=seats,
                candidates=candidates), by, now=opens, announce_it=False)
            added["proposals"] += 1
        if not everyone:  # the open ones: members find "voting open" in their notifications
            added["notifications"] += voting.announce(proposal.id)
        rng = random.Random(f"demo-vote-{proposal.title}")
        casting = voters if everyone else voters[: len(voters) // 2]
        for member in casting:
            if member.full_name in KEEP_FOR_THE_LOGINS and not everyone or voting.has_voted(proposal, member):
                continue
            if kind == voting.MOTION:
                choice = rng.choices(voting.MOTION_CHOICES, weights=weights)[0]
                voting.cast(proposal, member, choice=choice, now=opens + timedelta(minutes=5))
            else:
                picks = sorted(set(rng.choices(proposal.candidates, weights=weights, k=seats)), key=lambda c: c.position)
                voting.cast(proposal, member, candidate_ids=[c.id for c in picks], now=opens + timedelta(minutes=5))
            added["ballots"] += 1
