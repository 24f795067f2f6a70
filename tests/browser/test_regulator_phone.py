"""The regulator's report and the transparency page on a 360 px phone, with and without
JavaScript: the pengurus opens last year's report from the office, reads its figures, finds the
CSV and XLSX downloads and switches to this year; then turns the public transparency page on
in the profile's settings, and anyone finds it from the koperasi's profile."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from models import savings
from models.ledger import Leg, Purpose, post
from models.meetings import Meeting
from models.months import midnight
from models.zones import zone_of
from tests.browser.steps import arrive, button, finish, link, open_office, rp, t
from tests.browser.test_office_money import no_sideways_scroll
from tests.conftest import board
from web.extensions import db

SHOTS = "/tmp/kopz-regulator"


@pytest.fixture
def koperasi(make_koperasi, make_member, make_user, make_staff):
    k = make_koperasi(name="Koperasi Terbuka Sejahtera", member_prefix="KTS")
    ly = zone_of(k).today().year - 1
    for n, name in enumerate(("Siti Aminah", "Budi Santoso"), start=1):  # joined and paid pokok last year
        member = make_member(k, user=make_user(full_name=name), status="approved", nik=f"327301150895{n:04d}")
        savings.deposit(member, "pokok", k.pokok_idr, "cash", board(k), at=midnight(k, date(ly, 3, 1)).replace(hour=5))
        member.joined_on = date(ly, 3, 1)
    post(k, "journal", [Leg(Purpose.CASH, 25_000_000), Leg(Purpose.GRANTS, -25_000_000)], by=None, memo="Hibah",
         at=midnight(k, date(ly, 2, 1)).replace(hour=5))
    post(k, "journal", [Leg(Purpose.CASH, 4_000_000), Leg(Purpose.SALES, -4_000_000)], by=None, memo="Penjualan",
         at=midnight(k, date(ly, 6, 1)).replace(hour=5))
    db.session.add(Meeting(koperasi_id=k.id, title=f"RAT {ly}", book_year=ly, record_date=date(ly + 1, 3, 1),
                           starts_at=midnight(k, date(ly + 1, 3, 15)) + timedelta(hours=2), place="Aula",
                           status="held"))
    make_staff(k, "pengawas", user=make_user(full_name="Nining Suryani"))
    db.session.commit()
    return k


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_report_and_the_transparency_page_on_the_phone(actor, koperasi, javascript, tmp_path):
    k, ly = koperasi, zone_of(koperasi).today().year - 1
    office = actor(board(k), js=javascript)
    open_office(office, k, "Regulator's report")
    expect(office.locator("#year")).to_have_value(str(ly))
    expect(office.locator("#fig-members_total")).to_have_text("2")
    expect(office.locator("#fig-grants")).to_have_text(rp(25_000_000))
    expect(office.locator("#fig-business_volume")).to_have_text(rp(4_000_000))
    expect(office.locator("#fig-pengawas_names")).to_have_text("Nining Suryani")
    expect(office.locator("#fig-rat_date")).to_contain_text(f"15 Maret {ly + 1}")
    csv_link = link(office, t("CSV"))
    expect(csv_link).to_have_attribute("href", f"/k/{k.slug}/office/report?year={ly}&format=csv")
    expect(link(office, t("Excel (XLSX)"))).to_be_visible()
    response = office.request.get(csv_link.get_attribute("href"))
    assert response.status == 200 and response.text().lstrip("\ufeff").startswith("book_year,koperasi_name")
    no_sideways_scroll(office)
    office.screenshot(path=f"{SHOTS}-report-{javascript}.png", full_page=True)
    office.locator("#year").select_option(str(ly + 1))
    button(office, "Show").tap()
    expect(office.locator(".flash-warning")).to_contain_text(
        t("Book year %(year)s has not ended: the figures run to today.", year=ly + 1))
    arrive(office, t("Regulator's report"))

    office.goto(f"/k/{k.slug}/office/profile")
    arrive(office, t("Edit profile"))
    office.get_by_label(t("Employees (karyawan), men")).fill("3")
    office.get_by_label(t("Employees (karyawan), women")).fill("2")
    office.get_by_label(t("Show the public transparency page")).check()
    button(office, "Save profile").tap()
    arrive(office, t("Office"))

    anyone = actor(js=javascript)
    anyone.goto(f"/k/{k.slug}")
    arrive(anyone, k.name)
    link(anyone, t("See the public figures")).tap()
    arrive(anyone, t("Transparency"))
    expect(anyone.locator("#t-members")).to_have_text("2")
    expect(anyone.locator("#t-assets")).to_have_text(t("Under Rp100 juta"))
    expect(anyone.locator("#t-rat")).to_contain_text(f"15 Maret {ly + 1}")
    expect(anyone.locator("#t-health")).to_have_count(0)  # none published yet
    expect(anyone.locator("body")).not_to_contain_text("Siti")
    no_sideways_scroll(anyone)
    anyone.screenshot(path=f"{SHOTS}-transparency-{javascript}.png", full_page=True)
    finish(office, anyone)
