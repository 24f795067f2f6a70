"""Withdrawing sukarela to a bank account on two 360 px phones, with and without JavaScript: the
member saves her account (one in another name is refused first), asks to withdraw with her
password, the amount is held at once; the teller finds it in the office, sees the account in full
and marks it paid; the member reads the receipt and her balance. A second withdrawal is rejected:
the hold goes back to her sukarela."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import World, arrive, button, finish, link, open_my_card, open_office, rp, t, told, typed
from tests.conftest import PASSWORD, fund

NUMBER = re.compile(r"WD-\d{6}-\d{6}")


def _ask(page, amount: int) -> str:
    """On the withdraw page: the saved account is chosen, the amount typed, the password confirms."""
    page.get_by_label(t("Amount (Rp)")).fill(typed(amount))
    page.get_by_label(t("Your Kopz password")).fill(PASSWORD)
    button(page, "Withdraw from my savings").tap()
    arrive(page, re.compile(re.escape(t("Withdrawal")) + r" WD-"))
    told(page, t("Held from your sukarela. The koperasi pays it out and you will be told."))
    expect(page.locator("#withdrawal-status")).to_have_text(t("Awaiting payout"))
    return NUMBER.search(page.get_by_role("heading", level=1).inner_text()).group(0)


def _open_in_office(page, koperasi, number: str) -> None:
    open_office(page, koperasi, "Teller")
    link(page.locator("main"), t("Withdrawals to pay out")).tap()
    arrive(page, t("Withdrawals to pay out"))
    link(page.locator("#awaiting"), number).tap()
    arrive(page, f"{t('Withdrawal')} {number}")


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_withdraw_to_my_bank_paid_out_and_a_rejection(request, actor, js):
    w = World(request)
    koperasi = fund(w.make_koperasi(name="Koperasi Sumber Makmur"), 10_000_000, "bank")
    siti = w.make_member(koperasi, user=w.make_user("Siti Aminah"))
    w.saved(siti, 1_000_000)
    teller = w.staff(koperasi, "money", "Teller Dewi")

    # The member opens her card and the withdraw page; she has no account saved yet.
    phone = actor(siti.user, js=js)
    open_my_card(phone, koperasi)
    link(phone.locator("main"), t("Withdraw to a bank or e-wallet")).tap()
    arrive(phone, t("Withdraw to a bank or e-wallet"))
    expect(phone.locator("#withdraw-facts")).to_contain_text(rp(1_000_000))
    expect(phone.get_by_text(t("No account yet: add your bank account or e-wallet, in your own name."))).to_be_visible()

    # An account in her husband's name is refused; in her own name (as the bank writes it) it is saved.
    phone.get_by_label(t("Bank or e-wallet")).select_option("bca")
    phone.get_by_label(t("Account number, or the e-wallet's mobile number")).fill("731 022 4518")
    phone.get_by_label(t("Account holder's name")).fill("Budi Santoso")
    button(phone, "Save account").tap()
    arrive(phone, t("Withdraw to a bank or e-wallet"))
    expect(phone.locator("main")).to_contain_text(t(
        "The account must be in your own name, %(name)s, as on your KTP: money is sent only to your own account. "
        "Nothing was saved.", name="Siti Aminah"))
    expect(phone.get_by_label(t("Account number, or the e-wallet's mobile number"))).to_have_value("731 022 4518")
    phone.get_by_label(t("Account holder's name")).fill("IBU SITI AMINAH")
    button(phone, "Save account").tap()
    arrive(phone, t("Withdraw to a bank or e-wallet"))
    told(phone, t("Account saved."))
    expect(phone.locator("#accounts")).to_contain_text("BCA ••••4518")

    # She withdraws Rp250.000: held at once.
    paid_number = _ask(phone, 250_000)

    # The teller finds it from the teller page, sees the account in full and marks it paid.
    office = actor(teller, js=js)
    _open_in_office(office, koperasi, paid_number)
    expect(office.locator("#destination-number")).to_have_text("7310224518")
    office.get_by_label(t("Transfer reference (optional)")).fill("BCA-TRF-0042")
    button(office, "Mark paid").tap()
    arrive(office, f"{t('Withdrawal')} {paid_number}")
    told(office, t("Marked paid. The member has been told."))
    expect(office.locator("#withdrawal-status")).to_have_text(t("Paid out"))
    expect(office.get_by_role("button", name=t("Mark paid"))).to_have_count(0)  # once

    # The member's receipt says so; her savings show the Rp250.000 gone.
    phone.reload()
    arrive(phone, re.compile(re.escape(paid_number)))
    expect(phone.locator("#withdrawal-status")).to_have_text(t("Paid out"))
    expect(phone.locator("#receipt")).to_contain_text("BCA-TRF-0042")
    expect(phone.locator("#receipt")).to_contain_text(rp(250_000))
    link(phone.locator("main"), t("My savings")).tap()
    arrive(phone, koperasi.name)
    expect(phone.locator("section[aria-labelledby='savings-h']")).to_contain_text(rp(750_000))

    # A second withdrawal, rejected by the teller: the hold goes back.
    link(phone.locator("main"), t("Withdraw to a bank or e-wallet")).tap()
    arrive(phone, t("Withdraw to a bank or e-wallet"))
    expect(phone.locator("#withdraw-facts")).to_contain_text(rp(750_000))
    rejected_number = _ask(phone, 100_000)
    _open_in_office(office, koperasi, rejected_number)
    office.get_by_text(t("Reject this withdrawal")).tap()
    office.get_by_label(t("Why is it rejected?")).fill("Rekening sedang diblokir bank")
    button(office, "Reject").tap()
    arrive(office, f"{t('Withdrawal')} {rejected_number}")
    told(office, t("Rejected. The amount is back in the member's sukarela and they have been told."))
    phone.reload()
    arrive(phone, re.compile(re.escape(rejected_number)))
    expect(phone.locator("#withdrawal-status")).to_have_text(t("Rejected: back in your sukarela"))
    expect(phone.locator("#receipt")).to_contain_text("Rekening sedang diblokir bank")
    link(phone.locator("main"), t("My withdrawals")).tap()
    arrive(phone, t("Withdraw to a bank or e-wallet"))
    expect(phone.locator("#withdraw-facts")).to_contain_text(rp(750_000))
    expect(phone.locator("#my-withdrawals")).to_contain_text(paid_number)
    finish(phone, office)
