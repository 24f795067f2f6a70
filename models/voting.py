"""E-voting at the RAT: secret, one member one vote, and verifiable by every voter.

Rules kept here:
- A proposal is a yes/no/abstain motion (topic: accountability report, financial
  statements, SHU split ``"shu"``, plan and budget, other) or an election (choose up to
  ``seats`` of the candidates, for pengurus or pengawas), with a voting window
  ``[opens_at, closes_at)`` in UTC. The board (``MANAGE_MEETING``) creates and edits a
  proposal only before its window opens.
- Eligible: a member of the meeting's koperasi who was *active at the end of the record
  date* in the koperasi's zone: a member number, joined on or before the record date, simpanan
  pokok paid by then (no pokok deposit posted after that moment; a member still only
  ``approved`` has not paid it), and not resigned by then (status active or resigning, or
  resigned after that moment). Rejected and applied rows never vote.
- One ballot per member and proposal: a second attempt, a vote outside the window, by a
  non-member or an ineligible member is refused and nothing is written. An election ballot
  with more than ``seats`` names is refused; fewer (or none: a blank ballot) is valid.

How secrecy is achieved:
- Two tables. ``VoterMark`` (proposal_id, membership_id) says *who* voted; ``Ballot``
  (id, proposal_id, receipt, choice) and ``BallotChoice`` (ballot_id, candidate_id) say
  *what* was voted. The only column they share is ``proposal_id``.
- No column follows the order of voting: the ballot's key is 128 random bits
  (``secrets.token_hex``), the receipt is random, there is no timestamp on a ballot nor on
  a mark, no sequence or autoincrement anywhere in these three tables, and the published
  list is ordered by receipt code. On SQLite the three tables are ``WITHOUT ROWID``, so
  not even SQLite's hidden rowid counts the insertions; rows are kept in key order.
- The mark and the ballot are written in one transaction: both or neither. The mark's
  primary key makes a second ballot impossible, also for two requests at once on
  PostgreSQL (the second waits for the first, then fails on the key and is refused).
- The receipt is shown to the voter once, in the response to the vote, and never stored
  anywhere else (not in the session, not in a log line of ours).

What remains, and what was done about it:
- PostgreSQL itself links them until the tables are rewritten: every row carries the id
  of the transaction that wrote it (``xmin``), the same on a ballot and on its voter's
  mark (one transaction, as it must be) and growing with the order of voting; and new rows
  sit in the table's heap in the order they came (``ctid``). So when a vote closes, the
  worker (``flask --app wsgi worker``, which creating the vote scheduled) runs
  ``voting_results.rewrite``: every row of the three tables rewritten in one transaction
  (one stamp for all), then reordered by their random keys (CLUSTER). Without Redis (no
  worker) ``flask --app wsgi ballots-rewrite`` does the same, by hand or nightly from cron.
  Tested: before it, 30 of 30 ballots share their stamp with exactly one mark; after it,
  none does. The write-ahead log, WAL
  archives and backups taken during the vote still hold the order: keep them as secret as
  the database, and keep the statement log off (``log_statement`` = ``none``/``ddl``).
- The operator watching the database (or the web server's access log) *at the moment*
  someone votes sees who voted and which ballot appeared. No web application can hide that
  from whoever runs it; the receipts let every voter check that their ballot was counted
  as cast, and the counts check that no ballot was added (ballots == marks).
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import jobs
from models.accounts import User
from models.attendance import eligible_clause, is_eligible
from models.base import db, utcnow
from models.errors import Checks, DomainError
from models.meetings import Meeting
from models.membership import Membership, confirmed
from models.notifications import Kind, notify_many

MOTION, ELECTION = "motion", "election"
REWRITE_DELAY = timedelta(seconds=5)  # after the close: a ballot cast in its last instant has committed
YES, NO, ABSTAIN = "yes", "no", "abstain"
MOTION_CHOICES = (YES, NO, ABSTAIN)
CHOICE_LABELS = {YES: _l("Yes (agree)"), NO: _l("No (disagree)"), ABSTAIN: _l("Abstain")}


class Topic(enum.StrEnum):
    ACCOUNTABILITY = "accountability"  # the board's accountability report (LPJ)
    STATEMENTS = "statements"  # the financial statements
    SHU = "shu"  # the SHU split
    PLAN = "plan"  # work plan and budget (RK-RAPB)
    OTHER = "other"
    PENGURUS = "pengurus"  # elections
    PENGAWAS = "pengawas"


MOTION_TOPICS = (Topic.ACCOUNTABILITY, Topic.STATEMENTS, Topic.SHU, Topic.PLAN, Topic.OTHER)
ELECTION_TOPICS = (Topic.PENGURUS, Topic.PENGAWAS)
TOPIC_LABELS = {
    Topic.ACCOUNTABILITY: _l("Board's accountability report"),
    Topic.STATEMENTS: _l("Financial statements"),
    Topic.SHU: _l("SHU split"),
    Topic.PLAN: _l("Work plan and budget"),
    Topic.OTHER: _l("Other"),
    Topic.PENGURUS: _l("Election of the board (pengurus)"),
    Topic.PENGAWAS: _l("Election of the supervisors (pengawas)"),
}

RECEIPT_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B: read aloud or typed, never mistaken
RECEIPT_LENGTH = 10
NO_ROWID = {"sqlite_with_rowid": False}  # SQLite: no hidden insertion counter


class Proposal(db.Model):
    """A motion or an election at a meeting, with its voting window (UTC)."""

    __table_args__ = (sa.Index("ix_proposal_meeting", "meeting_id", "opens_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(10))  # motion, election
    topic: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    seats: Mapped[int] = mapped_column(default=1)  # an election: choose up to this many
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    meeting: Mapped[Meeting] = relationship(lazy="joined")
    candidates: Mapped[list[Candidate]] = relationship(order_by="Candidate.position", lazy="selectin",
                                                       cascade="all, delete-orphan")

    @property
    def topic_label(self):
        return TOPIC_LABELS.get(self.topic, self.topic)

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.opens_at <= now < self.closes_at

    def has_closed(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.closes_at

    def has_opened(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.opens_at


class Candidate(db.Model):
    """A name on an election's ballot, optionally a member of the koperasi."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    membership_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))
    position: Mapped[int] = mapped_column(default=0)  # the order on the ballot


class VoterMark(db.Model):
    """Who has voted on a proposal: nothing about how, nor when."""

    __table_args__ = (NO_ROWID,)

    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id", ondelete="CASCADE"), primary_key=True)


class Ballot(db.Model):
    """One secret ballot: a random key, the voter's receipt code and (a motion) the choice."""

    __table_args__ = (sa.UniqueConstraint("proposal_id", "receipt"), NO_ROWID)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)  # 128 random bits, hex
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"))
    receipt: Mapped[str] = mapped_column(sa.String(RECEIPT_LENGTH))
    choice: Mapped[str | None] = mapped_column(sa.String(10))  # yes/no/abstain; None on an election ballot


class BallotChoice(db.Model):
    """A candidate chosen on an election ballot."""

    __table_args__ = (NO_ROWID,)

    ballot_id: Mapped[str] = mapped_column(sa.ForeignKey("ballot.id", ondelete="CASCADE"), primary_key=True)
    candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("candidate.id", ondelete="CASCADE"), primary_key=True)


# ---------------------------------------------------------------- who may vote

def has_voted(proposal: Proposal, membership: Membership) -> bool:
    return db.session.get(VoterMark, (proposal.id, membership.id)) is not None


def marks(proposal: Proposal) -> int:
    """How many members have voted (shown during the window too: it tells nothing about choices)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(VoterMark)
                             .where(VoterMark.proposal_id == proposal.id))


def ballots(proposal: Proposal) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Ballot).where(Ballot.proposal_id == proposal.id))


# ---------------------------------------------------------------- the board sets proposals up

@dataclass
class ProposalData:
    kind: str
    topic: str
    title: str
    opens_at: datetime  # UTC
    closes_at: datetime  # UTC
    description: str = ""
    seats: int = 1
    candidates: tuple[str, ...] = ()  # names, or member numbers of this koperasi


def _check(meeting: Meeting, data: ProposalData, now: datetime) -> tuple[str, list[tuple[str, int | None]]]:
    checks = Checks()
    if data.kind not in (MOTION, ELECTION):
        checks.fail(_l("Choose a motion or an election."), "kind")
    topics = MOTION_TOPICS if data.kind == MOTION else ELECTION_TOPICS
    if data.topic not in topics:
        checks.fail(_l("Choose what it is about."), "topic")
    title = " ".join((data.title or "").split())
    if len(title) < 3:
        checks.fail(_l("Write the title members will see."), "title")
    if data.closes_at <= data.opens_at:
        checks.fail(_l("The voting must close after it opens."), "closes_at")
    elif data.closes_at <= now:
        checks.fail(_l("The voting must close in the future."), "closes_at")
    candidates: list[tuple[str, int | None]] = []
    if data.kind == ELECTION:
        for line in data.candidates:
            name = " ".join(line.split())
            if not name:
                continue
            member = db.session.scalar(sa.select(Membership).where(
                Membership.koperasi_id == meeting.koperasi_id, sa.func.upper(Membership.member_number) == name.upper()))
            entry = (member.full_name, member.id) if member else (name[:120], None)
            if entry[0].lower() in {c[0].lower() for c in candidates}:
                checks.fail(_l("%(name)s is listed twice.", name=entry[0]), "candidates")
            candidates.append(entry)
        if len(candidates) < 2:
            checks.fail(_l("List at least two candidates, one per line."), "candidates")
        if not 1 <= (data.seats or 0) <= max(len(candidates), 1):
            checks.fail(_l("Choose between 1 and %(most)s seats (no more than the candidates).",
                           most=max(len(candidates), 1)), "seats")
    checks.done()
    return title, candidates


def create(meeting: Meeting, data: ProposalData, by: User, now: datetime | None = None,
           announce_it: bool = True) -> Proposal:
    """Put a motion or an election to the meeting's vote; eligible members are told (after commit).

    ``now`` and ``announce_it=False``: only for recording a past vote (the demo)."""
    now = now or utcnow()
    title, candidates = _check(meeting, data, now)
    proposal = Proposal(koperasi_id=meeting.koperasi_id, meeting_id=meeting.id, kind=data.kind, topic=data.topic,
                        title=title, description=(data.description or "").strip(),
                        seats=data.seats if data.kind == ELECTION else 1,
                        opens_at=max(data.opens_at, now),
                        closes_at=data.closes_at, created_by_id=by.id if by else None)
    proposal.candidates = [Candidate(name=name, membership_id=mid, position=i) for i, (name, mid) in
                           enumerate(candidates)]
    db.session.add(proposal)
    db.session.flush()
    if announce_it:
        jobs.later("models.voting.announce", proposal.id)
    _rewrite_after(proposal)
    return proposal


def _rewrite_after(proposal: Proposal) -> None:
    """When the vote closes, the worker rewrites the ballot tables (``voting_results.rewrite``):
    on PostgreSQL no stamp or place links a ballot to its voter after that."""
    jobs.later("models.voting_results.rewrite", at=proposal.closes_at + REWRITE_DELAY)


def edit(proposal: Proposal, data: ProposalData, now: datetime | None = None) -> Proposal:
    """Change a proposal before its window opens (after that, what members vote on is fixed)."""
    now = now or utcnow()
    if proposal.has_opened(now) or db.session.scalar(sa.select(VoterMark.proposal_id).where(
            VoterMark.proposal_id == proposal.id).limit(1)):
        raise DomainError(_l("Voting on this has opened: it can no longer be changed."))
    data.kind = proposal.kind
    title, candidates = _check(proposal.meeting, data, now)
    proposal.topic, proposal.title, proposal.description = data.topic, title, (data.description or "").strip()
    proposal.seats = data.seats if proposal.kind == ELECTION else 1
    proposal.opens_at, proposal.closes_at = max(data.opens_at, now), data.closes_at
    _rewrite_after(proposal)
    proposal.candidates = [Candidate(name=name, membership_id=mid, position=i) for i, (name, mid) in
                           enumerate(candidates)]
    db.session.flush()
    return proposal


def announce(proposal_id: int) -> int:
    """Tell every eligible member that voting is (or will be) open; once per member and proposal.
    A background task (``models.jobs``: its runner commits); returns how many were told."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        return 0
    meeting = proposal.meeting
    koperasi = meeting.koperasi
    users = db.session.scalars(sa.select(Membership.user_id).where(eligible_clause(meeting), confirmed())).all()
    url = f"/k/{koperasi.slug}/rat/{meeting.id}/vote/{proposal.id}"
    params = {"title": proposal.title, "opens_at": proposal.opens_at.isoformat(),
              "closes_at": proposal.closes_at.isoformat(), "meeting": meeting.title}
    return len(notify_many(users, Kind.VOTING_OPEN, koperasi_id=koperasi.id, params=params, url=url,
                           once=f"vote:{proposal.id}"))


# ---------------------------------------------------------------- casting a ballot

def new_receipt() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def format_receipt(code: str) -> str:
    """ABCDE-FGHJK: two groups of five, easy to copy down."""
    return f"{code[:5]}-{code[5:]}" if len(code) == RECEIPT_LENGTH else code


def normalize_receipt(typed: str | None) -> str:
    """What a voter typed, as stored: upper case, no spaces or dashes."""
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())[:RECEIPT_LENGTH * 2]


def cast(proposal: Proposal, membership: Membership | None, *, choice: str | None = None,
         candidate_ids: list[int] | tuple[int, ...] = (), now: datetime | None = None) -> str:
    """Cast ``membership``'s one ballot on ``proposal``; returns the receipt code (shown once).

    The mark and the ballot are flushed together in the caller's transaction; any refusal
    raises before anything is written (or rolls the savepoint back)."""
    now = now or utcnow()
    if membership is None or membership.koperasi_id != proposal.koperasi_id or membership.member_number is None:
        raise DomainError(_l("Only members of this koperasi vote."))
    if not proposal.has_opened(now):
        raise DomainError(_l("Voting on this has not opened yet."))
    if proposal.has_closed(now):
        raise DomainError(_l("Voting on this has closed."))
    if not is_eligible(membership, proposal.meeting):
        raise DomainError(_l("Only members who were active on the record date (%(day)s) vote at this meeting.",
                             day=proposal.meeting.record_date.isoformat()))
    chosen = _valid_choice(proposal, choice, candidate_ids)
    if has_voted(proposal, membership):
        raise DomainError(_l("You have already voted on this. Each member votes once."))
    receipt = new_receipt()
    try:
        with db.session.begin_nested():
            db.session.add(VoterMark(proposal_id=proposal.id, membership_id=membership.id))
            db.session.flush()  # the mark first: a second ballot of the same member stops here
            ballot = Ballot(id=secrets.token_hex(16), proposal_id=proposal.id, receipt=receipt,
                            choice=chosen if proposal.kind == MOTION else None)
            db.session.add(ballot)
            db.session.flush()
            if proposal.kind == ELECTION:
                db.session.add_all([BallotChoice(ballot_id=ballot.id, candidate_id=c) for c in chosen])
                db.session.flush()
    except sa.exc.IntegrityError:
        if db.session.get(VoterMark, (proposal.id, membership.id), populate_existing=True):
            raise DomainError(_l("You have already voted on this. Each member votes once.")) from None
        # a receipt code drawn twice in one proposal (about 1 in 10^13 per pair): draw again
        return cast(proposal, membership, choice=choice, candidate_ids=candidate_ids, now=now)
    return receipt


def _valid_choice(proposal: Proposal, choice: str | None, candidate_ids) -> str | list[int]:
    if proposal.kind == MOTION:
        if choice not in MOTION_CHOICES:
            raise DomainError(_l("Choose yes, no or abstain."), field="choice")
        return choice
    ids = {int(c) for c in candidate_ids}
    known = {c.id for c in proposal.candidates}
    if not ids <= known:
        raise DomainError(_l("Choose from the candidates on this ballot."), field="candidates")
    if len(ids) > proposal.seats:
        raise DomainError(_l("Choose at most %(seats)s candidates: you chose %(chosen)s.",
                             seats=proposal.seats, chosen=len(ids)), field="candidates")
    return sorted(ids)

