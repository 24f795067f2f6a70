"""Paying at a fellow member's stall on two 360 px phones: the seller shows the store's QR (and
its printable sign), a member of the same koperasi opens the pay link the QR holds, pays from
her sukarela with her password, both read the receipt, the seller's list shows the payment
without a reload (JavaScript), and the seller refunds it. Without JavaScript the member types
the store's code and the seller loads the list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import World, arrive, button, finish, like, link, rp, t, told, typed
from tests.conftest import PASSWORD

STORE = "Warung Bu Siti"


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_pay_at_a_stall_and_refund(request, actor, js):
    w = World(request)
    koperasi = w.make_koperasi(name="Koperasi Konsumen Mandiri")
    seller = w.make_user("Siti Rahmawati")
    store = w.make_store(koperasi, owner=seller, name=STORE)
    buyer = w.make_member(koperasi, user=w.make_user("Rina Wulandari"))
    w.saved(buyer, 100_000)

    # The seller opens the store's payment QR; the printable sign holds the same code.
    siti = actor(seller, js=js)
    siti.goto("/seller")
    arrive(siti, STORE)
    link(siti.locator("main"), t("Payment QR")).tap()
    arrive(siti, t("Payments at %(store)s", store=STORE))
    expect(siti.get_by_role("img", name=t("QR code to pay %(store)s", store=STORE))).to_be_visible()
    code = siti.locator(".pay-qr .receipt-code").inner_text().strip()
    assert code == store.pay_code
    expect(siti.locator("#payments")).to_contain_text(t("No payments yet."))
    link(siti.locator("main"), t("Print the QR for the stall")).tap()
    arrive(siti, STORE)
    expect(siti.locator("main")).to_contain_text(code)
    link(siti.locator("main"), t("Back")).tap()
    arrive(siti, t("Payments at %(store)s", store=STORE))

    # The member: with JavaScript she opens the link the QR holds (what the camera app opens);
    # without it she types the code from the sign.
    rina = actor(buyer.user, js=js)
    if js:
        rina.goto(f"/pay/{code}")
    else:
        rina.goto("/cards")
        arrive(rina)
        link(rina.locator("main"), t("Pay at a store")).tap()
        arrive(rina, t("Pay at a store"))
        rina.get_by_label(t("Store code")).fill(f"{code[:3].lower()} {code[3:].lower()}")
        button(rina, "Next").tap()
    arrive(rina, t("Pay %(store)s", store=STORE))
    expect(rina.locator("main")).to_contain_text(rp(100_000))
    rina.get_by_label(t("Amount (Rp)")).fill(typed(25_000))
    rina.get_by_label(t("Your Kopz password")).fill("bukan-sandinya")
    button(rina, "Pay from my savings").tap()
    arrive(rina, t("Pay %(store)s", store=STORE))
    expect(rina.get_by_text(t("The password is not correct. Nothing was paid."))).to_be_visible()
    expect(rina.get_by_label(t("Amount (Rp)"))).to_have_value(typed(25_000))
    rina.get_by_label(t("Your Kopz password")).fill(PASSWORD)
    button(rina, "Pay from my savings").tap()
    arrive(rina, re.compile(re.escape(t("Payment at a store")) + r" PAY-\d{6}-\d{6}"))
    told(rina, t("Paid. %(store)s has been told.", store=STORE))
    expect(rina.locator("#receipt")).to_contain_text(rp(25_000))
    number = re.search(r"PAY-\d{6}-\d{6}", rina.get_by_role("heading", level=1).inner_text()).group(0)

    # The seller's list: with JavaScript it shows the payment by itself; without, on loading the page.
    if js:
        expect(siti.locator("#payments")).to_contain_text(number, timeout=20_000)
        assert siti.url.endswith(f"/seller/stores/{store.id}/pay")  # not reloaded: the list was swapped in
    else:
        siti.reload()
        arrive(siti, t("Payments at %(store)s", store=STORE))
    expect(siti.locator("#payments")).to_contain_text("Rina Wulandari")
    expect(siti.locator("#payments")).to_contain_text(rp(25_000))

    # The seller opens the receipt and refunds the payment.
    link(siti.locator("#payments"), number).tap()
    arrive(siti, re.compile(re.escape(number)))
    siti.get_by_text(t("Refund this payment")).tap()
    siti.get_by_label(t("Reason")).fill("Salah ketik jumlah")
    button(siti, "Refund").tap()
    arrive(siti, re.compile(re.escape(number)))
    told(siti, t("Refunded. The buyer has been told."))
    expect(siti.get_by_text(t("Refund this payment"))).to_have_count(0)  # once only

    # The member's receipt says so, and her savings are whole again.
    rina.reload()
    arrive(rina, re.compile(re.escape(number)))
    expect(rina.locator("#receipt")).to_contain_text(like("Refunded %(amount)s on %(when)s: %(reason)s",
                                                          amount=rp(25_000), reason="Salah ketik jumlah"))
    rina.goto(f"/pay/{code}")
    arrive(rina, t("Pay %(store)s", store=STORE))
    expect(rina.locator("main")).to_contain_text(rp(100_000))
    finish(siti, rina)
