"""The NIK (KTP number) is personal data (UU PDP): every office page shows it masked to
every role; the board reveals one member's NIK with one tap, for that response only, and
each reveal is recorded with who and when. Teller and pengawas cannot reveal it."""

from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa

from models.duties import Duty, Role, may
from models.koperasi import KoperasiEvent
from tests import test_duties
from tests.test_duties import ACTIONS, NIKS, OFFICE, ROLES, history_of

world = test_duties.world  # the same koperasi, with one client per role and another koperasi's admin

FULL = NIKS[:3]  # the member, the applicant, the resigning member of the world


def reveals(db, k) -> list[KoperasiEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(KoperasiEvent).where(
        KoperasiEvent.koperasi_id == k.id, KoperasiEvent.action == "nik_revealed").order_by(KoperasiEvent.id)))


def readable(response) -> str:
    """What a page or a download holds as text (an XLSX is a zip of XML sheets)."""
    if response.data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(response.data)) as book:
            return "".join(book.read(name).decode() for name in book.namelist())
    return response.get_data(as_text=True)


def test_no_office_page_shows_a_full_nik_to_any_role(world):
    pages = [url.format(**world["ids"]) for _what, _duty, url, data in ACTIONS if data is None]
    for role in ROLES:
        client = world["clients"][role]
        for url in pages:
            body = readable(client.get(url))
            assert not any(nik in body for nik in FULL), (role, url)
    member = world["clients"][Role.TELLER].get(OFFICE.format(**world["ids"]) + f"/members/{world['ids']['member']}")
    assert "3273••••••••0001" in member.text  # masked: enough to recognise


def test_only_the_board_may_reveal():
    assert [role for role in ROLES if may(role, Duty.REVEAL_NIK)] == [Role.PENGURUS, Role.ADMIN]


def test_teller_and_pengawas_cannot_reveal_and_see_no_button(world, db):
    base = OFFICE.format(**world["ids"])
    member = world["ids"]["member"]
    for role in (Role.TELLER, Role.PENGAWAS):
        client = world["clients"][role]
        assert "reveal_nik" not in client.get(f"{base}/members/{member}").text
        assert client.post(f"{base}/members/{member}/reveal-nik").status_code == 403
        assert client.post(f"{base}/members/{member}", data={"form": "reveal_nik"}).status_code == 403
        assert client.post(f"{base}/applications/{world['ids']['app']}", data={"form": "reveal_nik"}).status_code == 403
    assert reveals(db, world["k"]) == []


def test_another_koperasis_staff_find_no_member_to_reveal(world, db):
    base = OFFICE.format(**world["ids"])
    client = world["clients"]["other_koperasi"]
    assert client.post(f"{base}/members/{world['ids']['member']}/reveal-nik").status_code == 404
    other = db.session.scalar(sa.select(KoperasiEvent.koperasi_id).where(KoperasiEvent.koperasi_id != world["k"].id))
    assert client.post(f"/k/{world['k'].slug}/office/members/{world['ids']['member']}",
                       data={"form": "reveal_nik"}).status_code == 404
    assert reveals(db, world["k"]) == [] and other is not None


def test_the_board_reveals_without_javascript_once_and_it_is_recorded(world, db):
    base = OFFICE.format(**world["ids"])
    member = world["ids"]["member"]
    for role in (Role.PENGURUS, Role.ADMIN):
        client = world["clients"][role]
        page = client.get(f"{base}/members/{member}").text
        assert 'name="form" value="reveal_nik"' in page and NIKS[0] not in page
        shown = client.post(f"{base}/members/{member}", data={"form": "reveal_nik"})
        assert shown.status_code == 200 and NIKS[0] in shown.text and "<html" in shown.text
        assert "no-store" in shown.headers["Cache-Control"]
        assert NIKS[0] not in client.get(f"{base}/members/{member}").text  # for that one response only
    events = reveals(db, world["k"])
    assert [event.actor.full_name for event in events] == ["Staf pengurus", "Staf admin"]
    assert all(event.created_at is not None for event in events)
    history = history_of(world["clients"][Role.PENGAWAS].get(f"{base}/history").text)
    assert history.count("Melihat NIK lengkap anggota") == 2 and "Siti Aminah" in history


def test_with_htmx_only_the_nik_is_swapped(world, db):
    base = OFFICE.format(**world["ids"])
    client = world["clients"][Role.PENGURUS]
    page = client.get(f"{base}/members/{world['ids']['member']}").text
    assert f'hx-post="{base}/members/{world["ids"]["member"]}/reveal-nik"' in page and 'hx-target="#nik"' in page
    fragment = client.post(f"{base}/members/{world['ids']['member']}/reveal-nik",
                           headers={"HX-Request": "true", "HX-Target": "nik"})
    assert fragment.status_code == 200 and NIKS[0] in fragment.text
    assert fragment.text.lstrip().startswith('<dl id="nik">') and "<html" not in fragment.text
    assert len(reveals(db, world["k"])) == 1


def test_an_applicants_nik_is_revealed_on_the_application_page(world, db):
    base = OFFICE.format(**world["ids"])
    client = world["clients"][Role.ADMIN]
    assert NIKS[1] not in client.get(f"{base}/applications/{world['ids']['app']}").text
    shown = client.post(f"{base}/applications/{world['ids']['app']}", data={"form": "reveal_nik"})
    assert shown.status_code == 200 and NIKS[1] in shown.text and 'value="approve"' in shown.text
    assert len(reveals(db, world["k"])) == 1
