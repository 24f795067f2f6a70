"""End-to-end journeys through the real UI on a 360 px phone, shared by the runs with
JavaScript (test_journeys.py) and without it (test_journeys_nojs.py).

Each journey is a function of ``(request, actor, js)``: the factories of tests/conftest.py
set up only what the journey is not about; everything the journey is about is done by
taps and typing, by the people who do it (member, office, teller, seller, buyer), each on
a phone of their own. ``arrive`` runs the layout guard on every page shown, and
``finish`` fails if any page a phone showed was never measured.

Texts are looked up in the Indonesian catalogue (the default language), so a reworded
translation does not break a journey. Office duties go through ``steps.ROLE_FOR``: one place
to change when approvals move to the "pengurus" role.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from models.market import Product
from models.orders import CartItem
from tests.browser.conftest import png
from tests.browser.guard import check_layout, offline
from tests.browser.steps import (
    World,
    arrive,
    button,
    cart_link,
    deposit,
    drawn_width,
    finish,
    in_english,
    like,
    link,
    log_in_via_form,
    nav,
    open_my_card,
    open_office,
    receipt,
    rp,
    search,
    section,
    stock_is,
    t,
    teller_finds,
    told,
    typed,
)
from tests.conftest import PASSWORD, fund
from web.extensions import db

# ---------------------------------------------------------------- (a) find and join, approval, pokok

def find_and_join(request, actor, js: bool) -> None:
    w = World(request)
    w.make_koperasi(name="Koperasi Sejahtera Bersama")
    koperasi = w.make_koperasi(name="Koperasi Tani Makmur", jenis="produsen", pokok_idr=150_000, member_prefix="KTM")
    w.make_user("Rina Wulandari", mobile="081311112222")
    approver = w.staff(koperasi, "approve", "Bambang Pengurus")
    teller = w.staff(koperasi, "money", "Sari Teller")

    # Rina, not logged in, looks for a koperasi of farmers and asks to join.
    rina = actor(js=js)
    rina.goto("/")
    arrive(rina)
    nav(rina, "Koperasi")
    arrive(rina, t("Find a koperasi"))
    search(rina, "Name", "tani")
    expect(link(rina, "Koperasi Sejahtera Bersama")).to_have_count(0)
    check_layout(rina)
    link(rina, "Koperasi Tani Makmur").tap()
    arrive(rina, "Koperasi Tani Makmur")
    expect(rina.locator("main")).to_contain_text(rp(150_000))
    link(rina, t("Join this koperasi")).tap()
    log_in_via_form(rina, "0813 1111 2222")
    arrive(rina, t("Join %(name)s", name="Koperasi Tani Makmur"))
    expect(rina.get_by_label(t("Full name (as on your KTP)"))).to_have_value("Rina Wulandari")
    rina.get_by_label(t("NIK (KTP number)")).fill("3273011508950001")
    rina.get_by_label(t("Address")).fill("Jl. Cihampelas No. 12, Bandung")
    rina.get_by_label(t("Occupation")).fill("Petani sayur")
    button(rina, "Send application").tap()  # she forgot to agree to the rules and to how her data is used
    agree = rina.get_by_label(t("I agree to the koperasi's rules and fees above."))
    expect(agree).to_have_accessible_description(re.compile(re.escape(t("You must agree to the koperasi's rules to join."))))
    consent = rina.get_by_label(t("I agree that my personal data is used as described above."))
    expect(consent).to_have_accessible_description(re.compile(re.escape(t(
        "To join, tick that you agree to how your personal data is used. Without it the koperasi cannot keep your "
        "membership."))))
    expect(rina.locator("details.purpose")).to_contain_text(t("Who sees it"))
    expect(rina.get_by_label(t("NIK (KTP number)"))).to_have_value("3273011508950001")
    arrive(rina, t("Join %(name)s", name="Koperasi Tani Makmur"))
    assert rina.url.endswith(f"/k/{koperasi.slug}/join")
    agree.check()
    consent.check()
    button(rina, "Send application").tap()
    arrive(rina, t("My cards"))
    told(rina, t("Your application to %(name)s was sent. You will see the decision here.", name="Koperasi Tani Makmur"))
    expect(rina.locator("main")).to_contain_text(t("Awaiting approval"))

    # The office approves the application.
    office = actor(approver, js=js)
    open_office(office, koperasi, "Applications")
    link(office, "Rina Wulandari").tap()
    arrive(office, "Rina Wulandari")
    button(office, "Approve").tap()
    told(office, like("Approved. Member number: %(number)s."))
    arrive(office, "Rina Wulandari")
    number = re.search(r"KTM\S*\d", office.get_by_role("status").first.inner_text()).group(0)

    # She pays simpanan pokok at the counter; the teller finds her by her new number.
    counter = actor(teller, js=js)
    teller_finds(counter, koperasi, number, "Rina Wulandari")
    box = section(counter, t("Deposit"))
    expect(box.get_by_label(t("Savings"))).to_have_value("pokok")
    button(box, "Record deposit").tap()
    receipt(counter, 150_000)

    # Her card is active.
    open_my_card(rina, koperasi)
    expect(rina.locator("main")).to_contain_text(number)
    expect(rina.locator("main")).to_contain_text(t("Active"))
    expect(rina.locator("main")).not_to_contain_text(t("Simpanan pokok due: %(amount)s. Pay it at the koperasi to "
                                                       "activate your card.", amount=rp(150_000)))
    finish(rina, office, counter)


# ---------------------------------------------------------------- (b) deposit and withdraw with receipts

def deposit_and_withdraw(request, actor, js: bool) -> None:
    w = World(request)
    koperasi = w.make_koperasi(name="Koperasi Warga Sejahtera")
    member = w.make_member(koperasi, user=w.make_user("Agus Salim", mobile="081322223333"))
    teller = w.staff(koperasi, "money", "Sari Teller")

    counter = actor(teller, js=js)
    teller_finds(counter, koperasi, "agus", "Agus Salim")
    deposit(counter, "sukarela", 250_000)
    receipt(counter, 250_000)
    expect(counter.get_by_role("heading", name=t("New balance"))).to_be_visible()
    expect(counter.locator("main")).to_contain_text(t("Simpanan sukarela"))

    link(counter, t("Back to member")).tap()
    arrive(counter, "Agus Salim")
    box = section(counter, t("Withdrawal"))
    expect(box).to_contain_text(t("Available: %(amount)s", amount=rp(250_000)))
    box.get_by_label(t("Amount (Rp)")).fill(typed(100_000))
    button(box, "Record withdrawal").tap()
    receipt(counter, 100_000, 150_000)

    # Agus sees both on his statement, and what is left.
    agus = actor(member.user, js=js)
    open_my_card(agus, koperasi)
    savings = section(agus, t("My savings"))
    expect(savings).to_contain_text(rp(150_000))
    statement = agus.locator("#statement")
    expect(statement).to_contain_text("+" + rp(250_000))
    expect(statement).to_contain_text(rp(-100_000))
    finish(counter, agus)


# ---------------------------------------------------------------- (c) a loan, from application to repayment

LOAN, TENOR, RATE_BP, FEE_BP = 3_000_000, 6, 100, 100
INSTALMENT = LOAN // TENOR + LOAN * RATE_BP // 10_000  # flat: 500.000 principal + 30.000 interest


def loan(request, actor, js: bool) -> None:
    from models import loans

    w = World(request)
    koperasi = fund(w.make_koperasi(name="Koperasi Usaha Bersama"))  # the cash it lends
    loans.save_product(koperasi, dict(name="Modal Usaha", method="flat", monthly_rate_bp=RATE_BP, fee_bp=FEE_BP,
                                      fee_mode="deducted", max_amount_idr=20_000_000, min_tenor=3, max_tenor=24,
                                      late_fee_mode="per_instalment", late_fee_idr=10_000))
    db.session.commit()
    member = w.make_member(koperasi, user=w.make_user("Dewi Lestari", mobile="081344445555"))
    approver = w.staff(koperasi, "approve", "Bambang Pengurus")
    teller = w.staff(koperasi, "money", "Sari Teller")

    # Dewi applies from her card.
    dewi = actor(member.user, js=js)
    open_my_card(dewi, koperasi)
    link(dewi, t("My loans")).first.tap()
    arrive(dewi, t("My loans"))
    link(dewi, t("Apply for a loan")).tap()
    arrive(dewi, t("Apply for a loan"))
    dewi.get_by_label(t("Loan product")).select_option(label="Modal Usaha")
    dewi.get_by_label(t("Amount (Rp)")).fill(typed(LOAN))
    dewi.get_by_label(t("Tenor (months)")).fill(str(TENOR))
    dewi.get_by_label(t("What is the loan for?")).fill("Menambah stok warung sembako menjelang Lebaran.")
    button(dewi, "Send the application").tap()
    arrive(dewi, "Modal Usaha")
    told(dewi, t("Application sent. The koperasi will review it."))
    expect(dewi.locator("main")).to_contain_text(t("Applied"))

    # The pengurus approve it.
    office = actor(approver, js=js)
    open_office(office, koperasi, "Loans")
    link(office, "Dewi Lestari").tap()
    arrive(office, "Dewi Lestari")
    button(office, "Approve").tap()
    told(office, t("Loan approved for %(amount)s.", amount=rp(LOAN)))
    arrive(office, "Dewi Lestari")

    # The teller pays it out: the receipt shows the principal, the fee and the cash she gets.
    counter = actor(teller, js=js)
    open_office(counter, koperasi, "Loans")
    link(counter, "Dewi Lestari").tap()
    arrive(counter, "Dewi Lestari")
    button(counter, "Pay out").tap()
    fee = LOAN * FEE_BP // 10_000
    receipt(counter, LOAN, fee, LOAN - fee)

    # A month later she brings the first instalment to the counter: the loan is current,
    # so the teller finds it in the list of all loans.
    open_office(counter, koperasi, "Loans")
    link(counter, t("All loans")).first.tap()
    arrive(counter, t("All loans"))
    link(counter, "Dewi Lestari").first.tap()
    arrive(counter, "Dewi Lestari")
    repay = counter.locator("form").filter(has=counter.get_by_role("button", name=t("Record the repayment")))
    expect(repay).to_contain_text(rp(INSTALMENT))
    repay.get_by_label(t("Amount received (Rp)")).fill(typed(INSTALMENT))
    button(repay, "Record the repayment").tap()
    receipt(counter, INSTALMENT)

    # Dewi sees it on her schedule: one instalment paid, five to come, what she still owes.
    open_my_card(dewi, koperasi)
    link(dewi, t("My loans")).first.tap()
    arrive(dewi, t("My loans"))
    link(dewi, "Modal Usaha").tap()
    arrive(dewi, "Modal Usaha")
    expect(dewi.locator("main")).to_contain_text(t("Being repaid"))
    expect(dewi.get_by_text(t("Upcoming"), exact=True)).to_have_count(TENOR - 1)
    expect(dewi.locator("main")).to_contain_text(rp(INSTALMENT * (TENOR - 1)))
    finish(dewi, office, counter)


# ---------------------------------------------------------------- (d) a store, a product with a photo, stock offline

def store_and_stock(request, actor, js: bool) -> None:
    w = World(request)
    koperasi = w.make_koperasi(name="Koperasi Pasar Rakyat")
    member = w.make_member(koperasi, user=w.make_user("Siti Rahmawati", mobile="081355556666"))
    approver = w.staff(koperasi, "approve", "Bambang Pengurus")

    # Siti opens a store from her card.
    siti = actor(member.user, js=js)
    open_my_card(siti, koperasi)
    link(siti, t("Open a store")).tap()
    arrive(siti, t("Open a store"))
    siti.get_by_label(t("Store name")).fill("Warung Bu Siti")
    siti.get_by_label(t("What you sell")).fill("Sembako, kopi dan gula aren dari kebun sendiri.")
    siti.get_by_label(t("Pickup address")).fill("Jl. Dago No. 10, Bandung")
    siti.get_by_label(t("Latitude")).fill("-6.8915")
    siti.get_by_label(t("Longitude")).fill("107.6107")
    siti.get_by_label(t("WhatsApp number")).fill("0813 5555 6666")
    button(siti, "Open the store").tap()
    arrive(siti, "Warung Bu Siti")
    told(siti, t("Store sent. The koperasi will check it; you can add products meanwhile."))

    # The office approves the store.
    office = actor(approver, js=js)
    open_office(office, koperasi, "Stores")
    store_row = office.locator("li").filter(has_text="Warung Bu Siti")
    button(store_row, "Approve").tap()
    told(office, t("Store approved: buyers can see it now."))
    arrive(office, t("Stores"))

    # Siti adds a product with a photo taken on her phone.
    siti.reload()
    arrive(siti, "Warung Bu Siti")
    expect(siti.locator("main")).not_to_contain_text(t("Awaiting approval by %(koperasi)s. Buyers will see the store "
                                                       "once it is approved.", koperasi=koperasi.name))
    link(siti, t("Add a product")).tap()
    arrive(siti, t("Add a product"))
    siti.get_by_label(t("Product name")).fill("Gula Aren Kebun 500 g")
    siti.get_by_label(t("Category")).select_option("food")
    siti.get_by_label(t("Unit")).fill("bungkus")
    siti.get_by_label(t("Price (Rp)"), exact=True).fill(typed(18_000))
    siti.get_by_label(t("Stock")).fill("5")
    siti.get_by_label(t("Photos (up to 4)")).set_input_files(
        {"name": "gula-aren.png", "mimeType": "image/png", "buffer": png(400, 300, (150, 90, 40, 255))})
    button(siti, "Save").tap()
    arrive(siti, "Warung Bu Siti")
    told(siti, t("Product added."))
    product = db.session.scalars(sa.select(Product).where(Product.name == "Gula Aren Kebun 500 g")).one()
    row = siti.locator(f"#product-{product.id}")
    expect(row.locator(".stock-count")).to_have_text("5")
    link(row, "Gula Aren Kebun 500 g").tap()
    arrive(siti, "Gula Aren Kebun 500 g")
    photo = siti.locator("main img").first
    expect(photo).to_be_visible()
    assert drawn_width(photo) > 0 and photo.get_attribute("src").startswith("/media/p/")  # a file, uploaded after start
    siti.go_back()
    arrive(siti, "Warung Bu Siti")

    # At the stall without signal: she sells one, the change waits, survives a reload, and is sent later.
    assert siti.evaluate("navigator.serviceWorker.ready.then(() => true)")
    siti.reload()
    siti.wait_for_function("navigator.serviceWorker.controller !== null")
    arrive(siti, "Warung Bu Siti")
    row.locator('button[name="delta"][value="1"]').tap()  # online: a delivery of one more
    expect(row.locator(".stock-count")).to_have_text("6")
    stock_is(product.id, 6)
    with offline(siti):
        row.locator('button[name="delta"][value="-1"]').tap()
        expect(row.locator(".stock-count")).to_have_text("5")
        expect(row.get_by_text(t("Waiting to send"))).to_be_visible()
        siti.reload()
        arrive(siti, "Warung Bu Siti")
        expect(row.locator(".stock-count")).to_have_text("5")  # the newest number seen (6), less the one sold
    expect(row.get_by_text(t("Waiting to send"))).to_have_count(0)
    expect(row.locator(".stock-count")).to_have_text("5")
    stock_is(product.id, 5)
    check_layout(siti)
    finish(siti, office)


# ---------------------------------------------------------------- (e) shopping from two stores, paid from savings

def shop_and_pay_from_savings(request, actor, js: bool) -> None:
    w = World(request)
    koperasi = w.make_koperasi(name="Koperasi Konsumen Mandiri")
    coffee_store = w.make_store(koperasi, owner=w.make_user("Budi Santoso"), name="Kopi Pak Budi")
    sugar_store = w.make_store(koperasi, owner=w.make_user("Siti Rahmawati"), name="Warung Bu Siti")
    w.make_product(coffee_store, name="Kopi Robusta Lampung 250 g", category="food", unit="bungkus",
                   price_idr=35_000, stock=8)
    w.make_product(sugar_store, name="Gula Aren Kebun 500 g", category="food", unit="bungkus", price_idr=18_000,
                   stock=5)
    w.make_product(sugar_store, name="Beras Pandan Wangi 5 kg", price_idr=75_000, stock=10)
    buyer = w.make_member(koperasi, user=w.make_user("Rina Wulandari", mobile="081311112222"))
    w.saved(buyer, 200_000)

    rina = actor(buyer.user, js=js)
    rina.goto("/")
    arrive(rina)
    for number, (word, name) in enumerate((("kopi", "Kopi Robusta Lampung 250 g"),
                                           ("gula aren", "Gula Aren Kebun 500 g")), start=1):
        nav(rina, "Market")
        arrive(rina, t("Market"))
        search(rina, "Search products", word)
        link(rina.locator("#results"), name).tap()
        arrive(rina, name)
        button(rina, "Add to cart").tap()
        # The cart in the header counts what was added; with JavaScript the product page stays.
        expect(cart_link(rina)).to_contain_text(str(number))
        arrive(rina, name if js else None)

    cart_link(rina).tap()
    arrive(rina, t("Cart"))
    for store in ("Kopi Pak Budi", "Warung Bu Siti"):
        choice = rina.get_by_role("group", name=store)
        choice.get_by_label(t("How you pay")).select_option(label=t("From my simpanan sukarela"))
    button(rina, "Place the order").tap()
    arrive(rina, t("My orders"))
    told(rina, like("Order placed: %(numbers)s. The seller will confirm it."))
    expect(link(rina.locator("main"), "Kopi Pak Budi")).to_have_count(1)
    link(rina.locator("main"), "Warung Bu Siti").tap()
    rina.wait_for_url(re.compile(r"/orders/\d+$"))
    arrive(rina, re.compile(r"\S"))
    expect(rina.locator("main")).to_contain_text(t("From my simpanan sukarela"))
    expect(rina.locator("main")).to_contain_text(t("paid"))

    # Her savings paid for both.
    open_my_card(rina, koperasi)
    expect(section(rina, t("My savings"))).to_contain_text(rp(200_000 - 35_000 - 18_000))
    finish(rina)


# ---------------------------------------------------------------- (f) the seller completes an order

def seller_completes_order(request, actor, js: bool) -> None:
    from models.orders import Choice, add_to_cart, checkout

    w = World(request)
    koperasi = w.make_koperasi(name="Koperasi Konsumen Mandiri")
    seller = w.make_user("Siti Rahmawati", mobile="081355556666")
    store = w.make_store(koperasi, owner=seller, name="Warung Bu Siti")
    sugar = w.make_product(store, name="Gula Aren Kebun 500 g", category="food", unit="bungkus", price_idr=18_000,
                           stock=5)
    buyer = w.make_member(koperasi, user=w.make_user("Rina Wulandari")).user
    add_to_cart(buyer, sugar, 2)
    (order,) = checkout(buyer, {store.id: Choice(fulfilment="pickup", payment="cash")}, key="journey-f").orders
    db.session.commit()

    siti = actor(seller, js=js)
    siti.goto("/seller")
    arrive(siti, "Warung Bu Siti")
    link(siti.locator("main"), t("Orders")).tap()
    arrive(siti, t("Orders"))
    link(siti, order.number).tap()
    arrive(siti, order.number)
    for step in ("Accepted", "Ready for pickup", "Completed"):
        button(siti, step).tap()
        told(siti, t("Order %(number)s: %(status)s.", number=order.number, status=t(step)))
        arrive(siti, order.number)
    expect(siti.locator("main")).to_contain_text(t("Completed"))
    expect(button(siti, "Completed")).to_have_count(0)  # nothing more to do, nothing to cancel
    expect(button(siti, "Cancel the order")).to_have_count(0)

    rina = actor(buyer, js=js)
    rina.goto("/orders")
    arrive(rina, t("My orders"))
    expect(link(rina.locator("main"), order.number)).to_contain_text(t("Completed"))
    finish(siti, rina)


# ---------------------------------------------------------------- (g) a visitor browses in English, then buys

def browse_in_english_then_buy(request, actor, js: bool) -> None:
    """The catalogue a shared cache keeps: no cookie until the visitor chooses one (the
    language), a language switch without a token, then login and the cart, whose token
    comes with the pages after login."""
    w = World(request)
    koperasi = w.make_koperasi(name="Koperasi Konsumen Mandiri")
    store = w.make_store(koperasi, owner=w.make_user("Budi Santoso"), name="Kopi Pak Budi")
    coffee = w.make_product(store, name="Kopi Robusta Lampung 250 g", category="food", unit="bungkus",
                            price_idr=35_000, stock=8)
    w.make_user("Rina Wulandari", mobile="081311112222")
    en = in_english

    rina = actor(js=js)
    response = rina.goto("/market")
    arrive(rina, t("Market"))
    assert response.headers["cache-control"].startswith("public, max-age=")
    assert rina.context.cookies() == []  # nothing about her in the page, nothing kept for her

    rina.get_by_role("banner").get_by_role("button", name="EN", exact=True).tap()
    arrive(rina, en("Market"))
    expect(rina.locator("html")).to_have_attribute("lang", "en")
    assert [c["name"] for c in rina.context.cookies()] == ["lang"]  # a preference, still no session

    rina.get_by_label(en("Search products")).fill("kopi")
    rina.get_by_role("button", name=en("Search"), exact=True).tap()
    link(rina.locator("#results"), coffee.name).tap()
    arrive(rina, coffee.name)
    link(rina.locator("main"), en("Log in to buy")).tap()
    arrive(rina, en("Log in"))
    rina.get_by_label(en("Mobile number or email")).fill("081311112222")
    rina.get_by_label(en("Password")).fill(PASSWORD)
    rina.get_by_role("button", name=en("Log in"), exact=True).tap()

    arrive(rina, coffee.name)  # back where she was, logged in, still in English
    expect(rina.locator("html")).to_have_attribute("lang", "en")
    if js:  # hx-boost kept the first page's <head>: kopz.js brought the token of the pages after login
        token = rina.locator('form.add-to-cart input[name="csrf_token"]').get_attribute("value")
        expect(rina.locator('meta[name="csrf-token"]')).to_have_attribute("content", token)
    rina.get_by_label(en("Quantity")).fill("2")
    rina.get_by_role("button", name=en("Add to cart"), exact=True).tap()
    cart = rina.get_by_role("banner").get_by_role("link", name=re.compile(re.escape(en("Cart"))))
    expect(cart).to_contain_text("1")
    arrive(rina, coffee.name if js else None)

    # The catalogue she saw before login is not what she gets now (Vary: Cookie): her header.
    rina.get_by_role("navigation", name=en("Main menu")).get_by_role("link", name=en("Market"), exact=True).tap()
    arrive(rina, en("Market"))
    expect(cart).to_contain_text("1")
    cart.tap()
    arrive(rina, en("Cart"))
    expect(rina.locator("main")).to_contain_text(coffee.name)
    assert db.session.scalar(sa.select(CartItem.quantity).where(CartItem.product_id == coffee.id)) == 2
    finish(rina)
