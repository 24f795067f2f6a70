"""My personal data on a 360 px phone, with JavaScript and without: Sari downloads her data (JSON
and CSV), cannot delete it while she is a member (the page says why), and once she has left the
koperasi deletes it with her password: signed out, her account closed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from models import resignation
from models.accounts import User
from tests.browser.steps import arrive, button, finish, link, section, t, told
from tests.conftest import PASSWORD, VALID_NIK, fund


def downloaded(page, name: str) -> str:
    with page.expect_download() as download:
        link(page, t(name)).tap()
    return Path(download.value.path()).read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_member_downloads_her_data_and_after_leaving_deletes_it(actor, make_koperasi, make_member, make_user, db,
                                                                  javascript):
    kop = fund(make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB"))
    sari = make_member(kop, user=make_user(full_name="Sari Anggota", mobile="081355550000"))
    page = actor(user=sari.user, js=javascript)
    page.goto("/account")
    arrive(page, t("Account"))
    link(page, t("My personal data")).tap()
    arrive(page, t("My personal data"))
    data = json.loads(downloaded(page, "Download JSON"))
    assert [m["nik"] for m in data["memberships"]] == [VALID_NIK] and data["consents"]
    assert f"memberships.0.nik,{VALID_NIK}" in downloaded(page, "Download CSV")

    erase = section(page, t("Delete my personal data"))
    expect(erase).to_contain_text(t("You are still a member of %(name)s: resign there first (the koperasi refunds "
                                    "your savings when it confirms).", name=kop.name))
    expect(button(page, "Delete my data and close my account")).to_have_count(0)

    resignation.request(sari)  # she leaves; the koperasi confirms and refunds her savings
    resignation.confirm(sari, db.session.get(User, kop.created_by_id))
    db.session.commit()
    page.reload()
    arrive(page, t("My personal data"))
    page.get_by_label(t("Your password, to confirm")).fill("bukan-sandinya-9")
    button(page, "Delete my data and close my account").tap()
    arrive(page, t("My personal data"))
    expect(page.get_by_label(t("Your password, to confirm"))).to_have_accessible_description(
        t("The password is not right."))
    page.get_by_label(t("Your password, to confirm")).fill(PASSWORD)
    button(page, "Delete my data and close my account").tap()
    told(page, t("Your personal data was deleted and your account closed."))
    arrive(page)  # the home page
    page.goto("/account")
    page.wait_for_url("**/login?next=/account")
    arrive(page, t("Log in"))
    finish(page)
