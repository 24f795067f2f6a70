"""Importing an existing koperasi on a 360 px phone, with and without JavaScript: the pengurus
downloads the template, uploads a small file with one bad row and reads the problem by sheet,
row and column; uploads the corrected file, imports it, watches the progress turn into "done"
and finds the members in the list.

With JavaScript the import runs as in production: a real worker (``flask --app wsgi worker`` on
Redis) takes the job while the page polls every 2 s. Without it, the import runs inline (no
``REDIS_URL``), as the embedded default does, and the page refreshes itself while it runs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from models import loans
from models.zones import zone_of
from tests.browser.steps import arrive, button, finish, like, link, open_office, t
from tests.import_setup import PRODUCT, loan, member, xlsx
from tests.rq_worker import worker_fixture  # noqa: F401  (the fixture named worker)
from web.extensions import db


@pytest.fixture
def kop(make_koperasi, make_staff, make_user):
    koperasi = make_koperasi(name="Koperasi Sumber Rejeki", member_prefix="SRJ")
    loans.save_product(koperasi, dict(PRODUCT))
    db.session.commit()
    return koperasi, make_staff(koperasi, "pengurus", user=make_user(full_name="Wawan Setiawan"))


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_pengurus_imports_members_after_fixing_a_bad_row(actor, kop, javascript, worker, app, monkeypatch, tmp_path):
    if not javascript:
        monkeypatch.setitem(app.config, "REDIS_URL", None)  # inline: the embedded default, no worker
    koperasi, pengurus = kop
    cutover = zone_of(koperasi).today().replace(day=1) - timedelta(days=1)
    office = actor(pengurus, js=javascript)
    open_office(office, koperasi, "Import and export", "Import an existing koperasi")

    with office.expect_download() as download:  # a file, not a page swapped in by htmx
        office.locator("#template-xlsx").tap()
    assert download.value.suggested_filename == f"template-impor-{koperasi.slug}.xlsx"

    bad, good = tmp_path / "anggota-salah.xlsx", tmp_path / "anggota.xlsx"
    rows = [member(1), member(2), member(3)]
    bad.write_bytes(xlsx([*rows[:2], {**rows[2], "region_code": "99.99.99"}], [loan("SRJ-00001", cutover)]))
    good.write_bytes(xlsx(rows, [loan("SRJ-00001", cutover)]))

    def upload(path):
        form = office.locator("#import-upload")
        form.get_by_label(t("The filled template (.xlsx), or its CSV files")).set_input_files(str(path))
        form.get_by_label(t("Cut-over date")).fill(cutover.isoformat())
        button(form, "Check the file").tap()
        office.wait_for_url(re.compile(r"/office/import/\d+"))
        arrive(office, like("Import of %(day)s"))

    upload(bad)
    problems = office.locator("#import-problems")
    expect(problems).to_contain_text(f"Anggota, {t('row %(row)s', row=4)}, Kode wilayah")
    expect(problems).to_contain_text(t("Unknown district code: use the Kemendagri kecamatan code, e.g. 32.73.01."))
    expect(office.locator("#import-confirm")).to_have_count(0)

    link(office, t("Upload the corrected file")).tap()
    arrive(office, t("Import an existing koperasi"))
    upload(good)
    expect(office.locator("#no-problems")).to_be_visible()
    expect(office.locator("#import-totals")).to_contain_text("3")
    button(office, "Import %(count)s members", count=3).tap()
    arrive(office, like("Import of %(day)s"))
    expect(office.locator("#import-done")).to_contain_text(t("Imported: %(done)s of %(total)s members.", done=3,
                                                             total=3), timeout=30_000)

    link(office.locator("#import-done"), t("See the members")).tap()
    office.wait_for_url(re.compile(r"/office/members"))
    arrive(office, t("Members"))
    for number in ("SRJ-00001", "SRJ-00002", "SRJ-00003"):
        expect(office.locator("main")).to_contain_text(number)
    # Nobody has been confirmed yet: each imported member is marked so in the list.
    expect(office.locator("#results li").filter(has_text=t("Not confirmed"))).to_have_count(3)
    office.goto(f"/k/{koperasi.slug}/office/import")
    arrive(office, t("Import an existing koperasi"))
    expect(office.locator("#import-batches li")).to_have_count(2)  # both uploads, each linking to its page
    finish(office)
