"""Steps of the end-to-end journeys (journeys.py), as a person on the phone takes them:
texts looked up in the Indonesian catalogue, amounts as Indonesians write them, the
layout guard on every page shown, and the factories' setup a journey is not about.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import current_app
from flask_babel import force_locale, gettext
from playwright.sync_api import Locator, Page, expect

from models.accounts import User
from models.market import Product
from tests.browser.conftest import PASSWORD, TIMEOUT_MS
from tests.browser.guard import check_layout, unchecked
from web.extensions import db
from web.i18n import idr

# Duties in the office. Today's role names; when "pengurus" lands, approvals move to it.
ROLE_FOR = {"approve": "pengurus", "money": "teller"}


# ---------------------------------------------------------------- words and numbers as the user sees them

def t(msgid: str, **values) -> str:
    """The Indonesian text of a message of the app."""
    with current_app.test_request_context(), force_locale("id"):
        return gettext(msgid, **values)


def in_english(msgid: str, **values) -> str:
    """The English text of a message of the app (after the visitor switched language)."""
    with current_app.test_request_context(), force_locale("en"):
        return gettext(msgid, **values)


def like(msgid: str, **values) -> re.Pattern:
    """A pattern for a message whose placeholders are not known in advance (a number given out)."""
    marks = {name: f"\x00{name}\x00" for name in re.findall(r"%\((\w+)\)s", msgid)}
    marks.update(values)
    parts = re.split(r"\x00\w+\x00", t(msgid, **marks))
    return re.compile(".+?".join(re.escape(part) for part in parts))


def rp(amount: int) -> str:
    with current_app.test_request_context(), force_locale("id"):
        return idr(amount)


def typed(amount: int) -> str:
    """An amount as a person types it: 250.000."""
    return f"{amount:,}".replace(",", ".")


# ---------------------------------------------------------------- setup that is not the journey

@dataclass
class World:
    """The factories of tests/conftest.py, for the setup a journey is not about."""

    request: pytest.FixtureRequest

    def __getattr__(self, name):
        return self.request.getfixturevalue(name)

    def staff(self, koperasi, duty: str, name: str) -> User:
        """A staff member for a duty: "approve" (members, loans, stores) or "money" (the counter)."""
        return self.make_staff(koperasi, role=ROLE_FOR[duty], user=self.make_user(full_name=name))

    def saved(self, membership, amount: int) -> None:
        """Simpanan sukarela the member brought earlier (not what this journey is about)."""
        from models.savings import deposit

        deposit(membership, "sukarela", amount, "cash", db.session.get(User, membership.koperasi.created_by_id))
        db.session.commit()


# ---------------------------------------------------------------- steps

def arrive(page: Page, heading: str | re.Pattern | None = None) -> None:
    """A page is shown: wait for its heading, then the layout guard."""
    if heading is not None:
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    check_layout(page)


def finish(*pages: Page) -> None:
    for page in pages:
        missed = unchecked(page)
        assert not missed, f"the journey showed pages the layout guard never measured: {missed}"


def told(page: Page, message: str | re.Pattern) -> None:
    """The confirmation a person reads after an action."""
    expect(page.get_by_role("status").filter(has_text=message).first).to_be_visible()


def nav(page: Page, label: str) -> None:
    page.get_by_role("navigation", name=t("Main menu")).get_by_role("link", name=t(label), exact=True).tap()


def button(page: Page | Locator, msgid: str, **values) -> Locator:
    return page.get_by_role("button", name=t(msgid, **values), exact=True)


def link(page: Page | Locator, text: str | re.Pattern) -> Locator:
    return page.get_by_role("link", name=text if isinstance(text, re.Pattern) else re.compile(re.escape(text)))


def drawn_width(img: Locator) -> int:
    """The picture's natural width once the browser has loaded it (0 if it failed): visible is
    not loaded (a lazy picture loads only near the screen, and on a busy machine the bytes may
    still be on their way), so scroll to it and wait, within the tests' usual time."""
    img.scroll_into_view_if_needed()
    img.page.wait_for_function("img => img.complete", arg=img.element_handle(), timeout=TIMEOUT_MS)
    return img.evaluate("img => img.naturalWidth")


def section(page: Page, heading: str) -> Locator:
    return page.locator("section, fieldset").filter(has=page.get_by_role("heading", name=heading, exact=True))


def log_in_via_form(page: Page, mobile: str) -> None:
    arrive(page, t("Log in"))
    page.get_by_label(t("Mobile number or email")).fill(mobile)
    page.get_by_label(t("Password")).fill(PASSWORD)
    button(page, "Log in").tap()


def open_office(page: Page, koperasi, tile: str, heading: str | None = None) -> None:
    """Staff open their koperasi's office and one of its areas."""
    page.goto(f"/k/{koperasi.slug}/office")
    arrive(page, t("Office"))
    page.locator("main").get_by_role("link", name=re.compile("^" + re.escape(t(tile)) + r"\b")).first.tap()
    arrive(page, t(heading or tile))


def open_my_card(page: Page, koperasi) -> None:
    """A member opens their card in a koperasi from the Cards tab."""
    page.goto("/")
    arrive(page)
    nav(page, "Cards")
    arrive(page, t("My cards"))
    link(page, koperasi.name).first.tap()
    arrive(page, koperasi.name)


def teller_finds(page: Page, koperasi, who: str, name: str) -> None:
    """At the counter: find the member by name or member number and open them."""
    open_office(page, koperasi, "Teller")
    page.get_by_label(t("Name or member number")).fill(who)
    button(page, "Find member").tap()
    link(page, name).tap()
    arrive(page, name)


def deposit(page: Page, kind: str, amount: int) -> None:
    box = section(page, t("Deposit"))
    box.get_by_label(t("Savings")).select_option(kind)
    box.get_by_label(t("Amount (Rp)")).fill(typed(amount))
    button(box, "Record deposit").tap()


def receipt(page: Page, *amounts: int) -> None:
    """A receipt is shown, with these amounts on it."""
    arrive(page, re.compile("^" + re.escape(t("Receipt"))))
    for amount in amounts:
        expect(page.locator("main")).to_contain_text(rp(amount))


def search(page: Page, label: str, text: str) -> None:
    """Search, and wait for the results of THIS search (the address carries the words): a result tapped
    from the list shown before would be the unfiltered list's, and its page replaced by the late results."""
    page.get_by_label(t(label)).fill(text)
    button(page, "Search").tap()
    page.wait_for_url(lambda url: text in (value for values in parse_qs(urlsplit(url).query).values() for value in values))


def cart_link(page: Page) -> Locator:
    """The cart in the page's header (its count is part of the link)."""
    return page.get_by_role("banner").get_by_role("link", name=re.compile(re.escape(t("Cart"))))


def stock_is(product_id: int, stock: int) -> None:
    """The server's stock of a product, once the phone has sent its queued changes."""
    def now():
        db.session.expire_all()
        return db.session.get(Product, product_id).stock

    for _ in range(50):  # the phone sends on its own schedule: give it up to 5 s
        if now() == stock:
            return
        time.sleep(0.1)
    assert now() == stock
