"""A member lost their phone: the platform admin, on a phone at 360 px, logs out every device of the
account without disabling it; the lost phone is signed out and the member logs in again on a new one."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_sessions_phone import NAME, NUMBER, _signed_in, _signed_out, admin_and_member, find_account


def test_the_platform_admin_logs_out_every_device_of_a_lost_phone(actor, make_user):
    admin, lost = admin_and_member(actor, make_user)
    admin.goto("/admin/accounts")
    found = find_account(admin)
    expect(found.get_by_text("Perangkat yang masuk: 1")).to_be_visible()
    found.get_by_role("button", name="Keluarkan semua perangkat").tap()
    expect(admin.get_by_role("status")).to_have_text(f"{NAME} dikeluarkan dari 1 perangkat.")
    expect(found.get_by_text("Perangkat yang masuk: 0")).to_be_visible()
    expect(found.get_by_role("button", name="Nonaktifkan akun ini")).to_be_visible()  # still open

    _signed_out(lost)
    new = actor()
    log_in(new, NUMBER)
    _signed_in(new)
