"""The offline teller on a 360 px phone: the teller opens the collection page while online (the
service worker keeps it), loses the signal, records deposits and loan repayments (each with a
provisional number, not yet confirmed), reloads with no signal (all still there), and gets the signal
back: each is posted exactly once, and the one the server refused (the loan was paid off meanwhile
at the counter by another teller) stays on the page with its reason until the teller settles it.
Without JavaScript the page works online only: one collection is posted at once, as at the counter."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from models import loans, sessions
from models.ledger import Entry, balances
from models.offline import OfflineCollection
from tests.browser.conftest import log_in, worker_ready
from tests.browser.guard import offline, watch
from tests.browser.steps import World, arrive, button, finish, link, log_in_via_form, receipt, rp, t, typed
from tests.conftest import board, fund
from tests.test_duties import PRODUCT
from web.extensions import db

KOPERASI = "Koperasi Desa Sumber Air"


def world(request):
    w = World(request)
    kop = fund(w.make_koperasi(name=KOPERASI, member_prefix="KDS"))
    teller = w.make_staff(kop, "teller", user=w.make_user(full_name="Teller Keliling", mobile="081366661001"))
    sari = w.make_member(kop, user=w.make_user(full_name="Sari Wulandari"), nik="3273011508900011")
    budi = w.make_member(kop, user=w.make_user(full_name="Budi Santoso"), nik="3273011508900012")
    product = loans.save_product(kop, dict(PRODUCT))
    lent = {}
    for who in (sari, budi):
        loan = loans.apply(who, product, 1_000_000, 6, "Modal warung")
        loans.approve(loan, board(kop))
        loans.disburse(loan, teller, "cash")
        lent[who.id] = loan
    db.session.commit()
    return w, kop, teller, sari, budi, lent


def queue(page: Page):
    return page.locator("#collect-queue li")


def collect(page: Page, member, what: str, amount: int, loan=None) -> None:
    page.get_by_label(t("Member number")).fill(member.member_number)
    page.get_by_label(t("What is paid")).select_option(what)
    if loan is not None:
        page.get_by_label(t("Loan (for a repayment)")).select_option(str(loan.id))
    page.get_by_label(t("Amount in cash (Rp)")).fill(typed(amount))
    shown = queue(page).count()
    button(page, "Record collection").tap()
    expect(queue(page)).to_have_count(shown + 1)


def posted_offline() -> list[OfflineCollection]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OfflineCollection).order_by(OfflineCollection.id)))


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_collect_without_signal_and_send_when_it_returns(request, phone, actor, js):
    w, kop, teller, sari, budi, lent = world(request)
    if not js:
        _one_at_once(actor(teller, js=False), kop, sari)
        return
    page = phone
    log_in(page, "081366661001")
    watch(page)  # from the office on (logging in is another journey's)
    page.goto(f"/k/{kop.slug}/office/teller")
    arrive(page, t("Teller"))
    link(page.locator("main"), t("Collect offline")).tap()
    arrive(page, t("Collect offline"))
    worker_ready(page)  # the worker now controls the page: it keeps it and its script
    arrive(page, t("Collect offline"))
    expect(page.locator("#collect-plain")).to_be_hidden()
    waiting = t("Waiting to be sent: {n}")
    expect(page.locator("#collect-count")).to_have_text(waiting.replace("{n}", "0"))
    entries_before = db.session.scalar(sa.select(sa.func.count(Entry.id)))
    owed_budi = loans.payoff(lent[budi.id]).total

    with offline(page):
        collect(page, sari, "wajib", kop.wajib_idr)
        collect(page, sari, "sukarela", 25_000)
        collect(page, budi, "sukarela", 10_000)
        collect(page, sari, "repayment", 50_000, loan=lent[sari.id])
        collect(page, budi, "repayment", 40_000, loan=lent[budi.id])
        expect(queue(page)).to_have_count(5)
        expect(page.locator("#collect-count")).to_have_text(waiting.replace("{n}", "5"))
        expect(page.locator("#collect-state")).to_contain_text(re.compile(r"P-[0-9A-Z]{4}-0005"))
        numbers = [re.search(r"P-[0-9A-Z]{4}-\d{4}", text).group(0) for text in queue(page).all_inner_texts()]
        assert [n[-4:] for n in numbers] == ["0001", "0002", "0003", "0004", "0005"]
        # A withdrawal is never made offline: there is no form for it.
        assert not page.locator("form[action*=withdraw], [name$=withdraw]").count()

        # Meanwhile, at the counter, another teller takes Budi's whole loan (online).
        loans.repay(lent[budi.id], owed_budi, "cash", teller, key="counter-payoff-" + "z" * 20)
        db.session.commit()
        assert posted_offline() == []  # nothing reached the server

        # The page was kept by the worker: a reload with no signal shows every collection, still waiting.
        page.reload()
        arrive(page, t("Collect offline"))
        expect(queue(page)).to_have_count(5)
        expect(page.locator("#collect-count")).to_have_text(waiting.replace("{n}", "5"))
        for number in numbers:
            expect(queue(page).filter(has_text=number)).to_contain_text(t("not yet confirmed"))

    # The signal returns: sent in order, each posted once; the refused one stays, with its reason.
    expect(page.locator("#collect-count")).to_have_text(waiting.replace("{n}", "0"))
    refused = queue(page).filter(has_text=numbers[4])
    expect(refused).to_contain_text(t("This loan was already paid off. Nothing was posted: give the money back to the "
                                      "member or take it as a deposit."))
    for number in numbers[:4]:
        expect(queue(page).filter(has_text=number)).to_contain_text(t("Posted: receipt {receipt}").split("{")[0])
    rows = posted_offline()
    assert [r.provisional for r in rows] == numbers
    assert [bool(r.entry_id) for r in rows] == [True, True, True, True, False]
    refs = [db.session.get(Entry, r.entry_id).ref for r in rows[:4]]
    assert refs == sorted(refs)  # posted in the order collected
    assert db.session.scalar(sa.select(sa.func.count(Entry.id))) == entries_before + 1 + 4  # the counter's payoff + 4
    assert balances(sari.id)["sukarela"] == 25_000 and balances(sari.id)["wajib"] == kop.wajib_idr
    assert balances(budi.id)["sukarela"] == 10_000

    # Back online a reload sends nothing twice; the refused one waits until the teller has settled it.
    page.reload()
    arrive(page, t("Collect offline"))
    expect(queue(page)).to_have_count(1)
    expect(page.locator("main")).to_contain_text(refs[0])  # the latest collections, from the server
    button(queue(page).first, "Settled with the member").tap()
    expect(queue(page)).to_have_count(0)
    assert len(posted_offline()) == 5
    assert db.session.scalar(sa.select(sa.func.count(Entry.id))) == entries_before + 5

    # The final receipt keeps the provisional number.
    link(page.locator("main"), refs[1]).tap()
    receipt(page, 25_000)
    expect(page.locator("main")).to_contain_text(numbers[1])
    finish(page)


def _one_at_once(page: Page, kop, sari) -> None:
    """Without JavaScript: the page says it cannot work offline, and its form posts one collection."""
    page.goto(f"/k/{kop.slug}/office/teller")
    arrive(page, t("Teller"))
    link(page.locator("main"), t("Collect offline")).tap()
    arrive(page, t("Collect offline"))
    expect(page.locator("#collect-plain")).to_be_visible()
    expect(page.locator("#collect")).to_be_hidden()
    page.get_by_label(t("Member number")).fill(sari.member_number)
    page.get_by_label(t("What is paid")).select_option("sukarela")
    page.get_by_label(t("Amount in cash (Rp)")).fill("12,5")
    button(page, "Record collection").tap()
    arrive(page, t("Collect offline"))
    expect(page.get_by_label(t("Amount in cash (Rp)"))).to_have_value("12,5")
    page.get_by_label(t("Amount in cash (Rp)")).fill(typed(30_000))
    button(page, "Record collection").tap()
    receipt(page, 30_000)
    assert balances(sari.id)["sukarela"] == 30_000
    assert rp(30_000) in page.locator("main").inner_text()
    finish(page)


def test_a_session_that_ended_keeps_the_collections_until_the_teller_signs_in_again(request, phone):
    """With JavaScript only (without it nothing is kept on the phone): the teller's session ends while
    collections wait (staff sessions idle out); back online nothing is lost, the page asks the teller to
    sign in again, the cash count says what still waits on this phone, and the page sends it once."""
    w, kop, teller, sari, _budi, _lent = world(request)
    page = phone
    log_in(page, "081366661001")
    watch(page)
    page.goto(f"/k/{kop.slug}/office/teller/offline")
    worker_ready(page)
    arrive(page, t("Collect offline"))
    with offline(page):
        collect(page, sari, "sukarela", 15_000)
        sessions.end_all(teller.id, "idle")  # meanwhile the session ends on the server
        db.session.commit()
    expect(page.locator("#collect-state")).to_contain_text(t("Your session has ended. Sign in again, then open this "
                                                             "page: nothing is lost, the collections wait on this phone."))
    expect(page.locator("#collect-count")).to_have_text(t("Waiting to be sent: {n}").replace("{n}", "1"))
    assert posted_offline() == []

    assert "/login" in page.locator("#collect-state a").get_attribute("href")
    page.goto("/login")
    log_in_via_form(page, "081366661001")
    page.wait_for_url(lambda url: "/login" not in url)
    arrive(page)
    # Logging out now would erase them (Clear-Site-Data): the account page says so, and the teller who
    # taps "Log out" anyway is asked first; she changes her mind and stays signed in.
    page.goto("/account")
    arrive(page)
    expect(page.locator("#collect-waiting")).to_contain_text(
        t("Collections recorded offline still wait on this phone: {n}. Logging out erases them from the phone: send "
          "them first.").replace("{n}", "1"))
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    button(page, "Log out").tap()
    expect(page.locator("#collect-waiting")).to_be_visible()
    assert asked == [t("Collections recorded offline have not been sent yet. Log out and erase them from this phone?")]
    page.goto(f"/k/{kop.slug}/office/cash/count")  # the count first: what waits on this phone is not in the cash yet
    arrive(page, t("Cash count (kas opname)"))
    expect(page.locator("#collect-waiting")).to_be_visible()
    expect(page.locator("#collect-waiting")).to_contain_text(
        t("Offline collections still waiting on this phone: {n}. They are in the expected cash only once sent.")
        .replace("{n}", "1"))
    link(page.locator("#collect-waiting"), t("Collect offline")).tap()
    arrive(page, t("Collect offline"))  # the page sends what waited
    expect(page.locator("#collect-count")).to_have_text(t("Waiting to be sent: {n}").replace("{n}", "0"))
    rows = posted_offline()
    assert len(rows) == 1 and rows[0].entry_id and balances(sari.id)["sukarela"] == 15_000
    page.goto(f"/k/{kop.slug}/office/cash/count")
    arrive(page, t("Cash count (kas opname)"))
    expect(page.locator("#collect-waiting")).to_be_hidden()  # nothing waits any more
    finish(page)
