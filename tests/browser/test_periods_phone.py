"""Closing the books on a 360 px phone, with and without JavaScript: a pengurus closes last
month and sees it closed; an admin reopens it, first without a reason (refused), then with one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import current_app
from flask_babel import force_locale, format_date
from playwright.sync_api import expect

from models.zones import WIB
from tests.browser.steps import arrive, finish, open_office, t, told

LAST_MONTH = (WIB.today().replace(day=1) - timedelta(days=1)).replace(day=1)


def month_name() -> str:
    with current_app.test_request_context(), force_locale("id"):
        return format_date(LAST_MONTH, "MMMM y")


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_a_pengurus_closes_last_month_and_an_admin_reopens_it(actor, make_koperasi, make_staff, make_user, db, js):
    kop = make_koperasi(name="Koperasi Buku Rapi", member_prefix="KBR")
    pengurus = make_staff(kop, "pengurus", user=make_user(full_name="Bambang Pengurus"))
    admin = make_staff(kop, "admin", user=make_user(full_name="Ratna Admin"))
    db.session.commit()
    name = month_name()
    row = f"#month-{LAST_MONTH:%Y-%m}"

    # The pengurus opens the books, then the closed periods, and closes last month.
    board = actor(pengurus, js=js)
    open_office(board, kop, "Books")
    board.locator("main").get_by_role("link", name=t("Closed periods")).tap()
    arrive(board, t("Closed periods"))
    month = board.locator(row)
    expect(month).to_contain_text(t("Open for postings"))
    month.get_by_role("button", name=t("Close %(month)s", month=name)).tap()
    arrive(board, t("Closed periods"))
    told(board, t("%(month)s is closed.", month=name))
    expect(board.locator(row)).to_contain_text("Ditutup oleh Bambang Pengurus")
    expect(board.locator(row).get_by_role("button")).to_have_count(0)  # reopening is the admin's

    # The admin reopens it: without a reason the form says so, with one it is done.
    office = actor(admin, js=js)
    office.goto(f"/k/{kop.slug}/office/books/periods")
    arrive(office, t("Closed periods"))
    month = office.locator(row)
    month.locator("summary").tap()
    month.locator("form").get_by_role("button", name=t("Reopen %(month)s", month=name)).tap()
    arrive(office, t("Closed periods"))
    month = office.locator(row)
    expect(month.get_by_text(t("This field is required."))).to_be_visible()
    month.get_by_label(t("Why is it reopened?")).fill("Tagihan listrik belum dicatat")
    month.locator("form").get_by_role("button", name=t("Reopen %(month)s", month=name)).tap()
    arrive(office, t("Closed periods"))
    told(office, t("%(period)s is open again.", period=name))
    expect(office.locator(row)).to_contain_text("Dibuka kembali oleh Ratna Admin")
    expect(office.locator(row)).to_contain_text("Tagihan listrik belum dicatat")
    finish(board, office)
