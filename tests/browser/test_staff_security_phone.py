"""Staff security on a 360 px phone, JavaScript on and off: a koperasi requires a second factor, so
a teller sets it up (the code computed here with pyotp from the key on the page, as the phone's
app would) and logs in with a code; a teller idle past the limit confirms the password and the
deposit posts once; a member signs out another of their devices."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models.base import utcnow
from models.ledger import Entry
from models.sessions import UserSession
from tests.browser.steps import (
    World,
    arrive,
    button,
    deposit,
    finish,
    link,
    log_in_via_form,
    receipt,
    section,
    t,
    teller_finds,
    told,
)
from tests.conftest import PASSWORD, fund
from web.extensions import db

BOTH = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
TELLER_MOBILE = "081366667777"


@BOTH
def test_a_required_second_factor_is_set_up_then_asked_at_login(request, actor, js):
    w = World(request)
    koperasi = w.make_koperasi(name="Koperasi Tani Makmur")
    koperasi.staff_second_factor = True
    db.session.commit()
    w.make_staff(koperasi, "teller", user=w.make_user("Rudi Hartono", mobile=TELLER_MOBILE))

    phone = actor(js=js)
    phone.goto("/login")
    log_in_via_form(phone, TELLER_MOBILE)
    phone.wait_for_url(lambda url: "/login" not in url)
    phone.goto(f"/k/{koperasi.slug}/office")
    arrive(phone, t("Second factor"))  # sent to set it up before the office
    told(phone, t("%(name)s asks its staff to log in with a second factor. Set it up to open the office.",
                  name=koperasi.name))
    expect(phone.locator(".qr-inline svg")).to_be_visible()
    app = pyotp.TOTP(phone.locator(".secret-key").inner_text().replace(" ", ""))
    phone.get_by_label(t("Current password")).fill(PASSWORD)
    phone.get_by_label(t("Code from the authenticator app")).fill(app.now())
    button(phone, "Turn on the second factor").tap()
    arrive(phone, t("The second factor is on"))
    expect(phone.locator(".recovery-codes li")).to_have_count(10)
    link(phone, t("I have kept them: continue")).tap()
    arrive(phone, t("Office"))

    phone.goto("/account")
    arrive(phone, t("Account"))
    button(phone, "Log out").tap()
    phone.wait_for_url(lambda url: not url.endswith("/account"))
    arrive(phone)
    phone.goto("/login")
    log_in_via_form(phone, TELLER_MOBILE)
    arrive(phone, t("Log in: the code"))
    phone.get_by_label(t("Code from the authenticator app")).fill(app.at(time.time() + 30))  # the app's next code
    button(phone, "Log in").tap()
    phone.wait_for_url(lambda url: "/login" not in url)
    phone.goto(f"/k/{koperasi.slug}/office")
    arrive(phone, t("Office"))
    finish(phone)


@BOTH
def test_an_idle_teller_confirms_the_password_and_the_deposit_posts_once(request, actor, js):
    w = World(request)
    koperasi = fund(w.make_koperasi(name="Koperasi Warga Sejahtera"))
    member = w.make_member(koperasi, user=w.make_user("Agus Salim", mobile="081322223333"))
    teller = w.staff(koperasi, "money", "Sari Teller")
    counter = actor(teller, js=js)
    # the teller last typed the password 20 minutes ago (the phone was left signed in at the counter)
    db.session.execute(sa.update(UserSession).where(UserSession.user_id == teller.id)
                       .values(authenticated_at=utcnow() - timedelta(minutes=20)))
    db.session.commit()

    teller_finds(counter, koperasi, "agus", "Agus Salim")
    deposit(counter, "sukarela", 250_000)
    arrive(counter, t("Confirm it is you"))
    counter.get_by_label(t("Your password")).fill("bukan-sandinya")
    button(counter, "Confirm and continue").tap()
    arrive(counter, t("Confirm it is you"))
    expect(counter.get_by_role("alert")).to_have_text(t("The password is not correct. Nothing was done."))
    assert _deposits(member) == 0
    counter.get_by_label(t("Your password")).fill(PASSWORD)
    button(counter, "Confirm and continue").tap()
    receipt(counter, 250_000)
    assert _deposits(member) == 1
    finish(counter)


def test_a_member_signs_out_another_of_their_devices(request, actor):
    w = World(request)
    w.make_user("Wayan Sudarsana", mobile="081377770000")
    phone, tablet = actor(), actor(js=False)
    for device in (tablet, phone):
        device.goto("/login")
        log_in_via_form(device, "081377770000")
        device.wait_for_url(lambda url: "/login" not in url)
        arrive(device)
    phone.goto("/account")
    arrive(phone, t("Account"))
    devices = section(phone, t("Your devices"))
    expect(devices.locator("li")).to_have_count(2)
    expect(devices.get_by_text(f"({t('this device')})")).to_have_count(1)
    button(devices, "Sign out that device").tap()
    arrive(phone, t("Account"))
    told(phone, t("That device is signed out."))
    expect(section(phone, t("Your devices")).locator("li")).to_have_count(1)
    tablet.goto("/account")
    tablet.wait_for_url("**/login?next=/account")
    arrive(tablet, t("Log in"))
    finish(phone, tablet)


def _deposits(member) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(
        Entry.membership_id == member.id, Entry.kind == "deposit", Entry.memo != "pokok"))
