"""Announcements: the board posts, every active member is told (in bulk), members read them;
bad input comes back with what was typed; a double tap posts once."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from models import announcements
from models.accounts import User
from models.announcements import Announcement
from models.membership import Membership
from models.notifications import Kind, Notification
from tests.budget import count_queries
from tests.conftest import login

KEY = "a" * 32
POST = {"title": "Rapat Anggota Tahunan", "body": "RAT tahun buku 2025 hari Sabtu, 20 Maret,\npukul 09.00 di balai RW 05.",
        "key": KEY}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def world(app, db, make_koperasi, make_member, make_user, make_staff):
    k = make_koperasi(name="Koperasi Maju Jaya", pokok_idr=0)
    members = [make_member(k, user=make_user(full_name=name), nik=f"327301150895{n:04d}")
               for n, name in enumerate(("Siti Aminah", "Budi Santoso"), start=1)]
    applicant = make_member(k, user=make_user(full_name="Calon Anggota"), status="applied", nik="3273011508950009")
    other = make_koperasi(name="Koperasi Tetangga", member_prefix="KTG", pokok_idr=0)
    outsider = make_member(other, user=make_user(full_name="Anggota Tetangga"), nik="3273011508950010")
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    clients = {role: login(app.test_client(), make_staff(k, role, user=make_user(full_name=f"Staf {role}")))
               for role in ("pengawas", "teller", "pengurus")}
    clients["other_staff"] = login(app.test_client(), make_staff(other, "admin"))
    clients["member"] = login(app.test_client(), members[0].user)
    clients["applicant"] = login(app.test_client(), applicant.user)
    clients["outsider"] = login(app.test_client(), outsider.user)
    return dict(k=k, members=members, applicant=applicant, clients=clients)


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_board_posts_and_every_active_member_is_told(app, db, world):
    k, board = world["k"], world["clients"]["pengurus"]
    response = board.post(f"/k/{k.slug}/office/announcements", data=POST)
    assert response.status_code == 303
    page = board.get(response.location).text
    assert "Pengumuman sudah dikirim ke anggota." in page and "Rapat Anggota Tahunan" in page
    (posted,) = db.session.scalars(sa.select(Announcement))
    told = db.session.scalars(sa.select(Notification)).all()
    assert sorted(n.user_id for n in told) == sorted(m.user_id for m in world["members"])  # not the applicant
    assert {n.kind for n in told} == {Kind.ANNOUNCEMENT}
    assert {n.url for n in told} == {f"/k/{k.slug}/announcements#a{posted.id}"}
    member = world["clients"]["member"]
    assert "1 notifikasi belum dibaca" in member.get("/").text
    assert "Rapat Anggota Tahunan" in text_of(member.get("/notifications").text)
    shown = member.get(f"/k/{k.slug}/announcements")
    assert shown.status_code == 200 and "pukul 09.00 di balai RW 05." in shown.text
    assert f'href="/k/{k.slug}/announcements"' in member.get(f"/k/{k.slug}/me").text


def test_a_double_tap_posts_once(db, world):
    k, board = world["k"], world["clients"]["pengurus"]
    assert board.post(f"/k/{k.slug}/office/announcements", data=POST).status_code == 303
    assert board.post(f"/k/{k.slug}/office/announcements", data=POST).status_code == 303
    assert count(db, Announcement) == 1 and count(db, Notification) == 2


@pytest.mark.parametrize("title, body, field_message", [
    ("", "Isi pengumuman", "Tulis judul paling sedikit 3 karakter."),
    ("Rapat", "   ", "Tulis apa yang ingin disampaikan kepada anggota."),
    ("R" * 121, "Isi", "Judul paling banyak 120 karakter."),
    ("Rapat", "x" * 2001, "Pengumuman paling banyak 2000 karakter."),
])
def test_bad_input_comes_back_with_what_was_typed(db, world, title, body, field_message):
    k, board = world["k"], world["clients"]["pengurus"]
    response = board.post(f"/k/{k.slug}/office/announcements", data={"title": title, "body": body, "key": KEY})
    assert response.status_code == 422
    assert field_message in response.text
    if title:
        assert f'value="{title}"' in response.text
    assert count(db, Announcement) == 0 and count(db, Notification) == 0


def test_both_fields_refused_at_once(db, world):
    k, board = world["k"], world["clients"]["pengurus"]
    response = board.post(f"/k/{k.slug}/office/announcements", data={"title": "", "body": "", "key": KEY})
    assert response.status_code == 422 and "Tulis judul" in response.text and "Tulis apa yang" in response.text


def test_who_reads_and_who_posts(db, world):
    k, clients = world["k"], world["clients"]
    url = f"/k/{k.slug}/office/announcements"
    for role in ("pengawas", "teller"):
        page = clients[role].get(url)
        assert page.status_code == 200 and "Kirim ke anggota" not in page.text
        assert clients[role].post(url, data=POST).status_code == 403
    assert "Kirim ke anggota" in clients["pengurus"].get(url).text
    for who in ("other_staff", "member"):
        assert clients[who].get(url).status_code == 404
        assert clients[who].post(url, data=POST).status_code == 404
    assert count(db, Announcement) == 0 and count(db, Notification) == 0


def test_only_the_koperasis_members_read_its_announcements(db, world):
    k, clients = world["k"], world["clients"]
    announcements.post(k, db.session.get(User, k.created_by_id), "Kerja bakti", "Minggu pagi kerja bakti di kantor.")
    db.session.commit()
    url = f"/k/{k.slug}/announcements"
    assert "Kerja bakti" in clients["member"].get(url).text
    assert clients["outsider"].get(url).status_code == 404
    applicant = clients["applicant"].get(url)
    assert applicant.status_code == 200 and "Kerja bakti" not in applicant.text


def test_ten_thousand_members_are_told_in_a_few_statements(app, db, make_koperasi):
    """Posting to a big koperasi: one statement tells every member, not one per member."""
    k = make_koperasi(name="Koperasi Besar", pokok_idr=0)
    n = 10_000
    first = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(User.id), 0))) + 1
    db.session.execute(sa.insert(User), [dict(full_name=f"Anggota {i}", mobile=f"+62899{i:08d}", password_hash="x")
                                         for i in range(n)])
    db.session.execute(sa.insert(Membership), [
        dict(koperasi_id=k.id, user_id=first + i, status="active", full_name=f"Anggota {i}", nik="3273011508950001",
             address="Jl. Dago", occupation="Petani", member_number=f"KB-{i:05d}") for i in range(n)])
    db.session.commit()
    started = time.perf_counter()
    with count_queries() as queries:
        announcements.post(k, db.session.get(User, k.created_by_id), "Pengumuman", "Untuk semua anggota.")
        db.session.commit()
    took = time.perf_counter() - started
    inserts = [q for q in queries if q.lstrip().upper().startswith("INSERT INTO NOTIFICATION")]
    assert count(db, Notification) == n
    assert len(inserts) == 1 and len(queries) < 10, queries  # INSERT … SELECT: no row travels through Python
    print(f"\nannouncement to {n} members: {took:.2f} s, {len(queries)} statements")


@pytest.mark.postgres_only
def test_three_taps_at_once_post_once(app, db, world):
    from tests.test_ledger_concurrency import race

    k_id, by_id = world["k"].id, world["k"].created_by_id

    def work(i):
        k, by = db.session.get(type(world["k"]), k_id), db.session.get(User, by_id)
        return lambda: announcements.post(k, by, "Rapat", "Rapat hari Sabtu.", key=KEY).id

    outcome = race(app, 3, work)
    assert outcome.crashed == [] and len(set(outcome.done)) == 1 and len(outcome.done) == 3
    assert count(db, Announcement) == 1 and count(db, Notification) == len(world["members"])
