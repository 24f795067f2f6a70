"""A forgotten password on a 360 px phone, with JavaScript and without: Dewi asks for a code, reads it
in the e-mail (a real local SMTP server), chooses a new password and logs in with it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.guard import check_layout
from tests.browser.steps import arrive, button, finish, link, section, t, told
from tests.conftest import board
from tests.mail_server import code_in

NEW = "kebun-kopi-di-lereng"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_forgot_password_code_by_email_new_password_log_in(actor, make_user, inbox, javascript):
    dewi = make_user(full_name="Dewi Lestari", mobile="081311112222", email="dewi@contoh.id")
    page = actor(js=javascript)
    page.goto("/login")
    arrive(page, t("Log in"))
    link(page.locator("main"), t("Forgot your password?")).tap()
    arrive(page, t("Forgot your password?"))
    page.get_by_label(t("Mobile number or email")).fill("0813 1111 2222")
    button(page, "Send me a code").tap()
    arrive(page, t("Choose a new password"))
    told(page, t("If an account with an e-mail address has this number or e-mail, a code is on its way there. It "
                 "works for 15 minutes. No e-mail on your account? Your koperasi's office can reset the password "
                 "after checking who you are."))
    mail = inbox.wait()
    assert mail["To"] == "dewi@contoh.id"
    expect(page.get_by_label(t("Mobile number or email"))).to_have_value("0813 1111 2222")
    page.get_by_label(t("Code from the e-mail")).fill(code_in(mail))
    page.get_by_label(t("New password")).fill(NEW)
    button(page, "Save the new password").tap()
    arrive(page, t("Log in"))
    told(page, t("Your new password is set, and every device was logged out. Log in with it now."))
    expect(page.get_by_label(t("Mobile number or email"))).to_have_value("0813 1111 2222")
    page.get_by_label(t("Password")).fill(NEW)
    button(page, "Log in").tap()
    page.wait_for_url(lambda url: "/login" not in url)
    arrive(page)  # logged in: the home page
    page.goto("/account")
    arrive(page, t("Account"))
    expect(page.get_by_label(t("Full name"))).to_have_value(dewi.full_name)
    finish(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_board_gives_a_temporary_password_the_member_chooses_their_own(actor, make_koperasi, make_member,
                                                                           make_user, javascript):
    """Sari has no e-mail on her account: at the office the board checks her KTP and gives her a
    temporary password, shown once; she logs in with it and must choose her own before anything else."""
    kop = make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB")
    sari = make_user(full_name="Sari Anggota", mobile="081322223333")
    member = make_member(kop, user=sari)
    office = actor(board(kop), js=javascript)
    office.goto(f"/k/{kop.slug}/office/members/{member.id}")
    arrive(office, "Sari Anggota")
    reset = section(office, t("Forgotten password"))
    reset.get_by_label(t("I checked this member's KTP in person")).check()
    button(reset, "Give a temporary password").tap()
    temporary = section(office, t("Forgotten password")).locator(".temporary-password")
    expect(temporary).to_be_visible()
    check_layout(office)
    given = temporary.inner_text().strip()
    assert len(given) >= 8

    phone = actor(js=javascript)
    phone.goto("/login")
    arrive(phone, t("Log in"))
    phone.get_by_label(t("Mobile number or email")).fill("081322223333")
    phone.get_by_label(t("Password")).fill(given)
    button(phone, "Log in").tap()
    arrive(phone, t("Choose your own password"))
    phone.goto("/cards")  # nothing else opens before she chooses her own
    arrive(phone, t("Choose your own password"))
    phone.get_by_label(t("New password")).fill(given)  # the temporary one is not hers to keep
    button(phone, "Save the new password").tap()
    arrive(phone, t("Choose your own password"))
    expect(phone.get_by_text(t("Choose a password of your own, not the temporary one.")).first).to_be_visible()
    phone.get_by_label(t("New password")).fill(NEW)
    button(phone, "Save the new password").tap()
    told(phone, t("Password changed. Other devices were logged out."))
    arrive(phone)  # the home page
    phone.goto("/cards")
    arrive(phone, t("My cards"))
    finish(office, phone)
