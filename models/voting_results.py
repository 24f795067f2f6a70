"""E-voting results: the published list of ballots, its tally, and what passed.

Rules kept here:
- Nothing about the choices is shown before a proposal's window closes: ``tally`` and
  ``published`` refuse until then. During the window only the number of members who
  have voted (the marks) is shown: it tells nothing about any choice, and lets members
  and the board follow the turnout.
- After the close the list is published as (receipt code, choice), ordered by receipt
  code (never by the order of voting), with the statement "N ballots, M members marked
  as voted": N must equal M. The tally is computed from that same list, so anyone who
  downloads it (CSV) and counts gets the same numbers.
- Who sees it: the koperasi's members (any member number, also resigned) and its staff;
  not the public, because the decisions of a koperasi are its members' affair. A member
  may hand the CSV to an auditor.
- Passing a motion: more yes than no among the valid ballots; abstentions count as
  ballots cast (for turnout) but not for or against; a tie fails. An election: the
  ``seats`` candidates with the most votes are elected, if they had at least one; candidates
  tied for the last seat are marked tied and none of them is elected (a run-off decides).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models.base import db
from models.errors import DomainError
from models.meetings import Meeting
from models.voting import (
    ABSTAIN,
    ELECTION,
    MOTION,
    NO,
    YES,
    Ballot,
    BallotChoice,
    Candidate,
    Proposal,
    ballots,
    marks,
)


@dataclass
class Tally:
    """A proposal's counts after its close."""

    proposal: Proposal
    ballots: int
    marks: int
    counts: dict  # motion: {"yes": n, "no": n, "abstain": n}; election: {candidate_id: n}
    passed: bool | None = None  # a motion
    elected: list[Candidate] = field(default_factory=list)  # an election
    tied: list[Candidate] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.proposal.title

    @property
    def kind(self) -> str:
        return self.proposal.kind

    @property
    def balanced(self) -> bool:
        return self.ballots == self.marks


def _closed(proposal: Proposal) -> None:
    if not proposal.has_closed():
        raise DomainError(_l("The results are shown when the voting closes."))


def count(rows: list[tuple[str, str | None, list[int]]], proposal: Proposal) -> dict:
    """Count a published list (receipt, choice, candidate ids): the same code recounts a CSV."""
    if proposal.kind == MOTION:
        counts = {YES: 0, NO: 0, ABSTAIN: 0}
        for _receipt, choice, _ids in rows:
            counts[choice] += 1
        return counts
    counts = {c.id: 0 for c in proposal.candidates}
    for _receipt, _choice, ids in rows:
        for candidate_id in ids:
            counts[candidate_id] += 1
    return counts


def tally(proposal: Proposal) -> Tally:
    """The result of a closed proposal, counted from its published list."""
    _closed(proposal)
    counts = count(published(proposal), proposal)
    result = Tally(proposal, ballots(proposal), marks(proposal), counts)
    if proposal.kind == MOTION:
        result.passed = counts[YES] > counts[NO]
        return result
    ranked = sorted(proposal.candidates, key=lambda c: (-counts[c.id], c.position))
    voted = [c for c in ranked if counts[c.id] > 0]
    if len(voted) <= proposal.seats:
        result.elected = voted
        return result
    last = counts[voted[proposal.seats - 1].id]
    result.elected = [c for c in voted if counts[c.id] > last]
    if counts[voted[proposal.seats].id] == last:
        result.tied = [c for c in voted if counts[c.id] == last]
    else:
        result.elected = voted[:proposal.seats]
    return result


def published(proposal: Proposal, search: str | None = None) -> list[tuple[str, str | None, list[int]]]:
    """Every ballot as (receipt, choice, chosen candidate ids), ordered by receipt code."""
    _closed(proposal)
    query = sa.select(Ballot.id, Ballot.receipt, Ballot.choice).where(Ballot.proposal_id == proposal.id)
    if search:
        query = query.where(Ballot.receipt == search)
    rows = db.session.execute(query.order_by(Ballot.receipt)).all()
    chosen: dict[str, list[int]] = {}
    if proposal.kind == ELECTION and rows:
        picks = sa.select(BallotChoice.ballot_id, BallotChoice.candidate_id).join(
            Ballot, Ballot.id == BallotChoice.ballot_id).where(Ballot.proposal_id == proposal.id)
        if search:
            picks = picks.where(Ballot.receipt == search)
        for ballot_id, candidate_id in db.session.execute(picks):
            chosen.setdefault(ballot_id, []).append(candidate_id)
    return [(receipt, choice, sorted(chosen.get(ballot_id, []))) for ballot_id, receipt, choice in rows]


def proposals(meeting: Meeting) -> list[Proposal]:
    return list(db.session.scalars(sa.select(Proposal).where(Proposal.meeting_id == meeting.id)
                                    .order_by(Proposal.opens_at, Proposal.id)))


def results(meeting: Meeting) -> list[Tally]:
    """Every closed proposal of the meeting with its tally (for the minutes): title, kind,
    counts, passed or elected, ballots and marks."""
    return [tally(p) for p in proposals(meeting) if p.has_closed()]


def motion_open(meeting: Meeting, topic: str) -> bool:
    """Is a motion on ``topic`` still waiting for its close (the decision is not in yet)?"""
    return any(p.kind == MOTION and p.topic == topic and not p.has_closed() for p in proposals(meeting))


def motion_passed(meeting: Meeting, topic: str) -> bool | None:
    """Did the meeting approve ``topic`` (e.g. "shu")? The last closed motion on it decides;
    None when there is no closed motion on it."""
    closed = [p for p in proposals(meeting) if p.kind == MOTION and p.topic == topic and p.has_closed()]
    if not closed:
        return None
    return tally(max(closed, key=lambda p: (p.closes_at, p.id))).passed



BALLOT_TABLES = ("ballot", "ballot_choice", "voter_mark")
TOUCH = {"ballot": "choice = choice", "ballot_choice": "candidate_id = candidate_id",
         "voter_mark": "membership_id = membership_id"}


def postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def restamp() -> bool:
    """PostgreSQL stamps every row with the id of the transaction that wrote it (``xmin``):
    a ballot and its voter's mark share one, and the ids grow with the order of voting.
    Rewriting every row of the ballot tables in one transaction gives them all the same
    stamp. Step 1 of ``flask --app wsgi ballots-rewrite``; the caller commits, then runs
    ``recluster``. Returns whether anything was done (SQLite keeps no such stamp)."""
    if not postgres():
        return False
    for table in BALLOT_TABLES:
        db.session.execute(sa.text(f"UPDATE {table} SET {TOUCH[table]}"))
    return True


def rewrite() -> bool:
    """Both steps, each committed (a background task the close of every vote schedules,
    ``models.voting.create``; and ``flask --app wsgi ballots-rewrite``). Returns whether anything was done."""
    done = restamp()
    db.session.commit()
    recluster()
    db.session.commit()
    return done


def recluster() -> bool:
    """PostgreSQL keeps new rows in the order they came (``ctid``): rewrite the ballot tables
    in the order of their (random) keys, dropping the old row versions, so neither their
    place nor their stamp follows the order of voting. Step 2 of ``ballots-rewrite``, after
    ``restamp`` committed. Locks the tables while it runs (a fraction of a second for
    thousands of ballots). The write-ahead log and backups taken during the vote are not
    touched. SQLite needs nothing: these tables are WITHOUT ROWID, kept in key order."""
    if not postgres():
        return False
    for table in BALLOT_TABLES:
        db.session.execute(sa.text(f"CLUSTER {table} USING pk_{table}"))
    return True
