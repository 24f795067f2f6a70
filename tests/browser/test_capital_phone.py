"""Working capital on a 360 px phone, with and without JavaScript: a seller with last month's
sales applies from the seller page with the record shown and 10 % of each sale pledged; the
pengurus see the record and the suggested ceiling beside the application and approve above
it; the teller pays it out; a buyer's order paid from savings is completed by the seller, and
the order and the loan show the share that went to the loan."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from models import loans, months
from tests.browser.steps import World, arrive, button, finish, link, open_office, receipt, rp, t, told, typed
from tests.capital_setup import WORKING, buyers, sell
from tests.conftest import fund
from web.extensions import db

ASKED = 1_000_000
SALES = 1_200_000  # last month: twelve bags of rice at Rp100.000


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_seller_borrows_on_the_sales_record_and_repays_from_sales(request, actor, javascript):
    from models import orders as shop
    from models.orders import Choice, OrderStatus, add_to_cart, checkout

    w = World(request)
    kop = fund(w.make_koperasi(name="Koperasi Pasar Bersama"))
    loans.save_product(kop, dict(WORKING))
    seller = w.make_user("Siti Rahmawati", mobile="081355556666")
    store = w.make_store(kop, owner=seller, name="Warung Bu Siti")
    rice = w.make_product(store, name="Beras Pandan 5 kg", price_idr=100_000, stock=100)
    rina, joko = buyers(kop, w.make_member, w.make_user, 2)
    last_month = months.bounds(kop, months.last_ended(kop))[0] + timedelta(days=2)
    sell(rina, rice, 12, when=last_month)
    approver = w.staff(kop, "approve", "Bambang Pengurus")
    teller = w.staff(kop, "money", "Sari Teller")

    # Siti opens working capital from her seller page: her record is there.
    siti = actor(seller, js=javascript)
    siti.goto("/seller")
    arrive(siti, "Warung Bu Siti")
    link(siti.locator("main"), t("Working capital")).tap()
    arrive(siti, t("Working capital"))
    expect(siti.locator("#record-live")).to_contain_text(rp(SALES))
    siti.get_by_label(t("Loan product")).select_option(label=WORKING["name"])
    siti.get_by_label(t("Amount (Rp)")).fill(typed(ASKED))
    siti.get_by_label(t("Tenor (months)")).fill("6")
    if javascript:  # the cost appears as she types
        expect(siti.locator("#simulation")).to_contain_text(t("What this loan costs"))
    siti.get_by_label(t("What is the loan for?")).fill("Tambah stok beras menjelang Lebaran.")
    siti.get_by_label(t("Share of each sale paid through Kopz to the loan (%)")).fill("10")
    button(siti, "Send the application").tap()
    told(siti, t("Application sent with your sales record. The koperasi will review it."))
    arrive(siti, WORKING["name"])
    expect(siti.locator("#record-shown")).to_contain_text(rp(SALES))
    expect(siti.locator("#pledged")).to_contain_text("10%")

    # The pengurus see the record and the ceiling (150 % of 1.200.000 / 6 = 300.000) and approve more.
    office = actor(approver, js=javascript)
    open_office(office, kop, "Loans")
    link(office, "Siti Rahmawati").first.tap()
    arrive(office, "Siti Rahmawati")
    expect(office.locator("#ceiling")).to_contain_text(rp(300_000))
    expect(office.locator("#above-ceiling")).to_be_visible()
    expect(office.locator("#record-shown")).to_contain_text(rp(SALES))
    button(office, "Approve").tap()
    told(office, t("Loan approved for %(amount)s.", amount=rp(ASKED)))
    arrive(office, "Siti Rahmawati")

    counter = actor(teller, js=javascript)
    open_office(counter, kop, "Loans")
    link(counter, "Siti Rahmawati").first.tap()
    arrive(counter, "Siti Rahmawati")
    button(counter, "Pay out").tap()
    receipt(counter, ASKED)

    # Joko buys two bags, paid from his savings; Siti completes the order on her phone.
    add_to_cart(joko.user, rice, 2)
    (order,) = checkout(joko.user, {store.id: Choice(payment="savings")}, key="capital-journey").orders
    for to in (OrderStatus.ACCEPTED, OrderStatus.READY):
        shop.move(order, to, seller, as_seller=True)
    db.session.commit()
    siti.goto(f"/seller/orders/{order.id}")
    arrive(siti, order.number)
    button(siti, "Completed").tap()
    told(siti, t("Order %(number)s: %(status)s.", number=order.number, status=t("Completed")))
    arrive(siti, order.number)
    expect(siti.locator("#deduction")).to_contain_text(rp(20_000))
    link(siti.locator("#deduction"), t("The loan")).tap()
    arrive(siti, WORKING["name"])
    expect(siti.locator("#deductions")).to_contain_text(t("from order #%(number)s", number=order.number))
    # Her own loan page lists the payment too, marked with the order.
    link(siti, t("Schedule and payments")).tap()
    expect(siti).to_have_url(re.compile(r"/me/loans/\d+$"))  # the same heading as the page before
    arrive(siti, WORKING["name"])
    expect(siti.locator("#payments")).to_contain_text(t("from order #%(number)s", number=order.number))

    # The office sees the payment on the loan, marked with the order.
    office.reload()
    arrive(office, "Siti Rahmawati")
    expect(office.locator("#receipts")).to_contain_text(t("from order #%(number)s", number=order.number))
    finish(siti, office, counter)
