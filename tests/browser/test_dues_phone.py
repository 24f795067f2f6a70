"""Simpanan wajib on a phone (360 px): a member sees what is due on the card page and
opts in to automatic payment from sukarela (with and without JavaScript); the board
opens the dues page and finds the member on the reminder list with a WhatsApp link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from models import months, savings
from models.membership import Membership
from tests.browser.test_office_money import no_sideways_scroll
from tests.conftest import board


@pytest.fixture
def behind(make_koperasi, make_member, make_user, db):
    """A member who joined three months ago, paid one month of wajib, holds sukarela."""
    kop = make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB", wajib_idr=20_000)
    member = make_member(kop, user=make_user(full_name="Siti Aminah", mobile="081298765432"))
    start = months.current(kop)
    for _ in range(3):
        start = months.previous(start)
    db.session.get(Membership, member.id).joined_on = start
    savings.deposit(member, "wajib", 20_000, "cash", None)
    savings.deposit(member, "sukarela", 300_000, "cash", None)
    db.session.commit()
    return {"kop": kop, "member": db.session.get(Membership, member.id)}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_member_sees_what_is_due_and_opts_in_to_autopay(actor, behind, javascript):
    kop, member = behind["kop"], behind["member"]
    page = actor(member.user, js=javascript)
    page.goto(f"/k/{kop.slug}/me")
    facts = page.locator("#dues-facts")
    expect(facts).to_contain_text("Bulan menunggak")
    expect(facts).to_contain_text("2 · Rp40.000")  # two ended months unpaid
    expect(facts).to_contain_text("Rp60.000")  # to pay now, this month's included
    no_sideways_scroll(page)
    page.get_by_label("Bayar simpanan wajib saya otomatis dari simpanan sukarela").check()
    page.locator("#autopay-form").get_by_role("button", name="Simpan").tap()
    expect(page).to_have_url(re.compile(rf"/k/{kop.slug}/me"))
    expect(page.locator("#autopay-state")).to_contain_text("Bayar otomatis aktif")
    expect(page.get_by_label("Bayar simpanan wajib saya otomatis dari simpanan sukarela")).to_be_checked()
    no_sideways_scroll(page)


def test_the_board_finds_the_reminder_list(actor, behind):
    kop = behind["kop"]
    page = actor(board(kop))
    page.goto(f"/k/{kop.slug}/office")
    page.get_by_role("link", name="Simpanan wajib").tap()
    expect(page).to_have_url(re.compile(rf"/k/{kop.slug}/office/dues$"))
    reminders = page.locator("#reminders")
    expect(reminders).to_contain_text("Siti Aminah")
    expect(reminders).to_contain_text("Menunggak: 2 bulan, Rp40.000")
    link = reminders.get_by_role("link", name="Ingatkan lewat WhatsApp")
    expect(link).to_have_attribute("href", re.compile(r"^https://wa\.me/6281298765432\?text=Halo%20Siti%20Aminah"))
    no_sideways_scroll(page)
