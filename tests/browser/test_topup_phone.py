"""Topping up sukarela by bank transfer on two 360 px phones: the member asks from her card page and
reads where to transfer (the account, the exact unique amount, the reference); the teller finds the
request from the teller page and confirms it (with JavaScript: the request itself; without: by
uploading the bank statement's CSV and confirming the match); the member then sees the receipt and
her new balance."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from models import topups
from models.topups import Topup
from tests.browser.steps import World, arrive, button, finish, link, open_my_card, open_office, rp, t, told, typed
from web.extensions import db

SAVED = 50_000
ASKED = 150_000


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_top_up_by_transfer(request, actor, js):
    w = World(request)
    koperasi = w.make_koperasi(name="Koperasi Konsumen Mandiri")
    topups.set_bank_account(koperasi, w.make_user("Ketua Pengurus"), "BRI", "0021-01-000123-30-5",
                            "Koperasi Konsumen Mandiri", 24)
    db.session.commit()
    member = w.make_member(koperasi, user=w.make_user("Rina Wulandari"))
    w.saved(member, SAVED)
    teller = w.staff(koperasi, "money", "Teller Dewi")

    # The member asks from her card page and reads where to transfer.
    rina = actor(member.user, js=js)
    open_my_card(rina, koperasi)
    link(rina.locator("#topups"), t("Top up my sukarela")).tap()
    arrive(rina, t("Top up by transfer"))
    rina.get_by_label(t("Amount to add (Rp)")).fill(typed(ASKED))
    button(rina, "Show me where to transfer").tap()
    arrive(rina, re.compile(re.escape(t("Top-up %(reference)s", reference="")) + r"T\w{6}"))
    topup = db.session.scalar(db.select(Topup).where(Topup.membership_id == member.id))
    instructions = rina.locator("#instructions")
    expect(instructions).to_contain_text("002101000123305")
    expect(instructions).to_contain_text(topup.reference)
    expect(rina.locator("#unique-amount")).to_have_text(rp(topup.unique_amount_idr))
    assert ASKED < topup.unique_amount_idr < ASKED + 1000

    # The teller: from the teller page to the waiting top-ups.
    dewi = actor(teller, js=js)
    open_office(dewi, koperasi, "Teller")
    link(dewi.locator("main"), t("Top-ups by transfer")).tap()
    arrive(dewi, t("Top-ups by transfer"))
    expect(dewi.locator("#waiting")).to_contain_text(topup.reference)
    if js:  # the request itself, checked against the statement by eye
        link(dewi.locator("#waiting"), topup.reference).tap()
        arrive(dewi, t("Top-up %(reference)s", reference=topup.reference))
        button(dewi, "Confirm: money received").tap()
        arrive(dewi, re.compile("^" + re.escape(t("Receipt"))))
        expect(dewi.locator("main")).to_contain_text(rp(topup.unique_amount_idr))
    else:  # the bank statement's CSV: the match proposed, then confirmed
        statement = (f"Tanggal;Keterangan;Jumlah\n04/12/2026;TRSF E-BANKING CR {topup.reference} RINA;"
                     f"{typed(topup.unique_amount_idr)}\n04/12/2026;BUNGA;1.234\n")
        dewi.get_by_label(t("Bank statement (CSV)")).set_input_files(
            files=[{"name": "mutasi.csv", "mimeType": "text/csv", "buffer": statement.encode()}])
        button(dewi, "Find the matches").tap()
        arrive(dewi, t("Matches on the statement"))
        expect(dewi.locator("#matches")).to_contain_text("Rina Wulandari")
        expect(dewi.get_by_role("checkbox")).to_be_checked()
        button(dewi, "Confirm the chosen top-ups").tap()
        arrive(dewi, t("Top-ups by transfer"))
        told(dewi, t("Top-ups confirmed: %(n)s.", n=1))
        expect(dewi.locator("#decided")).to_contain_text(topup.reference)

    # The member: the receipt on her request, and the new balance on her page.
    rina.reload()
    arrive(rina, t("Top-up %(reference)s", reference=topup.reference))
    expect(rina.locator("#topup-state")).to_have_text(t("Confirmed"))
    expect(rina.locator("#receipt")).to_contain_text(rp(topup.unique_amount_idr))
    expect(rina.locator("#balance-after")).to_have_text(rp(SAVED + topup.unique_amount_idr))
    link(rina.locator("main"), t("My page")).tap()
    arrive(rina, koperasi.name)
    expect(rina.locator("#topups")).to_contain_text(t("Confirmed"))
    expect(rina.locator("main")).to_contain_text(rp(SAVED + topup.unique_amount_idr))
    finish(rina, dewi)
