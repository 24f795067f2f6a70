"""Demo data a koperasi would believe (issue 8): past founding years, stores that sell what
their kind sells, everyday names, a photo on every product, a logo on every koperasi, and
the logins the README promises."""

from __future__ import annotations

import io
import re
from datetime import date

import sqlalchemy as sa
from PIL import Image

from models import books_check, dues, months, periods
from models.accounts import User, authenticate
from models.announcements import Announcement
from models.images import reencode
from models.koperasi import Koperasi, KoperasiLogo, Staff, Status
from models.ledger import Entry, ensure_chart
from models.loans import Loan
from models.market import PHOTO_MAX_BYTES, PHOTO_SIZES, Product, ProductPhoto, Store
from models.membership import Membership
from models.notifications import Notification, unread_count
from models.orders import Order
from views.fields import KEY_SHAPE
from web.config import ROOT
from web.demo.catalogue import KINDS, STORES
from web.demo.gateway import CITIES, founded
from web.demo.people import DEMO_PASSWORD
from web.demo.pictures import SHAPES, initials, logo_png, product_picture
from web.media import public_store


def test_the_demo_is_believable(app, db, demo):  # ``demo``: what `flask demo-data` loads (tests/conftest.py)
    koperasi = db.session.scalars(sa.select(Koperasi)).all()

    # No koperasi was founded in the future ("sejak 2050").
    years = [int(y) for k in koperasi for y in re.findall(r"\b(?:sejak|Berdiri sejak) (\d{4})", k.description)]
    assert len(years) == len(koperasi) and max(years) <= date.today().year and min(years) >= 1945

    # Every verified koperasi shows a real logo, a small WebP.
    verified = [k for k in koperasi if k.status == Status.VERIFIED]
    logos = {logo.koperasi_id: logo for logo in db.session.scalars(sa.select(KoperasiLogo))}
    assert verified and all(k.id in logos and k.logo_version for k in verified)
    assert {logos[k.id].mimetype for k in verified} == {"image/webp"}
    assert len({k.logo_version for k in verified}) > 20  # initials differ: not one picture for all

    # Each store sells only what its kind sells: no tempe at the jamu shop, no tent rental at the phone shop.
    kind_of = {name: kind for _o, _c, _i, name, kind, _km, _s in STORES}
    for store in db.session.scalars(sa.select(Store)):
        _label, categories, items = KINDS[kind_of[store.name]]
        products = db.session.scalars(sa.select(Product).where(Product.store_id == store.id)).all()
        assert products, store.name
        assert {p.name for p in products} <= {item[0] for item in items}, store.name
        assert {p.category for p in products} <= set(categories), store.name
    sold = {(s.name, p.name) for s, p in db.session.execute(sa.select(Store, Product).join(Product.store))}
    assert not any("Tempe" in p or "Tahu" in p for s, p in sold if "Jamu" in s)
    assert not any("Tenda" in p or "Beras" in p for s, p in sold if "Cell" in s)

    # Every product has a photo, and the photos differ (shapes and colours, not one tile).
    products = db.session.scalars(sa.select(Product)).all()
    with_photo = set(db.session.scalars(sa.select(ProductPhoto.product_id)))
    assert all(p.photo_version and p.id in with_photo for p in products)
    assert len({p.photo_version for p in products}) > 60
    files = public_store()  # files in the media folder, as an upload makes them
    assert all(files.exists(name) for row in db.session.execute(sa.select(ProductPhoto.thumb, ProductPhoto.detail))
               for name in row)

    # People have everyday names, not "Anggota Demo 01"; the first Bandung koperasi's list is varied.
    first = db.session.scalar(sa.select(Koperasi).where(Koperasi.legal_number == "AHU-0000100.AH.01.26"))
    names = db.session.scalars(sa.select(Membership.full_name).where(Membership.koperasi_id == first.id)).all()
    assert len(names) >= 25 and not any("Demo" in n for n in names)
    assert len({n.split()[0] for n in names}) >= 20

    # Staff in every role there; no loan was approved and disbursed by the same person.
    roles = set(db.session.scalars(sa.select(Staff.role).where(Staff.koperasi_id == first.id)))
    assert roles >= {"admin", "pengurus", "teller", "pengawas"}
    paid_out = db.session.execute(sa.select(Loan.decided_by_id, Entry.posted_by_id).join(
        Entry, Entry.loan_id == Loan.id).where(Entry.kind == "disbursement")).all()
    assert paid_out and all(approver != teller for approver, teller in paid_out)

    # Postings and orders carry keys as unguessable as a form's (no "demo-sukarela-1-0" anyone could send).
    keys = [*db.session.scalars(sa.select(Entry.idempotency_key).where(Entry.idempotency_key.is_not(None))),
            *db.session.scalars(sa.select(Order.checkout_key))]
    # The month end's keys name a member and a month ("interest:12:2026-03"): the ":" is one no
    # form's key may carry (views.fields.KEY_SHAPE), so nobody can send one.
    month_end = [key for key in keys if re.fullmatch(r"(interest|interest-tax|autopay):\d+:\d{4}-\d{2}", key)
                 or re.fullmatch(r"sale(-undo)?:p?\d+", key)]  # issue 12: a share of a sale (p: a stall payment) into a loan
    assert month_end and not any(KEY_SHAPE.fullmatch(key) for key in month_end)
    keys = [key for key in keys if key not in month_end]
    assert len(keys) > 100 and all(re.fullmatch(r"[A-Za-z0-9_-]{43}", key) for key in keys)

    # Wajib billing and interest on the first koperasi: a rate, bills, someone in arrears.
    assert first.savings_rate_bp > 0 and db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(
        Entry.koperasi_id == first.id, Entry.kind == "savings_interest")) > 0
    assert any(d.arrears_months for d in dues.month_dues(first, months.current(first)))
    # The past book year is closed there (its months and the closing entry), the current one open.
    last_year = date.today().year - 1
    assert periods.is_closed(first, periods.YEAR, date(last_year, 1, 1))
    assert all(periods.is_closed(first, periods.MONTH, m) for m in periods.months_of(last_year))
    assert not periods.is_closed(first, periods.YEAR, date(last_year + 1, 1, 1))

    # Announcements on the first koperasi; Siti's bell shows a few unread, her older ones are read.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Announcement).where(
        Announcement.koperasi_id == first.id)) >= 3
    siti = db.session.scalar(sa.select(User).where(User.mobile == "+6281200000001"))
    states = [n.read_at is None for n in db.session.scalars(sa.select(Notification).where(
        Notification.user_id == siti.id))]
    assert 0 < unread_count(siti.id) <= 3 and states.count(False) > 0

    # issue 12: regulator's report: employees set, the public transparency page on, a report of last year.
    assert (first.employees_men, first.employees_women, first.transparency_public) == (3, 2, True)
    from models import regulator

    figures = regulator.report(first, last_year)
    assert figures.balanced and figures["members_total"] > 0 and figures["rat_date"] and figures["shu_distributed"]
    assert regulator.transparency(first).last_rat is not None
    # A koperasi brought in through the import: its members imported (waiting to be claimed), their
    # savings and loans posted, and the board's opening cash clearing "opening balances to be matched".
    imported = db.session.scalar(sa.select(Koperasi).where(Koperasi.name == "Koperasi Simpan Pinjam Sumber Rejeki"))
    flags = db.session.execute(sa.select(Membership.imported, Membership.claimed_at).where(
        Membership.koperasi_id == imported.id)).all()
    assert len(flags) == 60 and all(flag for flag, _ in flags) and sum(claimed is not None for _, claimed in flags) == 1
    dadang, euis = (db.session.scalar(sa.select(Membership).where(
        Membership.koperasi_id == imported.id, Membership.member_number == f"SRJ-{n:05d}")) for n in (3, 2))
    assert not dadang.awaiting_claim and not dadang.user.placeholder  # registered, confirmed: sees his loan
    assert euis.awaiting_claim and euis.claim_requested_at is not None and not euis.user.placeholder
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Loan).where(Loan.koperasi_id == imported.id)) > 3
    assert ensure_chart(imported)["opening_equity"].balance == 0 and books_check.check() == []
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.koperasi_id == imported.id))
    again = app.test_cli_runner().invoke(args=["demo-data"])  # adds nothing
    assert again.exit_code == 0, again.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(
        Entry.koperasi_id == imported.id)) == before
    # issue 12: Warung Bu Siti borrowed on six months of sales and repays part of it from new sales.
    from models import capital, sales_record
    warung = db.session.scalar(sa.select(Store).where(Store.name == "Warung Bu Siti"))
    ((cap, loan),) = sales_record.capital_loans(warung.id)
    shown = sales_record.snapshot(cap)
    assert loan.status == "active" and cap.pledge_percent == 10 and all(m.sales > 0 for m in shown.months)
    assert shown.repeat_buyers > 0 and shown.growth_bp > 0 and len(capital.from_orders(loan.id)) > 0
    # issue 15: fellow members paid at Siti's stall from their sukarela; one payment typed wrong was refunded.
    from models import stall
    paid = stall.of_store(warung.id)
    assert len(paid) >= 4 and len({p.payer_id for p in paid}) >= 4
    assert [p.refunded_idr == p.amount_idr for p in paid].count(True) == 1
    # issue 15: Budi saved his bank account and e-wallet; one withdrawal was paid out, one awaits the teller.
    from models import withdrawals
    budi = db.session.scalar(sa.select(Membership).where(Membership.full_name == "Budi Santoso",
                                                         Membership.koperasi_id == warung.koperasi_id))
    assert len(withdrawals.destinations(budi.id)) == 2
    assert sorted(w.status for w in withdrawals.of_member(budi.id)) == ["awaiting", "paid"]

    # Every login the README's "Demo logins" promises works with the demo password.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Demo logins", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    logins = set(re.findall(r"`(08\d{9,10}|[\w.]+@kopz\.example)`", section))
    assert "081300009903" in logins  # the pengurus
    for login in logins:
        assert authenticate(login, DEMO_PASSWORD) is not None, login


def test_founding_years_are_in_the_past():
    years = [founded(f"AHU-{c * 100 + n:07d}.AH.01.26") for c in range(1, len(CITIES) + 1) for n in range(60)]
    assert min(years) >= 1985 and max(years) <= min(2022, date.today().year)


def test_each_kind_lists_only_its_categories_and_draws_each_item():
    for kind, (_label, categories, items) in KINDS.items():
        for name, category, _unit, price, shape, _colour in items:
            assert category in categories, (kind, name)
            assert shape in SHAPES, (kind, name)
            assert 0 < price < 1_000_000, (kind, name)


def test_pictures_are_small_webp_and_recognisably_different():
    bottle, sack = product_picture("bottle", "orange"), product_picture("sack", "cream")
    assert bottle != sack
    for drawn in (bottle, sack):
        thumb, detail = (reencode(io.BytesIO(drawn), PHOTO_MAX_BYTES, size, "photos") for size in PHOTO_SIZES.values())
        assert Image.open(io.BytesIO(thumb)).format == "WEBP" and Image.open(io.BytesIO(thumb)).size == (320, 320)
        assert len(thumb) < 20_000 and len(detail) < 40_000
    assert initials("Koperasi Simpan Pinjam Mitra Sejahtera Bandung") == "MS"
    assert Image.open(io.BytesIO(logo_png("KSPPS Amanah Ummat Jakarta", "x"))).size == (256, 256)


def test_the_demo_history_shows_where_the_office_worked_from(app, db, demo):
    """issue 14: the pengawas of the first Bandung koperasi reads its audit log: the teller's deposits
    from the counter phone, a NIK looked at from the office laptop."""
    from tests.conftest import login
    from web.demo.people import user_by_mobile

    first = db.session.scalar(sa.select(Koperasi).where(Koperasi.legal_number == "AHU-0000100.AH.01.26"))
    client = login(app.test_client(), user_by_mobile("081300009902"), DEMO_PASSWORD)  # Nining, the pengawas
    money = client.get(f"/k/{first.slug}/office/history?action=post_money").text
    assert money.count("Dari 10.8.0.21") == 3 and "Chrome · Android" in money and "Kuitansi " in money
    reveal = client.get(f"/k/{first.slug}/office/history?action=nik_revealed").text
    assert "Dari 10.8.0.35" in reveal and "Chrome · Windows" in reveal
