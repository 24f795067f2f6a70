"""The office dashboard on a 360 px phone: the figures and the twelve-month charts fit the
screen, with and without JavaScript, and a chart's figures open as a table."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from models import savings
from tests.browser.conftest import WIDTH
from tests.test_dashboard import NIKS, at_wib


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_dashboard_fits_a_phone(actor, make_koperasi, make_staff, make_member, make_user, db, javascript):
    kop = make_koperasi(name="Koperasi Sejahtera Bersama", pokok_idr=100_000)
    teller = make_staff(kop, "teller")
    siti = make_member(kop, user=make_user(full_name="Siti Aminah"), status="approved", nik=NIKS[0])
    savings.deposit(siti, "pokok", 100_000, "cash", teller, at=at_wib(date.today().replace(day=1), 9))
    savings.deposit(siti, "sukarela", 2_400_000, "bank", teller)
    db.session.commit()
    page = actor(make_staff(kop, "pengawas", user=make_user(full_name="Ibu Pengawas")), js=javascript)
    page.goto(f"/k/{kop.slug}/office")
    expect(page.get_by_role("heading", name="Sekilas")).to_be_visible()
    expect(page.get_by_role("img", name="Simpanan di akhir bulan", exact=False)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    savings_chart = page.locator("figure.chart").filter(has_text="Simpanan di akhir bulan")
    expect(savings_chart.locator("figcaption")).to_contain_text("Rp2.500.000")
    savings_chart.get_by_text("Angka per bulan").tap()
    expect(savings_chart.get_by_role("row").first).to_contain_text("Rp2.500.000")
