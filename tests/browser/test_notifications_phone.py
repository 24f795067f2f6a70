"""Announcements and notifications on a phone (360 px), with and without JavaScript: the
board posts an announcement (a refused empty one first, what was typed kept); the member
sees the bell's count on any page, opens the list, taps the announcement, reads it on the
koperasi's page, and the count is gone."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models.notifications import Notification
from tests.browser.steps import arrive, button, finish, open_office, t, told
from tests.conftest import board

TITLE = "Kerja bakti hari Minggu"
BODY = "Minggu pagi pukul 07.00 kita kerja bakti di kantor koperasi. Ada sarapan bersama."


@pytest.fixture
def koperasi(db, make_koperasi, make_member, make_user):
    k = make_koperasi(name="Koperasi Maju Jaya", pokok_idr=0)
    siti = make_member(k, user=make_user(full_name="Siti Aminah"))
    db.session.execute(sa.delete(Notification))  # her approval is another story
    db.session.commit()
    return k, siti.user


def bell(page):
    return page.locator("#note-link")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_announcement_reaches_the_member_and_is_read(actor, koperasi, javascript):
    k, siti = koperasi
    office = actor(board(k), js=javascript)
    open_office(office, k, "Announcements")
    office.get_by_label(t("Announcement text"), exact=True).fill(BODY)
    button(office, "Post to the members").tap()
    expect(office.locator(".field.invalid")).to_contain_text(t("Write a title of at least %(count)s characters.",
                                                                  count=3))
    expect(office.get_by_label(t("Announcement text"), exact=True)).to_have_value(BODY)  # what was typed is kept
    arrive(office)
    office.get_by_label(t("Title"), exact=True).fill(TITLE)
    button(office, "Post to the members").tap()
    told(office, t("Announcement posted to the members."))
    expect(office.locator("#announcements")).to_contain_text(TITLE)
    arrive(office)

    member = actor(siti, js=javascript)
    member.goto("/")
    arrive(member)
    expect(bell(member)).to_have_attribute("aria-label", t("1 unread notification"))
    expect(bell(member).locator(".note-count")).to_have_text("1")
    bell(member).tap()
    arrive(member, t("Notifications"))
    item = member.locator("#notes li.unread")
    expect(item).to_contain_text(TITLE)
    expect(item).to_contain_text(k.name)
    item.get_by_role("button").tap()
    expect(member).to_have_url(re.compile(rf"/k/{k.slug}/announcements(#a\d+)?$"))  # htmx drops the #
    arrive(member, t("Announcements"))
    expect(member.locator("#announcements")).to_contain_text("Ada sarapan bersama.")
    expect(bell(member)).to_have_attribute("aria-label", t("Notifications"))
    expect(bell(member).locator(".note-count")).to_have_count(0)
    bell(member).tap()
    arrive(member, t("Notifications"))
    expect(member.locator("#notes li.unread")).to_have_count(0)
    finish(office, member)
