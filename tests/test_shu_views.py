"""SHU through the office pages and the member's page: the pengurus sets, approves and posts;
read-only roles read; another koperasi's staff find nothing; a member sees only their own."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from models import shu as domain
from models import shu_posting as posting
from models.ledger import Entry
from tests.conftest import login
from tests.shu_setup import SPLIT, shu_year
from web.extensions import db as _db

FORM = {"form": "plan", "reserve_bp": "40", "jm_bp": "20", "ju_bp": "25", "board_bp": "5", "staff_bp": "5",
        "education_bp": "2,5", "social_bp": "2,5", "others_bp": "0", "jm_wajib": "y", "jm_sukarela": "y",
        "jm_basis": "year_end", "ju_own_store": "y", "ju_member_stores": "y", "ju_interest": "y"}


@pytest.fixture
def world(app, db, make_koperasi, make_member, make_user, make_store):
    return shu_year(make_koperasi, make_member, make_user, make_store)


def text(response) -> str:
    return response.get_data(as_text=True)


def url(world, tail: str = "") -> str:
    return f"/k/{world['k'].slug}/office/shu/{world['year']}{tail}"


def test_the_pengurus_sets_previews_approves_and_posts(app, world):
    client = login(app.test_client(), world["pengurus"])
    assert world["year"] and str(world["year"]) in text(client.get(f"/k/{world['k'].slug}/office/shu"))
    response = client.post(url(world), data=FORM)
    assert response.status_code == 303
    page = text(client.get(url(world)))
    assert "Rp1.517.856" in page and "Rp4.000.006" in page and "Rp10.000.003" in page
    csv = text(client.get(url(world, "?format=csv")))
    assert "Ani Rahayu" in csv and "1517856" in csv
    sheet = load_workbook(io.BytesIO(client.get(url(world, "?format=xlsx")).data)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "Ani Rahayu" in values and 1_517_856 in values
    response = client.post(url(world), data={"form": "approve", "meeting": str(world["meeting"].id)})
    assert response.status_code == 303
    response = client.post(url(world), data={"form": "post"})
    assert response.status_code == 303
    _db.session.expire_all()
    plan = domain.plan_of(world["k"], world["year"])
    assert plan.posted_at is not None  # inline (no Redis): posted during the request
    progress = text(client.get(url(world, "/progress")))
    assert "4" in progress and 'id="posting-done"' in progress
    again = client.post(url(world), data={"form": "post"})
    assert again.status_code == 422 and "sudah dibukukan" in text(again)  # posted already


def test_a_split_not_totalling_100_comes_back_with_what_was_typed(app, world):
    client = login(app.test_client(), world["pengurus"])
    response = client.post(url(world), data={**FORM, "reserve_bp": "39"})
    assert response.status_code == 422
    assert "100" in text(response) and 'value="39"' in text(response)
    assert domain.plan_of(world["k"], world["year"]) is None
    response = client.post(url(world), data={"form": "approve", "meeting": str(world["meeting"].id)})
    assert response.status_code == 404  # no plan to approve


def test_a_year_not_closed_is_refused(app, world):
    client = login(app.test_client(), world["pengurus"])
    for nowhere in ("/k/{slug}/office/shu/99999", "/k/{slug}/office/shu/0/progress", "/k/{slug}/office/shu/1800"):
        assert client.get(nowhere.format(slug=world["k"].slug)).status_code == 404
    assert client.post(f"/k/{world['k'].slug}/office/shu/99999", data=FORM).status_code == 404
    response = client.post(url(world).replace(str(world["year"]), str(world["year"] + 1)), data=FORM)
    assert response.status_code == 422 and "belum ditutup" in text(response)  # not closed
    assert domain.plan_of(world["k"], world["year"] + 1) is None


@pytest.mark.parametrize("role", ["pengawas", "teller"])
def test_read_only_roles_read_and_are_refused(app, world, make_staff, make_user, role):
    client = login(app.test_client(), make_staff(world["k"], role, user=make_user(full_name=f"Staf {role}")))
    assert client.get(url(world)).status_code == 200
    assert client.post(url(world), data=FORM).status_code == 403
    assert domain.plan_of(world["k"], world["year"]) is None


def test_another_koperasis_staff_find_nothing(app, world, make_koperasi, make_staff):
    other = make_koperasi(name="Koperasi Tetangga", member_prefix="KTG")
    client = login(app.test_client(), make_staff(other, "admin"))
    assert client.get(url(world)).status_code == 404
    assert client.post(url(world), data=FORM).status_code == 404
    assert client.get(url(world, "/progress")).status_code == 404
    assert domain.plan_of(world["k"], world["year"]) is None


def test_members_see_their_own_share_and_choose_cash(app, world):
    plan = domain.save_plan(world["k"], world["year"], dict(SPLIT), world["pengurus"])
    posting.approve(plan, world["pengurus"], world["meeting"])
    _db.session.commit()
    budi = login(app.test_client(), world["budi"].user)
    me = f"/k/{world['k'].slug}/me"
    assert budi.post(me + "/shu", data={"paid_to": "cash"}).status_code == 303
    job = posting.start_posting(plan, world["pengurus"])
    _db.session.commit()
    posting.post_job(job.id)
    page = text(budi.get(me))
    assert "Rp1.810.712" in page and "Rp685.714" in page and "Rp1.124.998" in page  # total, JM, JU
    assert "Rp1.200.000" in page and "Rp450.000" in page  # the inputs behind them
    assert "Rp1.517.856" not in page  # Ani's share is hers alone
    ani = text(login(app.test_client(), world["ani"].user).get(me))
    assert "Rp1.517.856" in ani and "Rp1.810.712" not in ani
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == "shu")) == 2


def test_a_member_cannot_choose_something_else(app, world):
    budi = login(app.test_client(), world["budi"].user)
    response = budi.post(f"/k/{world['k'].slug}/me/shu", data={"paid_to": "gold"})
    assert response.status_code == 303
    assert posting.choice_of(world["budi"]) == posting.SUKARELA


def test_a_running_posting_polls_every_2_seconds_and_refreshes_without_js(app, world):
    plan = domain.save_plan(world["k"], world["year"], dict(SPLIT), world["pengurus"])
    posting.approve(plan, world["pengurus"], world["meeting"])
    job = posting.start_posting(plan, world["pengurus"])  # queued, not run: as a worker would find it
    _db.session.commit()
    client = login(app.test_client(), world["pengurus"])
    page = text(client.get(url(world, "/progress")))
    assert 'hx-trigger="every 2s"' in page and '<meta http-equiv="refresh" content="2">' in page
    assert "0 dari 4" in page  # 0 of 4 members
    fragment = client.get(url(world, "/progress"), headers={"HX-Request": "true", "HX-Target": "progress"})
    assert 'id="progress"' in text(fragment) and "<html" not in text(fragment)
    posting.post_job(job.id)
    page = text(client.get(url(world, "/progress")))
    assert "every 2s" not in page and "http-equiv" not in page and 'id="posting-done"' in page


def test_the_rats_annual_report_shows_the_proposed_split(app, world):
    """The members read the board's proposed split in the RAT's annual report before they vote on it."""
    domain.save_plan(world["k"], world["year"], dict(SPLIT), world["pengurus"])
    _db.session.commit()
    client = login(app.test_client(), world["ani"].user)
    page = text(client.get(f"/k/{world['k'].slug}/rat/{world['meeting'].id}/report"))
    assert "Pembagian SHU yang diusulkan" in page
    # the hand-checked example (tests/test_shu.py): the SHU, the reserve with every remainder, the funds
    for amount in ("Rp10.000.003", "Rp4.000.006", "Rp1.999.999", "Rp2.499.998", "Rp500.000", "Rp250.000"):
        assert amount in page, amount
