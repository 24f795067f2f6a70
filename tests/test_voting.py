"""E-voting: one member one vote, secret (no column joins a ballot to its voter), verifiable
(the published list recounts to the tally; ballots == marks), and refusals that change nothing."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from models import attendance, voting, voting_results
from models.base import db, utcnow
from models.errors import DomainError
from models.koperasi import Koperasi
from models.ledger import Entry
from models.meetings import DRAFT, SCHEDULED, Meeting
from models.notifications import Notification
from models.voting import Ballot, BallotChoice, Proposal, VoterMark
from models.zones import zone_of
from tests.conftest import board, login
from web.demo import load

NIKS = [f"32730115089{n:05d}" for n in range(1, 60)]


@pytest.fixture
def k(make_koperasi):
    return make_koperasi(name="Koperasi Suara Warga", member_prefix="KSW", pokok_idr=0)


@pytest.fixture
def meeting(db, k):
    m = Meeting(koperasi_id=k.id, title="RAT Tahun Buku 2025", book_year=2025, starts_at=utcnow() + timedelta(days=3),
                record_date=zone_of(k).today(), status=SCHEDULED)  # published: its members see it
    db.session.add(m)
    db.session.commit()
    return m


@pytest.fixture
def members(k, make_member):
    return [make_member(k, nik=NIKS[i]) for i in range(3)]


def motion(meeting, topic="statements", title="Mengesahkan laporan keuangan 2025", opens=None, closes=None):
    now = utcnow()
    proposal = voting.create(meeting, voting.ProposalData(
        kind="motion", topic=topic, title=title, opens_at=opens or now - timedelta(minutes=1),
        closes_at=closes or now + timedelta(days=2)), board_of(meeting))
    db.session.commit()
    return proposal


def election(meeting, seats=2, names=("Budi Santoso", "Sri Wahyuni", "Andi Saputra")):
    now = utcnow()
    proposal = voting.create(meeting, voting.ProposalData(
        kind="election", topic="pengurus", title="Pemilihan pengurus 2026–2030", opens_at=now,
        closes_at=now + timedelta(days=2), seats=seats, candidates=names), board_of(meeting))
    db.session.commit()
    return proposal


def board_of(meeting):
    return board(db.session.get(Koperasi, meeting.koperasi_id))


def close(db, proposal):
    """The window passes: the close moves into the past (no test waits for the clock)."""
    proposal.opens_at = min(proposal.opens_at, utcnow() - timedelta(hours=2))
    proposal.closes_at = utcnow() - timedelta(hours=1)
    db.session.commit()


def state(db) -> tuple:
    db.session.expire_all()
    return (db.session.execute(sa.select(VoterMark.proposal_id, VoterMark.membership_id)
                               .order_by(VoterMark.membership_id)).all(),
            db.session.execute(sa.select(Ballot.id, Ballot.choice).order_by(Ballot.id)).all(),
            db.session.execute(sa.select(BallotChoice.ballot_id, BallotChoice.candidate_id)
                               .order_by(BallotChoice.ballot_id)).all())


def url(k, proposal, tail=""):
    return f"/k/{k.slug}/rat/{proposal.meeting_id}/vote/{proposal.id}{tail}"


# ---------------------------------------------------------------- one member, one vote

def test_a_member_votes_once_and_gets_a_receipt(app, db, k, meeting, members):
    proposal = motion(meeting)
    client = login(app.test_client(), members[0].user)
    page = client.get(url(k, proposal))
    assert page.status_code == 200 and 'type="radio"' in page.text and "<script" in page.text
    response = client.post(url(k, proposal), data={"choice": "yes"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    code = re.search(r'data-receipt="([A-Z0-9-]+)"', response.text)[1]
    assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code) and not set(code) & set("01IL2Z5S8BO")
    before = state(db)
    again = client.post(url(k, proposal), data={"choice": "no"})
    assert again.status_code == 422 and "sudah memberikan suara" in again.text
    assert state(db) == before and len(before[0]) == len(before[1]) == 1
    assert code not in client.get(url(k, proposal)).text  # shown once: never again from the server


def test_refusals_change_nothing(app, db, k, meeting, members, make_member, make_user, make_koperasi):
    proposal = motion(meeting)
    later = motion(meeting, title="Rencana kerja 2026", topic="plan", opens=utcnow() + timedelta(days=1),
                   closes=utcnow() + timedelta(days=3))
    approved = make_member(k, status="approved", nik=NIKS[10])
    approved.status = "approved"  # has a number, pokok unpaid: not active
    joined_late = make_member(k, nik=NIKS[11])
    joined_late.joined_on = meeting.record_date + timedelta(days=1)
    resigned_before = make_member(k, nik=NIKS[12])
    resigned_before.status, resigned_before.resigned_at = "resigned", utcnow() - timedelta(days=30)
    resigned_before.joined_on = meeting.record_date - timedelta(days=60)
    db.session.commit()
    outsider = make_member(make_koperasi(name="Koperasi Lain", member_prefix="KLN"), nik=NIKS[13])
    before = state(db)
    for who, target, message in ((approved, proposal, "aktif pada tanggal pencatatan"),
                                 (joined_late, proposal, "aktif pada tanggal pencatatan"),
                                 (resigned_before, proposal, "aktif pada tanggal pencatatan"),
                                 (members[0], later, "belum dibuka")):
        response = login(app.test_client(), who.user).post(url(k, target), data={"choice": "yes"})
        assert response.status_code == 422 and message in response.text, (who.full_name, response.text[-2000:])
    assert login(app.test_client(), outsider.user).post(url(k, proposal), data={"choice": "yes"}).status_code == 404
    assert login(app.test_client(), make_user(full_name="Bukan Anggota")).get(url(k, proposal)).status_code == 404
    close(db, proposal)
    response = login(app.test_client(), members[1].user).post(url(k, proposal), data={"choice": "yes"})
    assert response.status_code == 422 and "sudah ditutup" in response.text
    with pytest.raises(DomainError):
        voting.cast(proposal, outsider, choice="yes")
    assert state(db) == before == ([], [], [])


def test_resigned_after_the_record_date_still_votes(db, k, meeting, members):
    proposal = motion(meeting)
    member = members[0]
    member.status, member.resigned_at = "resigned", attendance.record_cutoff(meeting) + timedelta(hours=1)
    db.session.commit()
    assert attendance.is_eligible(member, meeting)
    assert voting.cast(proposal, member, choice="no")


def test_an_election_refuses_more_than_k_choices(app, db, k, meeting, members):
    proposal = election(meeting, seats=2)
    ids = [str(c.id) for c in proposal.candidates]
    client = login(app.test_client(), members[0].user)
    page = client.get(url(k, proposal)).text
    assert page.count('type="checkbox"') == 3
    response = client.post(url(k, proposal), data={"candidates": ids})
    assert response.status_code == 422 and "paling banyak 2 calon" in response.text
    assert state(db) == ([], [], [])
    assert client.post(url(k, proposal), data={"candidates": ids[:2]}).status_code == 200
    assert len(state(db)[2]) == 2


# ---------------------------------------------------------------- secrecy

def test_ballots_and_voters_share_no_column_but_the_proposal(app, db):
    with db.engine.connect() as conn:
        inspector = sa.inspect(conn)
        columns = {t: {c["name"] for c in inspector.get_columns(t)} for t in ("voter_mark", "ballot", "ballot_choice")}
        foreign = {t: inspector.get_foreign_keys(t) for t in columns}
    assert columns["voter_mark"] == {"proposal_id", "membership_id"}
    assert columns["ballot"] == {"id", "proposal_id", "receipt", "choice"}
    assert columns["ballot_choice"] == {"ballot_id", "candidate_id"}
    assert columns["voter_mark"] & (columns["ballot"] | columns["ballot_choice"]) == {"proposal_id"}
    assert not any(re.search(r"(^|_)(at|time|date|day|seq|created|order)($|_)", c) for cols in columns.values() for c in cols)
    assert {fk["referred_table"] for fk in foreign["ballot"]} == {"proposal"}  # nothing points at a member
    assert {fk["referred_table"] for fk in foreign["ballot_choice"]} == {"ballot", "candidate"}
    assert db.session.execute(sa.select(Ballot.__table__.c.id)).all() == []
    assert Ballot.__table__.c.id.autoincrement is not True and Ballot.__table__.c.id.type.python_type is not int
    if db.engine.dialect.name == "sqlite":  # no hidden rowid counting the insertions
        with db.engine.connect() as conn:
            for table in columns:
                sql = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}).scalar()
                assert "WITHOUT ROWID" in sql, table


def _xmin_links(db) -> int:
    """Ballots whose PostgreSQL row stamp (xmin) is found on exactly one voter's mark."""
    return db.session.execute(sa.text(
        "SELECT count(*) FROM ballot b WHERE (SELECT count(*) FROM voter_mark m WHERE m.xmin = b.xmin) = 1")).scalar()


def test_ballot_ids_and_receipts_do_not_follow_the_order_of_voting(app, db, k, meeting, make_member):
    voters = [make_member(k, nik=NIKS[20 + i]) for i in range(30)]
    proposal = motion(meeting)
    receipts = []
    for i, member in enumerate(voters):
        receipts.append(voting.cast(proposal, member, choice=("yes", "no", "abstain")[i % 3]))
        db.session.commit()
    ids_by_receipt = dict(db.session.execute(sa.select(Ballot.receipt, Ballot.id)).all())
    ids = [ids_by_receipt[r] for r in receipts]  # in the order of voting
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == 30
    assert ids != sorted(ids) and receipts != sorted(receipts)
    # the storage order (what SELECT without ORDER BY returns) does not follow the voting either:
    # SQLite keeps these tables in key order; PostgreSQL once they are rewritten after the close
    close(db, proposal)
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:  # each ballot carries its transaction's id, shared with its voter's mark, growing with time
        assert _xmin_links(db) == 30
    db.session.commit()  # the command rewrites the tables: no transaction of ours may hold them
    assert app.test_cli_runner().invoke(args=["ballots-rewrite"]).exit_code == 0
    if postgres:  # after the rewrite: one stamp for all, no ballot shares one with a mark of its own
        assert _xmin_links(db) == 0
        assert db.session.execute(sa.text("SELECT count(DISTINCT xmin::text) FROM ballot")).scalar() == 1
    db.session.expire_all()
    stored = [row[0] for row in db.session.execute(sa.text("SELECT receipt FROM ballot")).all()]
    assert stored != receipts and stored in ([r for _i, r in sorted(zip(ids, receipts, strict=True))], sorted(receipts))
    assert [r for r, _c, _i in voting_results.published(proposal)] == sorted(receipts)


def test_the_mark_and_the_ballot_are_written_together(db, k, meeting, members, monkeypatch):
    proposal = motion(meeting)
    monkeypatch.setattr(voting, "Ballot", None)  # the ballot cannot be made: the mark must not stay
    with pytest.raises(TypeError):
        voting.cast(proposal, members[0], choice="yes")
    db.session.rollback()
    assert state(db) == ([], [], [])


# ---------------------------------------------------------------- verifiability

def test_results_are_hidden_until_the_close(app, db, k, meeting, members, make_staff):
    proposal = motion(meeting)
    for member, choice in zip(members, ("yes", "yes", "no"), strict=True):
        voting.cast(proposal, member, choice=choice)
    db.session.commit()
    with pytest.raises(DomainError):
        voting_results.tally(proposal)
    with pytest.raises(DomainError):
        voting_results.published(proposal)
    assert voting_results.results(meeting) == [] and voting_results.motion_passed(meeting, "statements") is None
    client = login(app.test_client(), members[0].user)
    page = client.get(url(k, proposal, "/ballots"))
    assert page.status_code == 200 and "3 anggota sudah memberikan suara" in page.text
    assert 'id="ballots"' not in page.text and "Setuju" not in page.text
    assert client.get(url(k, proposal, "/ballots.csv")).status_code == 404
    staff = login(app.test_client(), make_staff(k, "pengawas"))
    office = staff.get(f"/k/{k.slug}/office/rat/{meeting.id}/proposals/{proposal.id}").text
    assert "3 dari 3 sudah memilih" in office and 'id="tally"' not in office


def test_the_published_list_recounts_to_the_tally(app, db, k, meeting, make_member):
    voters = [make_member(k, nik=NIKS[20 + i]) for i in range(7)]
    proposal = motion(meeting, topic="shu", title="Mengesahkan pembagian SHU 2025")
    chosen = ["yes", "yes", "no", "abstain", "yes", "no", "abstain"]
    receipts = {voting.cast(proposal, m, choice=c): c for m, c in zip(voters, chosen, strict=True)}
    db.session.commit()
    close(db, proposal)
    client = login(app.test_client(), voters[0].user)
    response = client.get(url(k, proposal, "/ballots.csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))[1:]
    assert {code.replace("-", ""): choice for code, choice in rows} == receipts  # every ballot, as cast
    recount = {c: sum(1 for _r, choice in rows if choice == c) for c in ("yes", "no", "abstain")}
    result = voting_results.tally(proposal)
    assert result.counts == recount == {"yes": 3, "no": 2, "abstain": 2}
    assert result.ballots == result.marks == 7 and result.passed is True
    assert voting_results.motion_passed(meeting, "shu") is True
    assert voting_results.motion_passed(meeting, "plan") is None
    page = client.get(url(k, proposal, "/ballots")).text
    assert "7 surat suara, 7 anggota tercatat sudah memilih" in page
    assert list(re.findall(r"<code>([A-Z0-9-]+)</code>", page)) == sorted(voting.format_receipt(r) for r in receipts)
    mine = next(r for r, c in receipts.items() if c == "no")
    found = client.get(url(k, proposal, f"/ballots?q={voting.format_receipt(mine).lower()}")).text
    assert "Ditemukan" in found and found.count("<code>") == 1 and voting.format_receipt(mine) in found
    assert "Tidak ada surat suara" in client.get(url(k, proposal, "/ballots?q=AAAAA-AAAAA")).text


def test_an_election_result(db, k, meeting, make_member):
    voters = [make_member(k, nik=NIKS[20 + i]) for i in range(5)]
    proposal = election(meeting, seats=2)
    budi, sri, andi = proposal.candidates
    for member, picks in zip(voters, ([budi, sri], [budi], [sri, andi], [budi, andi], []), strict=True):
        voting.cast(proposal, member, candidate_ids=[c.id for c in picks])
    db.session.commit()
    close(db, proposal)
    result = voting_results.tally(proposal)
    assert result.counts == {budi.id: 3, sri.id: 2, andi.id: 2}
    assert result.elected == [budi] and result.tied == [sri, andi]  # a run-off for the last seat
    assert result.ballots == result.marks == 5
    recount = voting_results.count(voting_results.published(proposal), proposal)
    assert recount == result.counts
    [minutes] = voting_results.results(meeting)
    assert minutes.title == proposal.title and minutes.kind == "election"


def test_a_tie_does_not_pass(db, k, meeting, members):
    proposal = motion(meeting)
    for member, choice in zip(members, ("yes", "no", "abstain"), strict=True):
        voting.cast(proposal, member, choice=choice)
    db.session.commit()
    close(db, proposal)
    assert voting_results.motion_passed(meeting, "statements") is False


# ---------------------------------------------------------------- the board's pages

def test_the_board_puts_a_motion_and_an_election_and_members_are_told(app, db, k, meeting, members):
    client = login(app.test_client(), board(k))
    base = f"/k/{k.slug}/office/rat/{meeting.id}/proposals"
    assert client.get(base + "/new?kind=election").status_code == 200
    opens = (datetime.now(zone_of(k).tz) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    closes = (datetime.now(zone_of(k).tz) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(base + "/new", data={"kind": "election", "topic": "pengawas", "title": "Pemilihan pengawas",
                                                "candidates": f"Rina\n{members[1].member_number}\n\n", "seats": "1",
                                                "opens_at": opens, "closes_at": closes})
    assert response.status_code == 303, response.text
    proposal = db.session.scalar(sa.select(Proposal))
    assert [c.name for c in proposal.candidates] == ["Rina", members[1].full_name]
    assert proposal.candidates[1].membership_id == members[1].id
    assert (proposal.opens_at + timedelta(hours=zone_of(k).hours)).strftime("%Y-%m-%dT%H:%M") == opens  # stored UTC
    notes = db.session.scalars(sa.select(Notification).where(Notification.kind == "voting_open")).all()
    assert sorted(n.user_id for n in notes) == sorted(m.user_id for m in members)
    assert notes[0].params["title"] == "Pemilihan pengawas" and notes[0].url.endswith(f"/vote/{proposal.id}")
    # editable until the window opens
    edit = client.post(f"{base}/{proposal.id}", data={"topic": "pengawas", "title": "Pemilihan pengawas 2026",
                                                      "candidates": "Rina\nJoko", "seats": "1", "opens_at": opens,
                                                      "closes_at": closes})
    assert edit.status_code == 303
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).title == "Pemilihan pengawas 2026"
    proposal = db.session.get(Proposal, proposal.id)
    proposal.opens_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    refused = client.post(f"{base}/{proposal.id}", data={"topic": "pengawas", "title": "Diubah", "candidates": "A\nB",
                                                         "seats": "1", "opens_at": opens, "closes_at": closes})
    assert refused.status_code == 422 and "tidak dapat diubah lagi" in refused.text
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).title == "Pemilihan pengawas 2026"


def test_bad_proposals_are_refused_with_messages(app, db, k, meeting):
    client = login(app.test_client(), board(k))
    base = f"/k/{k.slug}/office/rat/{meeting.id}/proposals"
    response = client.post(base + "/new", data={"kind": "election", "topic": "pengurus", "title": "Pemilihan",
                                                "candidates": "Hanya Satu", "seats": "3",
                                                "opens_at": "2030-01-02T10:00", "closes_at": "2030-01-01T10:00"})
    assert response.status_code == 422
    assert "minimal dua calon" in response.text and "harus ditutup setelah dibuka" in response.text
    assert client.post(base + "/new", data={"kind": "motion", "topic": "shu", "title": "SHU",
                                            "opens_at": "kemarin", "closes_at": ""}).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0


@pytest.mark.parametrize("role", ["pengawas", "teller"])
def test_readers_cannot_put_anything_to_the_vote(app, db, k, meeting, make_staff, role):
    client = login(app.test_client(), make_staff(k, role))
    base = f"/k/{k.slug}/office/rat/{meeting.id}/proposals"
    assert client.get(base).status_code == 200
    assert client.get(base + "/new?kind=motion").status_code == 403
    assert client.post(base + "/new", data={"kind": "motion", "topic": "shu", "title": "SHU 2025",
                                            "opens_at": "2030-01-01T10:00", "closes_at": "2030-01-03T10:00"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0


def test_another_koperasi_finds_nothing(app, db, k, meeting, members, make_koperasi, make_staff, make_member):
    proposal = motion(meeting)
    other = make_koperasi(name="Koperasi Tetangga", member_prefix="KTG")
    staff = login(app.test_client(), make_staff(other, "admin"))
    assert staff.get(f"/k/{k.slug}/office/rat/{meeting.id}/proposals").status_code == 404
    assert staff.get(f"/k/{other.slug}/office/rat/{meeting.id}/proposals").status_code == 404  # not their meeting
    member = login(app.test_client(), make_member(other, nik=NIKS[40]).user)
    assert member.get(f"/k/{other.slug}/rat/{meeting.id}/vote/{proposal.id}").status_code == 404
    assert member.get(url(k, proposal, "/ballots")).status_code == 404


def test_an_unpublished_meetings_votes_are_the_offices_alone(app, db, k, meeting, members, make_staff):
    proposal = motion(meeting)
    db.session.get(Meeting, meeting.id).status = DRAFT
    db.session.commit()
    member = login(app.test_client(), members[0].user)
    for tail in ("", f"/{proposal.id}", f"/{proposal.id}/ballots", f"/{proposal.id}/ballots.csv"):
        assert member.get(f"/k/{k.slug}/rat/{meeting.id}/vote{tail}").status_code == 404, tail
    assert member.post(url(k, proposal), data={"choice": "yes"}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoterMark)) == 0
    reader = login(app.test_client(), make_staff(k, "pengawas"))
    assert reader.get(f"/k/{k.slug}/rat/{meeting.id}/vote").status_code == 200


def test_the_demo_has_published_and_open_votes(app, db, demo):
    proposals = db.session.scalars(sa.select(Proposal)).all()
    closed = [p for p in proposals if p.has_closed()]
    open_now = [p for p in proposals if p.is_open()]
    assert len(closed) == 4 and len(open_now) == 2
    past = db.session.get(Meeting, closed[0].meeting_id)
    for p in closed:  # every member eligible at the past RAT voted on each of its proposals
        result = voting_results.tally(p)
        assert result.ballots == result.marks == attendance.eligible_count(past) > 5
    assert voting_results.motion_passed(past, "shu") is True
    told = db.session.scalars(sa.select(Notification).where(Notification.kind == "voting_open")).all()
    assert len(told) == 2 * attendance.eligible_count(db.session.get(Meeting, open_now[0].meeting_id)) > 0
    before = state(db), len(told)
    load()  # again: nothing more
    db.session.commit()
    assert (state(db), db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.kind == "voting_open"))) == before


def test_pokok_paid_after_the_record_date_does_not_vote(db, make_koperasi, make_member):
    k = make_koperasi(name="Koperasi Pokok", member_prefix="KPK", pokok_idr=100_000)
    day = zone_of(k).today() - timedelta(days=1)
    meeting = Meeting(koperasi_id=k.id, title="RAT", book_year=2025, starts_at=utcnow(), record_date=day)
    db.session.add(meeting)
    late = make_member(k, nik=NIKS[30])  # approved long ago, but paid pokok today: active only since today
    early = make_member(k, nik=NIKS[31])
    for m in (late, early):
        m.joined_on = day - timedelta(days=30)
    db.session.execute(sa.update(Entry).where(Entry.membership_id == early.id)
                       .values(posted_at=attendance.record_cutoff(meeting) - timedelta(days=20)))
    db.session.commit()
    assert not attendance.is_eligible(late, meeting) and attendance.is_eligible(early, meeting)
    assert attendance.eligible_count(meeting) == 1
