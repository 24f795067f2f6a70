"""The health rating on a 360 px phone, with and without JavaScript: the pengurus opens the
health rating from the office, fills last year's management questionnaire, reads the score
(tests/test_health.py's hand-computed example: 71,85, cukup sehat) with a ratio's inputs, and
publishes the category; a member then sees the category, and only it, on their card page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import arrive, button, finish, open_office, rp, t, told
from tests.conftest import board
from tests.health_setup import year_of_books, yes_codes


@pytest.fixture
def books(make_koperasi, make_member, make_user, make_staff, db):
    k = make_koperasi(name="KSP Contoh Sehat", member_prefix="KCS")
    member = make_member(k, user=make_user(full_name="Siti Anggota", mobile="081299990001"))
    year = year_of_books(k, member, make_staff(k, "teller"), db)
    return {"k": k, "member": member, "year": year}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_pengurus_rates_last_year_publishes_and_a_member_sees_the_category(actor, books, javascript):
    k, year = books["k"], books["year"]
    office = actor(board(k), js=javascript)
    open_office(office, k, "Health rating", "Health rating (kesehatan koperasi)")
    expect(office.locator("#health-total")).to_contain_text("60,25")  # management not answered yet: 0 of 15
    office.get_by_role("link", name=t("Fill in the questionnaire")).tap()
    arrive(office, t("Management questionnaire %(year)s", year=year))
    form = office.locator("#questionnaire-form")
    for code in yes_codes():
        form.locator(f"#q-{code}").check()
    button(form, "Save the answers").tap()
    told(office, t("The answers for %(year)s are saved.", year=year))
    arrive(office, t("Health rating (kesehatan koperasi)"))
    expect(office.locator("#health-total")).to_contain_text("71,85")
    expect(office.locator("#health-total")).to_contain_text(t("Cukup sehat (fairly healthy)"))
    ratio = office.locator("#ratio-modal_aset")
    expect(ratio).to_contain_text(rp(29_660_000))
    expect(ratio).to_contain_text(rp(59_660_000))
    expect(ratio).to_contain_text("40 ≤ x < 60")
    expect(office.locator("#health-trend")).to_contain_text(str(year))
    button(office, "Publish the category of %(year)s", year=year).tap()
    told(office, t("Published: members now see the health category of %(year)s.", year=year))

    member = actor(books["member"].user, js=javascript)
    member.goto(f"/k/{k.slug}/me")
    arrive(member, k.name)
    shown = member.locator("#health-category")
    expect(shown).to_contain_text(t("Cukup sehat (fairly healthy)"))
    expect(shown).to_contain_text(str(year))
    expect(member.locator("main")).not_to_contain_text("71,85")
    finish(office, member)
