"""The office dashboard: today's figures and the last twelve months, read from the records
(members, savings, the ledger, loans, orders), in the koperasi's own months; each role of
the office sees it, nobody outside does."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from models import dashboard, dues, loans, months, savings
from models.zones import zone_of
from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure
from tests.conftest import board, fund, login

NIKS = [f"32730115089{n:05d}" for n in range(1, 10)]
PRODUCT = dict(name="Modal Usaha", method="flat", monthly_rate_bp=100, fee_bp=100, fee_mode="deducted",
               max_amount_idr=20_000_000, min_tenor=3, max_tenor=24, late_fee_mode="per_day", late_fee_idr=5_000)


def at_wib(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day) + timedelta(hours=hour - 7)


def test_the_twelve_months_end_with_the_current_one():
    starts = dashboard.month_starts(date(2026, 3, 15))
    assert len(starts) == 12
    assert starts[0] == date(2025, 4, 1) and starts[-1] == date(2026, 3, 1)


def test_savings_cash_and_members_by_month(make_koperasi, make_staff, make_member, make_user, db):
    """Two members in WIB: pokok in January, sukarela in February (one at 03:00 WIB on 1 March,
    still February in UTC: it belongs to March), a withdrawal in March."""
    kop = make_koperasi(pokok_idr=100_000, province_code="32")
    teller = make_staff(kop, "teller")
    siti = make_member(kop, user=make_user(full_name="Siti"), status="approved", nik=NIKS[0])
    budi = make_member(kop, user=make_user(full_name="Budi"), status="approved", nik=NIKS[1])
    savings.deposit(siti, "pokok", 100_000, "cash", teller, at=at_wib(date(2026, 1, 5), 9))
    savings.deposit(budi, "pokok", 100_000, "bank", teller, at=at_wib(date(2026, 2, 5), 9))
    savings.deposit(siti, "sukarela", 500_000, "cash", teller, at=at_wib(date(2026, 2, 6), 9))
    savings.deposit(budi, "sukarela", 300_000, "cash", teller, at=at_wib(date(2026, 3, 1), 3))
    savings.withdraw(siti, 200_000, "cash", teller, at=at_wib(date(2026, 3, 9), 9))
    siti.joined_on, budi.joined_on = date(2026, 1, 5), date(2026, 2, 5)
    db.session.commit()

    figures = dashboard.overview(kop, date(2026, 3, 20))
    series = figures.series
    assert series["savings"].months[-3:] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert series["savings"].values[-4:] == [0, 100_000, 700_000, 800_000]
    assert series["cash"].values[-3:] == [100_000, 700_000, 800_000]  # cash + bank
    assert series["joined"].values[-3:] == [1, 1, 0]
    assert series["loans"].values == [0] * 12

    glance = figures
    assert glance.savings == {"pokok": 200_000, "wajib": 0, "sukarela": 600_000}
    assert (glance.cash, glance.bank) == (700_000, 100_000)
    assert glance.members["active"] == 2 and glance.members["joined"] == 0


def test_the_dashboard_page_shows_the_figures_and_charts(make_koperasi, make_staff, make_member, make_user, client, db):
    kop = make_koperasi(pokok_idr=100_000)
    teller = make_staff(kop, "teller")
    member = make_member(kop, user=make_user(full_name="Siti"), status="approved", nik=NIKS[0])
    savings.deposit(member, "pokok", 100_000, "cash", teller)
    savings.deposit(member, "sukarela", 1_250_000, "cash", teller)
    db.session.commit()
    login(client, make_staff(kop, "pengawas"))
    page = client.get(f"/k/{kop.slug}/office").get_data(as_text=True)
    assert page.count("<svg viewBox") >= 5
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Rp1.350.000" in text  # savings in total, this month
    # Each bar names its month and value, readable without colour.
    assert re.search(r"<title>[^<]+: Rp1\.350\.000</title>", page)


def test_nobody_outside_the_office_sees_the_dashboard(make_koperasi, make_staff, make_member, make_user, client, db):
    kop, other = make_koperasi(), make_koperasi()
    member = make_member(kop, user=make_user(), status="active", nik=NIKS[2])
    stranger = make_staff(other, "admin")
    db.session.commit()
    for user in (member.user, stranger):
        login(client, user)
        assert client.get(f"/k/{kop.slug}/office").status_code == 404


def test_the_dashboard_stays_within_the_page_budget(make_koperasi, make_staff, make_member, make_user, client, db):
    """A busy koperasi's dashboard costs the same few queries and bytes as an empty one's."""
    kop = make_koperasi(pokok_idr=100_000)
    teller = make_staff(kop, "teller")
    for n in range(6):
        member = make_member(kop, user=make_user(full_name=f"Anggota {n}"), status="approved", nik=NIKS[n])
        savings.deposit(member, "pokok", 100_000, "cash", teller, at=at_wib(date(2026, 1 + n, 3), 9))
    db.session.commit()
    login(client, teller)
    result = measure(client, f"/k/{kop.slug}/office")
    assert result.status == 200
    assert len(result.queries) <= MAX_QUERIES, result.queries
    assert result.html_gzip <= MAX_HTML_GZIP


def test_loans_by_collectability_and_wajib_in_arrears(make_koperasi, make_staff, make_member, make_user, db):
    """Rina's loan, paid out 130 days ago and never repaid, is 100 days late: kurang lancar, so
    all of it is NPL. Budi joined three months ago and paid no wajib: the bills of the two
    months that have ended are in arrears (this month's is not yet)."""
    kop = fund(make_koperasi(pokok_idr=100_000, wajib_idr=20_000, province_code="32"))
    teller, today = make_staff(kop, "teller"), zone_of(kop).today()
    rina = make_member(kop, user=make_user(full_name="Rina"), status="active", nik=NIKS[3])
    budi = make_member(kop, user=make_user(full_name="Budi"), status="active", nik=NIKS[4])
    budi.joined_on = months.previous(months.previous(today.replace(day=1)))
    product = loans.save_product(kop, dict(PRODUCT))
    loan = loans.apply(rina, product, 1_200_000, 6, "Modal warung")
    loans.approve(loan, board(kop))
    loans.disburse(loan, teller, "cash", today=today - timedelta(days=130))
    dues.ensure_bills(kop, today.replace(day=1))
    db.session.commit()

    figures = dashboard.overview(kop, today)
    assert figures.in_arrears == 1
    assert figures.loans.count["kurang_lancar"] == 1 and figures.loans.outstanding["kurang_lancar"] == 1_200_000
    assert figures.loans.npl == 1_200_000 and figures.loans.npl_ratio == 100.0
    assert (figures.dues_members, figures.dues_idr) == (1, 40_000)
