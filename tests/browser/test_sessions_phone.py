"""Sessions that really end, on two phones at 360 px: logging out on one phone stops a copy of
its cookie working anywhere, while the other phone stays in; a password changed on one phone
signs the other out. JS on and off (logging in and out is a core flow)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in
from tests.conftest import PASSWORD

NAME = "Wayan Sudarsana"
NUMBER = "081377770000"


def _signed_in(page: Page) -> None:
    page.goto("/account")
    expect(page.get_by_label("Nama lengkap")).to_have_value(NAME)


def _signed_out(page: Page) -> None:
    page.goto("/account")
    page.wait_for_url("**/login?next=/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Masuk")
    expect(page.get_by_text("Silakan masuk untuk membuka halaman ini.")).to_be_visible()


def _session_cookie(page: Page, name: str) -> dict:
    [cookie] = [c for c in page.context.cookies() if c["name"] == name]
    return cookie


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_logout_and_a_password_change_end_sessions_on_other_phones(actor, app, make_user, js):
    make_user(full_name=NAME, mobile=NUMBER)
    first, second = actor(js=js), actor(js=js)
    for phone in (first, second):
        log_in(phone, NUMBER)
        _signed_in(phone)

    # Someone copied the first phone's cookie into a browser of their own.
    copy = actor(js=js)
    copy.context.add_cookies([_session_cookie(first, app.config["SESSION_COOKIE_NAME"])])
    _signed_in(copy)

    first.goto("/account")
    first.get_by_role("button", name="Keluar", exact=True).tap()
    first.wait_for_url(lambda url: not url.endswith("/account"))
    _signed_out(first)
    _signed_out(copy)  # the copy ended with it, on the server
    _signed_in(second)  # the other phone's own session goes on

    log_in(first, NUMBER)
    _signed_in(first)
    second.goto("/account")
    second.get_by_label("Kata sandi saat ini").fill(PASSWORD)
    second.get_by_label("Kata sandi baru").fill("sandi-baru-2026")
    second.get_by_role("button", name="Ganti kata sandi").tap()
    expect(second.get_by_role("status")).to_have_text("Kata sandi diganti. Perangkat lain telah dikeluarkan.")
    _signed_in(second)  # the phone that changed it stays in
    _signed_out(first)
    log_in(first, NUMBER, "sandi-baru-2026")
    _signed_in(first)


def admin_and_member(actor, make_user) -> tuple[Page, Page]:
    """A platform admin's phone, and a member's phone signed in."""
    make_user(full_name=NAME, mobile=NUMBER)
    admin = actor(user=make_user(full_name="Admin Platform", is_platform_admin=True))
    member = actor()
    log_in(member, NUMBER)
    _signed_in(member)
    return admin, member


def find_account(admin: Page):
    """On the admin's accounts page: the member's account, found by number."""
    admin.get_by_label("Nomor HP atau email").fill(NUMBER)
    admin.get_by_role("button", name="Cari").tap()
    return admin.locator("#account-found")


def test_a_platform_admin_disables_an_account_and_its_phone_is_signed_out(actor, make_user):
    admin, member = admin_and_member(actor, make_user)
    admin.goto("/account")
    admin.get_by_role("link", name="Akun pengguna").tap()
    found = find_account(admin)
    expect(found.get_by_role("heading", name=NAME)).to_be_visible()
    expect(found.get_by_text("Perangkat yang masuk: 1")).to_be_visible()
    found.get_by_role("button", name="Nonaktifkan akun ini").tap()
    expect(admin.get_by_role("status")).to_have_text(
        f"Akun {NAME} dinonaktifkan; semua perangkatnya telah dikeluarkan.")
    expect(found.get_by_role("button", name="Aktifkan lagi akun ini")).to_be_visible()

    _signed_out(member)
    member.goto("/login")
    member.fill('input[name="login"]', NUMBER)
    member.fill('input[name="password"]', PASSWORD)
    member.get_by_role("button", name="Masuk", exact=True).tap()
    expect(member.get_by_text("Akun ini dinonaktifkan. Minta bantuan Kopz.")).to_be_visible()
