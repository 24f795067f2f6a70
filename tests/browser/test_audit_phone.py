"""The audit log on a phone (issue 14): a teller takes a deposit at the counter; the pengawas opens
the history, filters it to money at the counter, by that teller, today, sees the deposit with who
and from where, and downloads it as CSV, with and without JavaScript."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from models.koperasi import KoperasiEvent
from models.zones import zone_of
from tests.browser.steps import arrive, button, deposit, finish, open_office, receipt, rp, t, teller_finds
from tests.conftest import fund


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_pengawas_finds_the_tellers_deposit_and_downloads_it(actor, make_koperasi, make_member, make_staff,
                                                                  make_user, db, javascript):
    kop = fund(make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB"))
    make_member(kop, user=make_user(full_name="Sari Anggota"))
    counter = actor(make_staff(kop, "teller", user=make_user(full_name="Tari Teller")))
    teller_finds(counter, kop, "Sari", "Sari Anggota")
    deposit(counter, "sukarela", 250_000)
    receipt(counter, 250_000)

    page = actor(make_staff(kop, "pengawas", user=make_user(full_name="Putri Pengawas")), js=javascript)
    open_office(page, kop, "History")
    page.get_by_label(t("What"), exact=True).select_option(label=t("Money at the counter or in the cash book"))
    page.get_by_label(t("Who"), exact=True).select_option(label="Tari Teller")
    today = zone_of(kop).today().isoformat()
    page.get_by_label(t("From"), exact=True).fill(today)
    page.get_by_label(t("To"), exact=True).fill(today)
    button(page, "Show").tap()
    page.wait_for_url(re.compile(r"/history\?action="))  # the filtered list, not the page before it
    arrive(page, t("History"))
    entry = page.locator("#history > li")
    expect(entry).to_have_count(1)
    for text in ("Tari Teller", rp(250_000), t("From %(ip)s", ip="127.0.0.1"), "Chrome · Android"):
        expect(entry).to_contain_text(text)

    with page.expect_download() as download:
        page.get_by_role("button", name="CSV", exact=True).tap()
    with open(Path(download.value.path()), encoding="utf-8-sig", newline="") as file:
        header, *rows = list(csv.reader(file))
    assert header[:5] == [t("When"), t("Who"), t("What"), t("Details"), t("IP address")]
    assert [(row[1], row[2], row[4]) for row in rows] == [("Tari Teller", t("Money at the counter or in the cash book"),
                                                            "127.0.0.1")]
    assert rp(250_000) in rows[0][3]
    db.session.expire_all()
    assert db.session.query(KoperasiEvent).filter_by(action="audit_exported").count() == 1
    finish(counter, page)
