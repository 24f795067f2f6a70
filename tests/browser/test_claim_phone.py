"""Claiming an imported membership on a 360 px phone, with and without JavaScript: Rudi, whom
his koperasi imported under his number, registers with it; his card waits for the koperasi
and shows nothing of his savings; he asks; the pengurus sees the claim beside the imported
data, checks his KTP and confirms; Rudi then sees his card and his savings."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import arrive, button, finish, link, rp, t, told
from tests.conftest import fund
from tests.imported import make_imported


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_imported_member_registers_claims_and_is_confirmed(actor, make_koperasi, make_staff, make_user, db,
                                                              javascript):
    k = fund(make_koperasi(name="Koperasi Tani Makmur", member_prefix="KTM"))
    pengurus = make_staff(k, "pengurus", user=make_user(full_name="Bu Ratna"))
    imported = make_imported(k, "081299990001", full_name="Rudi Hartono", number="KTM-L0042", sukarela=750_000)

    rudi = actor(js=javascript)
    rudi.goto("/register")
    arrive(rudi, t("Create an account"))
    rudi.get_by_label(t("Full name")).fill("Rudi Hartono")
    rudi.get_by_label(t("Mobile number")).fill("0812 9999 0001")
    rudi.get_by_label(t("Password")).fill("sandi-aman-1")
    button(rudi, "Create an account").tap()
    arrive(rudi, t("Log in"))  # the same answer as for a taken number (issue 14): now log in
    rudi.get_by_label(t("Password")).fill("sandi-aman-1")
    button(rudi, "Log in").tap()
    arrive(rudi, t("My cards"))  # his koperasi imported him: the cards say what happens next
    waiting = rudi.locator(f"#claim-{k.slug}")
    expect(waiting).to_contain_text(k.name)
    expect(rudi.locator("main")).not_to_contain_text(rp(750_000))
    expect(rudi.locator("main")).not_to_contain_text("KTM-L0042")
    expect(rudi.locator(".kcard-qr")).to_have_count(0)
    button(waiting, "Claim membership").tap()  # without ticking his consent: asked for it
    told(rudi, t("To join, tick that you agree to how your personal data is used. Without it the koperasi cannot "
                 "keep your membership."))
    waiting.get_by_label(t("I agree that my personal data is used as described above.")).check()
    button(waiting, "Claim membership").tap()
    told(rudi, t("Sent. The koperasi will check your KTP and confirm you."))
    arrive(rudi, t("My cards"))

    office = actor(pengurus, js=javascript)
    office.goto(f"/k/{k.slug}/office/applications")
    arrive(office, t("Applications"))
    link(office.locator("main"), t("Claims")).first.tap()
    arrive(office, t("Membership claims"))
    link(office.locator("main"), "KTM-L0042").tap()
    arrive(office, "Rudi Hartono")
    expect(office.locator("main")).to_contain_text(imported.nik_masked)
    button(office, "Confirm: this is the member").tap()
    told(office, t("Confirmed. %(name)s now sees membership %(number)s.", name="Rudi Hartono", number="KTM-L0042"))
    arrive(office, "Rudi Hartono")

    rudi.goto("/cards")
    arrive(rudi, t("My cards"))
    expect(rudi.locator(".kcard-qr")).to_have_count(1)
    link(rudi, k.name).first.tap()
    arrive(rudi, k.name)
    expect(rudi.locator("main")).to_contain_text(rp(750_000))
    finish(rudi, office)
