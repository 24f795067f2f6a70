"""Importing an existing koperasi: reading the template safely, every problem reported by sheet,
row and column, nothing saved before confirmation, the import job (idempotent, resumable), the
imported loans working like any other, and the export that imports back (a round trip)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import Workbook

from models import books_check, claims, import_batch, koperasi_export, loans
from models import import_sheets as sheets
from models import koperasi_import as reader
from models.errors import DomainError
from models.koperasi import Koperasi
from models.ledger import Account, Entry, Purpose, SavingsBalance, balances
from models.loans import Loan, LoanStatus
from models.membership import Membership
from models.zones import zone_of
from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure
from tests.conftest import board, login
from tests.import_setup import PRODUCT, csvs, loan, member, members_and_loans, xlsx
from tests.test_duties import history_of, text_of
from web.spreadsheet import XLSX


@pytest.fixture(autouse=True)
def english(app):
    """Domain messages read in English here; the pages' tests read them as a user does (Indonesian)."""
    with force_locale("en"):
        yield


@pytest.fixture
def kop(make_koperasi, db):
    koperasi = make_koperasi(name="Koperasi Sumber Rejeki", member_prefix="SRJ")
    loans.save_product(koperasi, dict(PRODUCT))
    db.session.commit()
    return koperasi


@pytest.fixture
def cutover(kop):
    return zone_of(kop).today().replace(day=1) - timedelta(days=1)


@pytest.fixture
def media(app):
    return app.config["MEDIA_DIR"] + "/imports"


def preview(kop, files, cutover, media, db):
    batch, result = import_batch.preview(kop, files, cutover, board(kop), media)
    db.session.commit()
    return batch, result


def confirm_and_run(kop, batch, media, db):
    job = import_batch.confirm(batch, board(kop))
    db.session.commit()
    import_batch.import_job(job.id, media)
    db.session.expire_all()
    return db.session.get(import_batch.ImportBatch, batch.id)


def counts(db, kop) -> tuple:
    db.session.expire_all()
    return (db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(Membership.koperasi_id == kop.id)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.koperasi_id == kop.id)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Loan).where(Loan.koperasi_id == kop.id)))


# ---------------------------------------------------------------- preview, confirm, run

def test_the_preview_saves_the_batch_and_file_only_and_counts_what_will_be_posted(kop, cutover, media, db):
    members, loan_rows = members_and_loans(20, cutover)
    batch, result = preview(kop, [("anggota.xlsx", xlsx(members, loan_rows))], cutover, media, db)
    assert result.problems == [] and batch.status == "previewed"
    totals = batch.totals_dict()
    assert totals["members"] == 20 and totals["loans"] == 2 and totals["loan_principal"] == 6_000_000
    assert totals["pokok"] == 2_000_000 and totals["wajib"] == 4_800_000
    assert totals["sukarela"] == sum(m["sukarela"] for m in members)
    assert counts(db, kop) == (0, 0, 0)  # nothing but the batch and its file
    assert import_batch.load(batch, media)[0][1][:2] == b"PK"


def test_confirming_imports_members_savings_and_loans_in_balanced_entries(kop, cutover, media, db):
    members, loan_rows = members_and_loans(12, cutover)
    batch, _ = preview(kop, [("a.xlsx", xlsx(members, loan_rows))], cutover, media, db)
    batch = confirm_and_run(kop, batch, media, db)
    assert batch.status == "done" and import_batch.job_of(batch).percent == 100
    m = db.session.scalar(sa.select(Membership).where(Membership.member_number == "SRJ-00002"))
    assert (m.status, m.imported, m.claimed_at, m.joined_on.isoformat()) == ("active", True, None, "2015-01-05")
    assert (m.gender, m.birth_date.isoformat(), m.region_code) == ("P", members[1]["birth_date"], "32.73.01")
    assert m.user.placeholder and m.user.mobile == "+6281300000002"
    assert balances(m.id) == {"pokok": 100_000, "wajib": 240_000, "sukarela": 100_000}
    assert db.session.get(Koperasi, kop.id).last_member_seq == 12  # new members get SRJ-00013 on
    imported = db.session.scalars(sa.select(Loan).where(Loan.koperasi_id == kop.id)).all()
    assert len(imported) == 2 and {x.status for x in imported} == {LoanStatus.ACTIVE}
    flat = next(x for x in imported if x.method == "flat")
    assert [i.seq for i in flat.instalments] == [7, 8, 9, 10, 11, 12]
    assert sum(i.principal_due for i in flat.instalments) == 3_000_000
    assert {i.interest_due for i in flat.instalments} == {60_000}  # 1 % of the 6.000.000 lent
    assert flat.instalments[0].due_on == cutover + timedelta(days=10)
    opening = db.session.scalar(sa.select(Account.balance).where(Account.koperasi_id == kop.id,
                                                                 Account.purpose == Purpose.OPENING_EQUITY))
    held = sum(sum(m_["pokok"] + m_["wajib"] + m_["sukarela"] for m_ in members) for _ in [1])
    assert opening == held - 6_000_000  # savings owed to members less loans owed to the koperasi
    assert books_check.check() == []


def test_importing_the_same_file_again_adds_nothing(kop, cutover, media, db):
    members, loan_rows = members_and_loans(8, cutover)
    data = xlsx(members, loan_rows)
    confirm_and_run(kop, preview(kop, [("a.xlsx", data)], cutover, media, db)[0], media, db)
    before = counts(db, kop)
    again, result = preview(kop, [("a.xlsx", data)], cutover, media, db)
    assert result.problems == [] and again.members == 0 and again.skipped == 8
    with pytest.raises(DomainError, match="here already"):
        import_batch.confirm(again, board(kop))
    db.session.rollback()
    import_batch.run_import(again.id, media)  # a re-run of the job itself: nothing either
    assert counts(db, kop) == before


def test_a_stopped_job_leaves_whole_batches_and_a_rerun_finishes(kop, cutover, media, db, monkeypatch):
    members, loan_rows = members_and_loans(6, cutover, loans_every=1)
    batch, _ = preview(kop, [("a.xlsx", xlsx(members, loan_rows))], cutover, media, db)
    job = import_batch.confirm(batch, board(kop))
    db.session.commit()
    real, calls = import_batch._loans, []

    def failing(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the worker was stopped")
        return real(*args)

    monkeypatch.setattr(import_batch, "_loans", failing)
    monkeypatch.setattr(import_batch, "BATCH", 4)
    import_batch.import_job(job.id, media)
    db.session.expire_all()
    assert db.session.get(import_batch.ImportBatch, batch.id).status == "failed"
    assert counts(db, kop) == (4, 1, 4)  # the first batch whole, nothing of the second
    assert books_check.check() == []
    monkeypatch.setattr(import_batch, "_loans", real)
    again = import_batch.confirm(db.session.get(import_batch.ImportBatch, batch.id), board(kop))  # staff tap again
    db.session.commit()
    import_batch.import_job(again.id, media)
    db.session.expire_all()
    assert db.session.get(import_batch.ImportBatch, batch.id).status == "done"
    assert counts(db, kop) == (6, 2, 6)
    assert import_batch.run_import(batch.id, media) == 0  # and once more: nothing
    assert books_check.check() == []


def test_an_imported_loan_is_repaid_and_paid_off_like_any_other(kop, cutover, media, db):
    members = [member(1)]
    rows = [loan("SRJ-00001", cutover, method="menurun", original=5_000_000, owed=2_000_000, tenor=10, remaining=4)]
    confirm_and_run(kop, preview(kop, [("a.xlsx", xlsx(members, rows))], cutover, media, db)[0], media, db)
    imported = db.session.scalar(sa.select(Loan).where(Loan.koperasi_id == kop.id))
    due = loans.owed(imported, cutover)
    assert due.principal == 2_000_000 and due.next_due.seq == 7
    first = imported.instalments[0].principal_due + imported.instalments[0].interest_due
    loans.repay(imported, first, "cash", board(kop), today=cutover + timedelta(days=5))
    db.session.commit()
    assert imported.instalments[0].settled_on is not None
    quote = loans.payoff(imported, cutover + timedelta(days=5))
    loans.repay(imported, quote.total, "cash", board(kop), today=cutover + timedelta(days=5))
    db.session.commit()
    assert imported.status == LoanStatus.PAID_OFF
    assert books_check.check() == []


def test_csv_files_import_like_the_workbook(kop, cutover, media, db):
    members, loan_rows = members_and_loans(5, cutover, loans_every=2)
    batch, result = preview(kop, csvs(members, loan_rows), cutover, media, db)
    assert result.problems == [] and (batch.members, batch.loans) == (5, 3)
    confirm_and_run(kop, batch, media, db)
    assert counts(db, kop)[0] == 5 and books_check.check() == []


def test_semicolon_csv_with_rupiah_dots_is_read(kop, cutover, media, db):
    text = ";".join(sheets.MEMBERS.headers) + "\n" + ";".join(
        str(v) for v in {**member(1), "wajib": "Rp 1.200.000"}.values()) + "\n"
    _batch, result = preview(kop, [("anggota.csv", text.encode("utf-8"))], cutover, media, db)
    assert result.problems == [] and result.members[0].savings["wajib"] == 1_200_000


# ---------------------------------------------------------------- problems, row by row

def _problems(kop, cutover, members, loans_=(), media=None):
    raw = sheets.read([("a.xlsx", xlsx(members, list(loans_)))])
    return reader.check(kop, raw, cutover).problems


@pytest.mark.parametrize("change, column, words", [
    ({"nik": "1234"}, "NIK", "valid NIK"),
    ({"birth_date": "1970-01-01"}, "Tanggal lahir", "NIK says born"),
    ({"gender": "L"}, "Jenis kelamin", "NIK says"),
    ({"gender": "X"}, "Jenis kelamin", "L (laki-laki)"),
    ({"mobile": "12345"}, "Nomor HP", "0812 3456 7890"),
    ({"full_name": ""}, "Nama lengkap", "Required"),
    ({"address": "Jl. A"}, "Alamat", "full address"),
    ({"region_code": "99.99.99"}, "Kode wilayah", "Unknown district"),
    ({"joined_on": "2999-01-01"}, "Tanggal masuk", "after the cut-over"),
    ({"joined_on": "kemarin"}, "Tanggal masuk", "YYYY-MM-DD"),
    ({"wajib": -5}, "Simpanan wajib", "below Rp0"),
    ({"sukarela": "banyak"}, "Simpanan sukarela", "whole Rupiah"),
    ({"full_name": "x" * 200}, "Nama lengkap", "Too long"),
])
def test_each_member_problem_names_its_row_and_column(kop, cutover, change, column, words):
    members = [member(1), {**member(2), **change}]
    problems = _problems(kop, cutover, members)
    assert [(p.sheet, p.row, p.column) for p in problems] == [("Anggota", 3, column)]
    assert words in str(problems[0].message)


def test_duplicates_in_the_file_and_numbers_of_other_members_are_problems(kop, cutover, make_member, db):
    other = make_member(kop)  # SRJ-00001, joined the usual way
    members = [member(1), member(2), {**member(3), "member_number": "SRJ-00002"},
               {**member(4), "mobile": member(2)["mobile"]}]
    problems = {(p.row, p.column): str(p.message) for p in _problems(kop, cutover, members)}
    assert "belongs to another member" in problems[(2, "Nomor anggota")] and other.member_number == "SRJ-00001"
    assert "used twice" in problems[(4, "Nomor anggota")] and "row 3" in problems[(4, "Nomor anggota")]
    assert "used twice" in problems[(5, "Nomor HP")]


def test_an_existing_members_mobile_is_a_problem(kop, cutover, make_member, make_user, db):
    make_member(kop, user=make_user(mobile="081300000001"))
    problems = _problems(kop, cutover, [{**member(1), "member_number": "SRJ-09999"}])
    assert [(p.column, "already a member" in str(p.message)) for p in problems] == [("Nomor HP", True)]


@pytest.mark.parametrize("change, column, words", [
    ({"product": "Pinjaman Emas"}, "Produk pinjaman", "Modal Usaha"),
    ({"owed_idr": 7_000_000}, "Sisa pokok", "more than the principal lent"),
    ({"owed_idr": 0}, "Sisa pokok", "above Rp0"),
    ({"remaining": 13}, "Sisa angsuran", "up to the tenor"),
    ({"remaining": 0}, "Sisa angsuran", "up to the tenor"),
    ({"rate": "2,5"}, "Bunga per bulan (%)", "at most 2%"),
    ({"method": "balon"}, "Metode", "flat or menurun"),
    ({"next_due": "2001-01-01"}, "Jatuh tempo berikutnya", "after the cut-over"),
    ({"owed_idr": 5_500_000}, "Sisa pokok", "do not add up"),  # 6 of 12 flat instalments paid: about 3.000.000 left
    ({"member_number": "SRJ-07777"}, "Nomor anggota", "No member with this number"),
])
def test_each_loan_problem_names_its_row_and_column(kop, cutover, change, column, words):
    rows = [loan("SRJ-00001", cutover), {**loan("SRJ-00001", cutover), **change}]
    problems = _problems(kop, cutover, [member(1)], rows)
    assert [(p.sheet, p.row, p.column) for p in problems] == [("Pinjaman", 3, column)]
    assert words in str(problems[0].message)


def test_a_file_with_problems_cannot_be_confirmed_and_imports_nothing(kop, cutover, media, db):
    batch, result = preview(kop, [("a.xlsx", xlsx([member(1), {**member(2), "nik": "1"}], []))], cutover, media, db)
    assert batch.problems == 1 and len(result.members) == 1
    with pytest.raises(DomainError, match="Fix the problems"):
        import_batch.confirm(batch, board(kop))
    db.session.rollback()
    assert counts(db, kop) == (0, 0, 0)


def test_a_cutover_in_the_future_is_refused(kop, media, db):
    with pytest.raises(DomainError) as refused:
        import_batch.preview(kop, [("a.xlsx", xlsx([member(1)], []))], zone_of(kop).today() + timedelta(days=1),
                             board(kop), media)
    assert refused.value.field == "cutover"


# ---------------------------------------------------------------- hostile files

def test_formulas_are_refused_cell_by_cell(kop, cutover):
    book = Workbook()
    ws = book.active
    ws.title = "Anggota"
    ws.append(sheets.MEMBERS.headers)
    ws.append(list(member(1).values()))
    row = list(member(2).values())
    row[1] = "=HYPERLINK(\"http://evil\",\"klik\")"  # openpyxl stores it as a formula
    ws.append(row)
    third = list(member(3).values())
    ws.append(third)
    ws.cell(4, 10).value = "+1000"
    ws.cell(4, 10).data_type = "s"  # text that a spreadsheet would run
    out = io.BytesIO()
    book.save(out)
    result = reader.check(kop, sheets.read([("a.xlsx", out.getvalue())]), cutover)
    assert {(p.row, p.column) for p in result.problems} == {(3, "Nama lengkap"), (4, "Simpanan pokok")}
    assert all("formula" in str(p.message) for p in result.problems)
    assert [m.member_number for m in result.members] == ["SRJ-00001"]


def test_a_formula_in_a_csv_is_refused(kop, cutover):
    rows = [member(1), {**member(2), "full_name": "@SUM(1+1)"}]
    out = io.StringIO()
    csv.writer(out).writerows([sheets.MEMBERS.headers, *(row.values() for row in rows)])
    files = [("anggota.csv", out.getvalue().encode())]
    problems = reader.check(kop, sheets.read(files), cutover).problems
    assert [(p.sheet, p.row, p.column) for p in problems] == [("Anggota", 3, "Nama lengkap")]


def test_a_huge_sheet_is_refused_before_it_is_checked(kop):
    header = ",".join(sheets.MEMBERS.headers)
    line = ",".join(str(v) for v in member(1).values())
    data = (header + "\n" + (line + "\n") * (sheets.MAX_ROWS + 1)).encode()
    with pytest.raises(DomainError, match="more than 20.000 rows"):
        sheets.read([("a.csv", data)])


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        bomb.writestr("xl/workbook.xml", "<workbook/>")
        bomb.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))  # 60 MB of zeros, packed to ~60 KB
    assert len(out.getvalue()) < 200_000
    with pytest.raises(DomainError, match="unpacks to far more"):
        sheets.read([("a.xlsx", out.getvalue())])


@pytest.mark.parametrize("name, data, words", [
    ("laporan.pdf", b"%PDF-1.4\n%%EOF\n", "not an Excel"),
    ("anggota.csv", "Nomor anggota,Nama lengkap\nSRJ-1,Ny. Ç".encode("latin-1"), "not UTF-8"),
    ("rusak.xlsx", b"PK\x03\x04garbage", "not a readable Excel"),
    ("kosong.csv", b"", "Choose the filled template"),
    ("anggota.csv", b"Nama,HP\nSiti,0812\n", "columns are missing"),
])
def test_files_that_are_not_the_template_are_refused_clearly(name, data, words):
    with pytest.raises(DomainError, match=words):
        sheets.read([(name, data)])


# ---------------------------------------------------------------- export and the round trip

def test_the_template_has_the_sheets_headers_guide_and_valid_examples(kop, cutover, media, db):
    members, rows = koperasi_export.rows_for(kop, False, zone_of(kop).today())
    data = koperasi_export.workbook(members, rows)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["Anggota", "Pinjaman", "Petunjuk - Guide"]
    assert [c.value for c in next(book["Anggota"].iter_rows(max_row=1))] == sheets.MEMBERS.headers
    result = reader.check(kop, sheets.read([("t.xlsx", data)]), zone_of(kop).today())
    assert result.problems == [] and len(result.members) == 3 and len(result.loans) == 2


def test_export_then_import_into_an_empty_koperasi_gives_the_same_balances(kop, cutover, media, db, make_koperasi):
    members, loan_rows = members_and_loans(15, cutover, loans_every=3)
    confirm_and_run(kop, preview(kop, [("a.xlsx", xlsx(members, loan_rows))], cutover, media, db)[0], media, db)
    first = db.session.scalar(sa.select(Loan).where(Loan.koperasi_id == kop.id).order_by(Loan.id))
    loans.repay(first, 50_000, "cash", board(kop))  # a repayment after the import: the export has it
    db.session.commit()
    today = zone_of(kop).today()
    exported_members, exported_loans = koperasi_export.current_rows(kop)
    other = make_koperasi(name="Koperasi Baru Sekali", member_prefix="SRJ")
    loans.save_product(other, dict(PRODUCT))
    db.session.commit()
    batch, result = preview(other, [("export.xlsx", xlsx(exported_members, exported_loans))], today, media, db)
    assert result.problems == []
    confirm_and_run(other, batch, media, db)

    def figures(koperasi):
        db.session.expire_all()
        saved = dict(db.session.execute(sa.select(Membership.member_number, sa.func.sum(SavingsBalance.balance))
                                        .join(SavingsBalance, SavingsBalance.membership_id == Membership.id)
                                        .where(Membership.koperasi_id == koperasi.id)
                                        .group_by(Membership.member_number)).all())
        owed = {x.membership.member_number: loans.owed(x, today).principal for x in db.session.scalars(
            sa.select(Loan).where(Loan.koperasi_id == koperasi.id, Loan.status == LoanStatus.ACTIVE))}
        accounts = dict(db.session.execute(sa.select(Account.purpose, Account.balance).where(
            Account.koperasi_id == koperasi.id, Account.purpose.in_(["savings_pokok", "savings_wajib",
                                                                     "savings_sukarela", "loans_receivable"]))).all())
        return saved, owed, accounts

    assert figures(other) == figures(kop)
    assert koperasi_export.current_rows(other) == (exported_members, exported_loans)
    assert books_check.check() == []


# ---------------------------------------------------------------- the pages

def _upload(client, kop, files, cutover):
    return client.post(f"/k/{kop.slug}/office/import", content_type="multipart/form-data",
                       data={"files": [(io.BytesIO(data), name) for name, data in files], "cutover": cutover.isoformat()})


def test_the_board_uploads_sees_the_problem_fixes_it_and_imports(app, kop, cutover, make_staff, db):
    client = login(app.test_client(), make_staff(kop, "pengurus"))
    page = client.get(f"/k/{kop.slug}/office/import")
    assert page.status_code == 200 and "template-xlsx" in page.text
    template = client.get(f"/k/{kop.slug}/office/import?format=xlsx")
    assert template.mimetype == XLSX and template.headers["Cache-Control"] == "private, no-store"
    bad = [member(1), {**member(2), "region_code": "99.99.99"}]
    sent = _upload(client, kop, [("anggota.xlsx", xlsx(bad, []))], cutover)
    assert sent.status_code == 303
    shown = client.get(sent.headers["Location"])
    assert "Anggota, baris 3, Kode wilayah" in text_of(shown.text) and "import-confirm" not in shown.text
    assert counts(db, kop) == (0, 0, 0)
    sent = _upload(client, kop, [("anggota.xlsx", xlsx([member(1), member(2)], []))], cutover)
    shown = client.get(sent.headers["Location"])
    assert "import-confirm" in shown.text and "no-problems" in shown.text
    key = re.search(r'name="key"[^>]*value="([^"]+)"', shown.text)[1]
    done = client.post(sent.headers["Location"], data={"form": "confirm", "key": key})
    assert done.status_code == 303
    status = client.get(sent.headers["Location"])
    assert "import-done" in status.text and "hx-trigger" not in status.text  # finished: no more polling
    members_page = client.get(f"/k/{kop.slug}/office/members")
    assert "SRJ-00001" in members_page.text and "SRJ-00002" in members_page.text
    again = client.post(sent.headers["Location"], data={"form": "confirm", "key": key})
    assert again.status_code in (303, 422) and counts(db, kop)[0] == 2  # a second tap adds nothing


def test_a_hostile_upload_comes_back_with_the_message_and_what_was_typed(app, kop, cutover, make_staff, db):
    client = login(app.test_client(), make_staff(kop, "admin"))
    refused = _upload(client, kop, [("virus.exe", b"MZ\x90\x00")], cutover)
    assert refused.status_code == 422 and "virus.exe" in refused.text and cutover.isoformat() in refused.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(import_batch.ImportBatch)) == 0


def test_the_progress_part_polls_while_running(app, kop, cutover, make_staff, media, db):
    client = login(app.test_client(), make_staff(kop, "pengurus"))
    batch, _ = preview(kop, [("a.xlsx", xlsx([member(1)], []))], cutover, media, db)
    import_batch.confirm(batch, board(kop))  # confirmed, the worker not started yet
    db.session.commit()
    part = client.get(f"/k/{kop.slug}/office/import/{batch.id}", headers={"HX-Request": "true", "HX-Target": "progress"})
    assert part.status_code == 200 and 'hx-trigger="every 2s"' in part.text and "<html" not in part.text
    page = client.get(f"/k/{kop.slug}/office/import/{batch.id}")
    assert 'http-equiv="refresh"' in page.text  # without JavaScript the page reloads itself


def test_export_is_the_template_filled_with_current_data(app, kop, cutover, make_staff, media, db):
    confirm_and_run(kop, preview(kop, [("a.xlsx", xlsx([member(1)], [loan("SRJ-00001", cutover)]))], cutover,
                                 media, db)[0], media, db)
    client = login(app.test_client(), make_staff(kop, "pengurus"))
    assert 'action="/k/koperasi-sumber-rejeki/office/export"' in client.get(f"/k/{kop.slug}/office/import").text
    members_csv = client.post(f"/k/{kop.slug}/office/export", data={"format": "csv", "sheet": "members"})
    assert members_csv.mimetype == "text/csv" and member(1)["nik"] in members_csv.text
    loans_csv = client.post(f"/k/{kop.slug}/office/export", data={"format": "csv", "sheet": "loans"})
    assert "SRJ-00001,Modal Usaha,6000000,3000000,1,flat,12,6," in loans_csv.text
    workbook = client.post(f"/k/{kop.slug}/office/export", data={"format": "xlsx"})
    assert reader.check(kop, sheets.read([("e.xlsx", workbook.data)]), cutover).members[0].already
    # Every NIK left in those files: the koperasi's history says who took which, like a reveal.
    history = history_of(client.get(f"/k/{kop.slug}/office/history").text)
    assert history.count("Mengekspor anggota beserta NIK") == 3 and "XLSX · Anggota dan pinjaman" in history


@pytest.mark.parametrize("role", ["teller", "pengawas"])
def test_tellers_and_supervisors_may_not_import_or_export(app, kop, cutover, make_staff, role, media, db):
    batch, _ = preview(kop, [("a.xlsx", xlsx([member(1)], []))], cutover, media, db)
    client = login(app.test_client(), make_staff(kop, role))
    for url in ("/import", "/import?format=xlsx", f"/import/{batch.id}"):
        assert client.get(f"/k/{kop.slug}/office{url}").status_code == 403, url
    assert client.post(f"/k/{kop.slug}/office/export", data={"format": "csv"}).status_code == 403
    assert _upload(client, kop, [("a.xlsx", xlsx([member(2)], []))], cutover).status_code == 403
    assert client.post(f"/k/{kop.slug}/office/import/{batch.id}", data={"form": "confirm", "key": "k" * 32}
                       ).status_code == 403
    assert counts(db, kop) == (0, 0, 0)


def test_another_koperasis_staff_find_nothing(app, kop, cutover, make_staff, make_koperasi, media, db):
    batch, _ = preview(kop, [("a.xlsx", xlsx([member(1)], []))], cutover, media, db)
    other = make_koperasi(name="Koperasi Tetangga", member_prefix="KTG")
    client = login(app.test_client(), make_staff(other, "admin"))
    assert client.get(f"/k/{kop.slug}/office/import").status_code == 404
    assert client.post(f"/k/{kop.slug}/office/export", data={"format": "csv"}).status_code == 404
    assert client.get(f"/k/{other.slug}/office/import/{batch.id}").status_code == 404  # another koperasi's batch
    assert client.post(f"/k/{other.slug}/office/import/{batch.id}", data={"form": "confirm", "key": "k" * 32}
                       ).status_code == 404
    assert counts(db, kop) == (0, 0, 0)


def test_an_imported_member_with_an_account_keeps_it_and_the_loan_page_works(app, kop, cutover, make_user, make_staff,
                                                                           media, db):
    siti = make_user(full_name="Siti Aminah", mobile="081300000001")  # already on Kopz (member(1)'s number)
    confirm_and_run(kop, preview(kop, [("a.xlsx", xlsx([member(1)], [loan("SRJ-00001", cutover)]))], cutover,
                                 media, db)[0], media, db)
    membership = db.session.scalar(sa.select(Membership).where(Membership.koperasi_id == kop.id))
    assert membership.user_id == siti.id and not siti.placeholder and membership.awaiting_claim
    imported = db.session.scalar(sa.select(Loan).where(Loan.koperasi_id == kop.id))
    client = login(app.test_client(), make_staff(kop, "teller"))
    page = client.get(f"/k/{kop.slug}/office/loans/{imported.id}")
    assert page.status_code == 200 and "SRJ-00001" in page.text
    paid = client.post(f"/k/{kop.slug}/office/loans/{imported.id}/repay",
                       data={"amount": "10.000", "source": "cash", "key": "r" * 32})
    assert paid.status_code == 303
    db.session.expire_all()
    assert loans.owed(db.session.get(Loan, imported.id)).total == 3_000_000 + 6 * 60_000 - 10_000
    member_client = login(app.test_client(), siti)
    assert member_client.get(f"/k/{kop.slug}/me/loans/{imported.id}").status_code != 200  # not hers until confirmed
    claims.confirm(db.session.get(Membership, membership.id), board(kop))  # the koperasi knows her (models.claims)
    db.session.commit()
    assert member_client.get(f"/k/{kop.slug}/me/loans/{imported.id}").status_code == 200


def test_the_pages_stay_small_with_many_problems(app, kop, cutover, make_staff, media, db):
    rows = [{**member(n), "region_code": "99.99.99"} for n in range(1, 121)]  # 120 problems: paged by 50
    batch, _ = preview(kop, [("a.xlsx", xlsx(rows, []))], cutover, media, db)
    client = login(app.test_client(), make_staff(kop, "pengurus"))
    for url in (f"/k/{kop.slug}/office/import", f"/k/{kop.slug}/office/import/{batch.id}",
                f"/k/{kop.slug}/office/import/{batch.id}?page=3"):
        result = measure(client, url)
        assert result.status == 200 and len(result.queries) <= MAX_QUERIES, (url, len(result.queries))
        assert result.html_gzip <= MAX_HTML_GZIP, url
    last = client.get(f"/k/{kop.slug}/office/import/{batch.id}?page=3")
    assert text_of(last.text).count("Kode wilayah tidak dikenal") == 20 and "baris 121" in last.text


def test_members_who_joined_through_kopz_are_exported_and_import_elsewhere(kop, cutover, make_member, make_koperasi,
                                                                          media, db):
    joined = make_member(kop)  # applied and approved in Kopz, pokok paid
    exported, _loans = koperasi_export.current_rows(kop)
    assert [row["member_number"] for row in exported] == [joined.member_number]
    other = make_koperasi(name="Koperasi Baru Sekali", member_prefix="KBS")
    today = zone_of(kop).today()
    batch, result = preview(other, [("e.xlsx", xlsx(exported, []))], today, media, db)
    assert result.problems == [] and batch.totals_dict()["pokok"] == 100_000


# ---------------------------------------------------------------- claimed through the app

def test_an_imported_member_registers_claims_and_after_the_confirmation_sees_what_the_file_held(
        app, kop, cutover, make_staff, media, db):
    """The whole way of a member the import brought in: their number registers (taking the
    placeholder over), their card waits for the koperasi, the board confirms, and then their
    savings and loan are the file's figures."""
    members, loan_rows = members_and_loans(8, cutover)
    confirm_and_run(kop, preview(kop, [("a.xlsx", xlsx(members, loan_rows))], cutover, media, db)[0], media, db)
    borrower = next(m for m in members if m["member_number"] == loan_rows[0]["member_number"])
    person = app.test_client()
    registered = person.post("/register", data={"full_name": borrower["full_name"], "mobile": borrower["mobile"],
                                                "password": "sandi-rahasia-9", "agree": "y"})
    assert registered.status_code == 303
    assert person.post("/login", data={"login": borrower["mobile"], "password": "sandi-rahasia-9"}).status_code == 303
    me = f"/k/{kop.slug}/me"
    assert person.get(me).status_code != 200  # nothing of it before the koperasi knows them
    assert "Rp" not in text_of(person.get("/cards").text).split(kop.name, 1)[1][:400]
    assert person.post(f"/k/{kop.slug}/claim", data={"consent": "y"}).status_code == 303
    membership = db.session.scalar(sa.select(Membership).where(
        Membership.koperasi_id == kop.id, Membership.member_number == borrower["member_number"]))
    office = login(app.test_client(), make_staff(kop, "pengurus"))
    assert office.post(f"/k/{kop.slug}/office/claims/{membership.id}", data={"form": "confirm"}).status_code == 303
    page = text_of(person.get(me).text)
    assert f"Rp{borrower['sukarela']:,}".replace(",", ".") in page
    listed = text_of(person.get(f"/k/{kop.slug}/me/loans").text)
    assert f"Rp{loan_rows[0]['original_idr']:,}".replace(",", ".") in listed and "Sedang diangsur" in listed
    loan_id = db.session.scalar(sa.select(Loan.id).where(Loan.membership_id == membership.id))
    detail = text_of(person.get(f"/k/{kop.slug}/me/loans/{loan_id}").text)
    assert "Dimasukkan lewat impor" in detail  # its purpose, in the koperasi's words (Indonesian), not the job's English
    principal = sum(int(x.replace(".", "")) for x in re.findall(r"Pokok Rp([\d.]+)", detail))
    assert principal == loan_rows[0]["owed_idr"]  # the schedule repays the principal still owed, as the file said


def _with_entities(data: bytes, part: str, declare: bytes, old: bytes = b"", new: bytes = b"") -> bytes:
    """The workbook with a DTD declaring XML entities in one of its parts (and a text using one)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as book, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as changed:
        for item in book.infolist():
            content = book.read(item.filename)
            if item.filename == part:  # the DTD before the root element, whether or not a declaration is there
                head, mark, body = content.partition(b"?>") if content.startswith(b"<?xml") else (b"", b"", content)
                content = head + mark + declare + (body.replace(old, new, 1) if old else body)
            changed.writestr(item, content)
    return out.getvalue()


@pytest.mark.parametrize("part, declare, old, new", [
    # a member's name comes from an entity
    ("xl/worksheets/sheet1.xml", b'<!DOCTYPE worksheet [<!ENTITY nama "Budi">]>', b"<t>Anggota Nomor 1</t>",
     b"<t>&nama;</t>"),
    # billion laughs, declared in a sheet (read row by row, later)
    ("xl/worksheets/sheet1.xml", b'<!DOCTYPE worksheet [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
                                 b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>', b"", b""),
    # an external entity: a file of the server's
    ("xl/worksheets/sheet1.xml", b'<!DOCTYPE worksheet [<!ENTITY rahasia SYSTEM "file:///etc/passwd">]>',
     b"<t>Anggota Nomor 1</t>", b"<t>&rahasia;</t>"),
], ids=["entity", "billion-laughs", "external-entity"])
def test_a_workbook_with_xml_entities_is_refused(cutover, part, declare, old, new):
    """XML entities have no place in a spreadsheet: the parser (defusedxml) refuses them, so no entity is
    expanded, no server file read, and the upload gets the damaged-file answer (ASVS 1.5.1)."""
    rows = members_and_loans(3, cutover)
    data = _with_entities(xlsx(*rows), part, declare, old, new)
    with pytest.raises(DomainError, match="not a readable Excel"):
        sheets.read([("anggota.xlsx", data)])
