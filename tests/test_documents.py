"""Documents and verification: a koperasi's legal PDFs (required at registration, private to its
board and the platform admin, replaceable) and the KTP photo a koperasi may ask of applicants
(private to those who decide applications, purged a set time after the decision)."""

from __future__ import annotations

import io
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from PIL import Image

from models import documents, private_files
from models.base import utcnow
from models.documents import KoperasiDocument, KtpPhoto
from models.errors import DomainError
from models.koperasi import Koperasi, KoperasiEvent
from models.membership import Membership
from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure
from tests.conftest import board, koperasi_data, login
from tests.pdf_files import AKTA_PDF, CERTIFICATE_PDF, pdfs
from tests.test_form_errors import english, kept_token
from web.config import ROOT

STATIC = str(ROOT / "static")
NIKS = [f"32730115089{n:05d}" for n in range(50, 70)]


def _form(**overrides) -> dict:
    return {key: ("" if value is None else value if isinstance(value, list) else str(value))
            for key, value in koperasi_data(**overrides).items()}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


def _jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"  # Make
    exif[0x8825] = {}  # an empty GPS block: where it was taken would be here
    out = io.BytesIO()
    Image.new("RGB", (1200, 760), (160, 190, 230)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _media(app, name: str) -> str:
    return os.path.join(app.config["MEDIA_DIR"], name)


# ---------------------------------------------------------------- the PDF check itself

class _Upload(io.BytesIO):
    filename = "x.pdf"


@pytest.mark.parametrize(("data", "message"), [
    (b"", "Choose a PDF file."),
    (None, "Choose a PDF file."),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "This file is not a PDF."),  # a picture renamed .pdf
    (b"%PDF-1.4\n" + b"x" * 2000, "This file is not a PDF."),  # a PDF's start, never its end
    (b"<html><script>alert(1)</script>%%EOF", "This file is not a PDF."),
])
def test_only_a_whole_pdf_is_accepted(app, data, message):
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(DomainError) as refused:
            documents.read_document(documents.AKTA, None if data is None else _Upload(data))
        assert str(refused.value.message).startswith(message) and refused.value.field == documents.AKTA


def test_a_pdf_over_the_limit_is_refused_before_it_is_read_further(app):
    big = _Upload(b"%PDF-1.4\n" + b"0" * documents.DOCUMENT_MAX_BYTES + b"\n%%EOF\n")
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(DomainError) as refused:
            documents.read_document(documents.NIK_CERTIFICATE, big)
        assert "larger than 4 MB" in str(refused.value.message)
    assert big.tell() == documents.DOCUMENT_MAX_BYTES + 1  # not one byte more was read


def test_a_stored_name_never_leads_outside_its_folder(tmp_path):
    name = private_files.store(AKTA_PDF, str(tmp_path))
    assert private_files.path_of(name, str(tmp_path)) == str(tmp_path / f"{name}.pdf")
    for forged in ("../../etc/passwd", "a" * 63, name.upper(), "", None):
        assert private_files.path_of(forged, str(tmp_path)) is None
    assert private_files.path_of(name, str(tmp_path), ext="pdf/../x") is None


# ---------------------------------------------------------------- registration

def test_registering_attaches_both_pdfs_stored_privately(app, user_client, user, db):
    response = user_client.post("/koperasi/new", data={**_form(name="Koperasi Berkas Lengkap"), **pdfs()},
                                content_type="multipart/form-data")
    assert response.status_code == 303
    koperasi = db.session.scalar(sa.select(Koperasi))
    current = documents.current(koperasi.id)
    assert set(current) == {documents.AKTA, documents.NIK_CERTIFICATE}
    for kind, data in ((documents.AKTA, AKTA_PDF), (documents.NIK_CERTIFICATE, CERTIFICATE_PDF)):
        path = private_files.path_of(current[kind].sha256, _media(app, documents.DOCUMENTS_FOLDER))
        assert path and Path(path).read_bytes() == data and current[kind].uploaded_by_id == user.id
        assert not os.path.abspath(path).startswith(STATIC)


def test_registering_without_the_documents_is_refused_on_each_field(user_client, db):
    response = english(user_client).post("/koperasi/new", data=_form(), content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.text.count("Attach this document as a PDF.") == 2
    assert _count(db, Koperasi) == 0 and _count(db, KoperasiDocument) == 0


@pytest.mark.parametrize("upload", [
    (io.BytesIO(_png()), "akta.pdf"),  # a PNG renamed .pdf
    (io.BytesIO(b""), "akta.pdf"),  # empty
    (io.BytesIO(b"%PDF-1.4\n" + b"0" * (4 * 1024 * 1024) + b"%%EOF"), "akta.pdf"),  # too large
])
def test_a_bad_deed_is_refused_with_the_other_fields_and_nothing_saved(user_client, db, upload):
    response = english(user_client).post(
        "/koperasi/new", data={**_form(nik_koperasi="123"), **pdfs(), "akta": upload},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "The Nomor Induk Koperasi has 16 digits." in response.text
    assert any(message in response.text for message in (
        "This file is not a PDF", "Choose a PDF file.", "larger than 4 MB"))
    assert _count(db, Koperasi) == 0 and _count(db, KoperasiDocument) == 0


@pytest.mark.parametrize("name", ["../../static/x.pdf", '"><script>alert(1)</script>.pdf', "a" * 500 + ".pdf",
                                  "akta\r\nSet-Cookie: x=1.pdf", "ктп.pdf"])
def test_hostile_file_names_are_never_a_500_and_never_a_path(user_client, db, name):
    response = user_client.post("/koperasi/new", data={**_form(name="K"), **pdfs(), "akta": (io.BytesIO(AKTA_PDF), name)},
                                content_type="multipart/form-data")
    assert response.status_code == 422  # the name "K" is too short
    assert "<script>alert(1)" not in response.text and "Set-Cookie: x" not in response.text
    assert not os.path.exists(os.path.join(STATIC, "x.pdf"))
    kept = re.search(r'name="akta_kept" type="hidden" value="([^"]*)"', response.text)[1]
    if '"' in name or "\r" in name:
        return  # the multipart encoding itself mangles such a name: the file is simply not there (asked again)
    assert kept, name  # the PDF is kept for the next submit, under our own name
    fixed = user_client.post("/koperasi/new", data={
        **_form(), "akta_kept": kept, "nik_certificate_kept": kept_token(response.text, "nik_certificate_kept")},
        content_type="multipart/form-data")
    assert fixed.status_code == 303
    koperasi = db.session.scalar(sa.select(Koperasi))
    deed = documents.current(koperasi.id)[documents.AKTA]
    assert deed.filename == f"akta-{koperasi.id}-{deed.id}.pdf"  # the download name is ours, not theirs


def test_pdfs_chosen_in_a_failed_submit_are_kept_for_the_next(user_client, db):
    client = english(user_client)
    failed = client.post("/koperasi/new", data={**_form(name="K"), **pdfs()}, content_type="multipart/form-data")
    assert failed.status_code == 422
    assert "PDF kept: akta.pdf" in failed.text and "PDF kept: nik.pdf" in failed.text
    fixed = client.post("/koperasi/new", data={
        **_form(name="Koperasi Tetap Simpan"), "akta_kept": kept_token(failed.text, "akta_kept"),
        "nik_certificate_kept": kept_token(failed.text, "nik_certificate_kept")}, content_type="multipart/form-data")
    assert fixed.status_code == 303
    koperasi = db.session.scalar(sa.select(Koperasi))
    stored = documents.current(koperasi.id)
    assert stored[documents.AKTA].size == len(AKTA_PDF) and stored[documents.NIK_CERTIFICATE].size == len(CERTIFICATE_PDF)


def test_a_forged_kept_pdf_is_ignored(user_client, db):
    response = english(user_client).post("/koperasi/new", data={
        **_form(), "akta_kept": "0" * 64, "nik_certificate_kept": "x.y.z"}, content_type="multipart/form-data")
    assert response.status_code == 422 and response.text.count("Attach this document as a PDF.") == 2
    assert _count(db, Koperasi) == 0


# ---------------------------------------------------------------- who sees them

@pytest.fixture
def office(app, db, make_koperasi, make_staff, make_member, make_user):
    """A koperasi with its documents, a client per role, a member, another koperasi's admin, the platform admin."""
    k = make_koperasi(name="Koperasi Arsip Rapi")
    deed = documents.attach(k, {documents.AKTA: AKTA_PDF, documents.NIK_CERTIFICATE: CERTIFICATE_PDF},
                            _media(app, documents.DOCUMENTS_FOLDER), board(k))[0]
    other = make_koperasi(name="Koperasi Sebelah", member_prefix="KSB2")
    other_deed = documents.attach(other, {documents.AKTA: AKTA_PDF}, _media(app, documents.DOCUMENTS_FOLDER),
                                  board(other))[0]
    member = make_member(k, user=make_user(full_name="Anggota Biasa"), nik=NIKS[0])
    db.session.commit()
    platform = db.session.scalar(sa.select(sa.text("id")).select_from(sa.text("user_account"))
                                 .where(sa.text("is_platform_admin")))
    from models.accounts import User

    clients = {role: login(app.test_client(), make_staff(k, role)) for role in ("pengawas", "teller", "pengurus")}
    clients["admin"] = login(app.test_client(), board(k))
    clients["member"] = login(app.test_client(), member.user)
    clients["other"] = login(app.test_client(), board(other))
    clients["platform"] = login(app.test_client(), db.session.get(User, platform))
    clients["anonymous"] = app.test_client()
    return dict(k=k, deed=deed, other=other, other_deed=other_deed, clients=clients)


def test_the_board_downloads_its_documents_with_safe_headers(office):
    k, deed = office["k"], office["deed"]
    for who in ("pengurus", "admin"):
        response = office["clients"][who].get(f"/k/{k.slug}/office/documents/{deed.id}")
        assert response.status_code == 200 and response.data == AKTA_PDF
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"] == f"attachment; filename={deed.filename}"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"].startswith("private")


@pytest.mark.parametrize(("who", "status"), [("pengawas", 403), ("teller", 403), ("member", 404), ("other", 404),
                                             ("platform", 404)])
def test_no_one_else_in_the_office_route_gets_them(office, who, status):
    response = office["clients"][who].get(f"/k/{office['k'].slug}/office/documents/{office['deed'].id}")
    assert response.status_code == status and response.data != AKTA_PDF


def test_anonymous_is_sent_to_log_in(office):
    response = office["clients"]["anonymous"].get(f"/k/{office['k'].slug}/office/documents/{office['deed'].id}")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_another_koperasis_document_is_not_found_through_ones_own_office(office):
    response = office["clients"]["admin"].get(f"/k/{office['k'].slug}/office/documents/{office['other_deed'].id}")
    assert response.status_code == 404


def test_the_platform_admin_sees_the_documents_beside_the_registration_with_the_lookup(app, office, db):
    k = office["k"]
    page = english(office["clients"]["platform"]).get(f"/admin/koperasi/{k.id}")
    assert page.status_code == 200
    assert f'/admin/koperasi/{k.id}/documents/{office["deed"].id}' in page.text
    assert app.config["NIK_LOOKUP_URL"] == "https://nik.kemenkopukm.go.id/"
    assert 'href="https://nik.kemenkopukm.go.id/"' in page.text and "Open the NIK koperasi lookup" in page.text
    download = office["clients"]["platform"].get(f"/admin/koperasi/{k.id}/documents/{office['deed'].id}")
    assert download.status_code == 200 and download.data == AKTA_PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # a document id of another koperasi under this koperasi's address: not found
    assert office["clients"]["platform"].get(
        f"/admin/koperasi/{k.id}/documents/{office['other_deed'].id}").status_code == 404
    for who in ("admin", "member"):
        assert office["clients"][who].get(f"/admin/koperasi/{k.id}/documents/{office['deed'].id}").status_code in (403, 404)


def test_the_board_replaces_a_document_and_the_earlier_one_stays_as_history(app, office, db):
    k, client = office["k"], office["clients"]["pengurus"]
    from tests.test_duties import profile_form

    new_deed = AKTA_PDF.replace(b"Akta Pendirian", b"Akta Perubahan")
    response = client.post(f"/k/{k.slug}/office/profile", content_type="multipart/form-data",
                           data={**profile_form(k), "akta": (io.BytesIO(new_deed), "akta-baru.pdf")})
    assert response.status_code == 303, response.text[-2000:]
    current = documents.current(k.id)
    assert current[documents.AKTA].size == len(new_deed) and current[documents.AKTA].id != office["deed"].id
    assert documents.earlier_count(k.id) == 1
    assert db.session.scalar(sa.select(KoperasiEvent.action).where(KoperasiEvent.koperasi_id == k.id)
                             .order_by(KoperasiEvent.id.desc()).limit(1)) == "document"
    form = english(client).get(f"/k/{k.slug}/office/profile").text
    assert f"/k/{k.slug}/office/documents/{current[documents.AKTA].id}" in form


def test_a_bad_replacement_changes_nothing(office, db):
    k = office["k"]
    from tests.test_duties import profile_form

    response = english(office["clients"]["admin"]).post(
        f"/k/{k.slug}/office/profile", content_type="multipart/form-data",
        data={**profile_form(k), "nik_certificate": (io.BytesIO(_png()), "nik.pdf")})
    assert response.status_code == 422 and "This file is not a PDF" in response.text
    assert documents.earlier_count(k.id) == 0


# ---------------------------------------------------------------- the KTP photo setting and the join form

def test_the_board_sets_the_ktp_rule_in_the_settings(office, db):
    k = office["k"]
    from tests.test_duties import profile_form

    client = english(office["clients"]["admin"])
    for bad in ("0", "366", "abc", "-3"):
        response = client.post(f"/k/{k.slug}/office/profile", content_type="multipart/form-data",
                               data={**profile_form(k), "ktp_photo_required": "y", "ktp_keep_days": bad})
        assert response.status_code == 422, bad
    db.session.expire_all()
    assert not db.session.get(Koperasi, k.id).ktp_photo_required
    response = client.post(f"/k/{k.slug}/office/profile", content_type="multipart/form-data",
                           data={**profile_form(k), "ktp_photo_required": "y", "ktp_keep_days": "45"})
    assert response.status_code == 303
    db.session.expire_all()
    koperasi = db.session.get(Koperasi, k.id)
    assert koperasi.ktp_photo_required and koperasi.ktp_keep_days == 45


def _join_data(nik: str, **more) -> dict:
    return {"full_name": "Rina Marlina", "nik": nik, "address": "Jl. Cihampelas No. 5, Bandung",
            "occupation": "Penjahit", "agree": "y", "consent": "y", **more}


def test_join_without_the_rule_asks_no_photo(app, make_koperasi, make_user, db):
    k = make_koperasi(name="Koperasi Tanpa Foto")
    client = login(app.test_client(), make_user())
    assert 'name="ktp_photo"' not in client.get(f"/k/{k.slug}/join").text
    assert client.post(f"/k/{k.slug}/join", data=_join_data(NIKS[1])).status_code == 303
    assert _count(db, KtpPhoto) == 0


@pytest.fixture
def strict(make_koperasi, db):
    k = make_koperasi(name="Koperasi Minta KTP", member_prefix="KMK")
    k.ktp_photo_required = True
    db.session.commit()
    return k


def test_where_required_the_photo_is_asked_and_kept_without_its_metadata(app, strict, make_user, db):
    client = english(login(app.test_client(), make_user(full_name="Rina Marlina")))
    form = client.get(f"/k/{strict.slug}/join").text
    assert 'name="ktp_photo"' in form and "deleted 30 days after" in form
    refused = client.post(f"/k/{strict.slug}/join", data=_join_data(NIKS[2]), content_type="multipart/form-data")
    assert refused.status_code == 422 and "This koperasi asks for a photo of your KTP" in refused.text
    assert _count(db, Membership) == 0
    sent = client.post(f"/k/{strict.slug}/join", content_type="multipart/form-data",
                       data=_join_data(NIKS[2], ktp_photo=(io.BytesIO(_jpeg_with_exif()), "ktp.jpg")))
    assert sent.status_code == 303
    membership = db.session.scalar(sa.select(Membership))
    path = documents.ktp_file(membership, _media(app, documents.KTP_FOLDER))
    data = Path(path).read_bytes()
    assert data.startswith(b"RIFF") and b"KameraRahasia" not in data and b"Exif" not in data
    assert not os.path.abspath(path).startswith(STATIC)


def test_a_photo_chosen_with_a_mistake_elsewhere_is_kept(app, strict, make_user, db):
    client = english(login(app.test_client(), make_user()))
    failed = client.post(f"/k/{strict.slug}/join", content_type="multipart/form-data",
                         data=_join_data("123", ktp_photo=(io.BytesIO(_jpeg_with_exif()), "ktp.jpg")))
    assert failed.status_code == 422 and "Photo kept:" in failed.text
    fixed = client.post(f"/k/{strict.slug}/join", content_type="multipart/form-data",
                        data=_join_data(NIKS[3], ktp_photo_kept=kept_token(failed.text, "ktp_photo_kept")))
    assert fixed.status_code == 303 and _count(db, KtpPhoto) == 1


@pytest.mark.parametrize("upload", [(io.BytesIO(b"%PDF-1.4 not a photo"), "ktp.jpg"), (io.BytesIO(b""), "ktp.png"),
                                    (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 40), "ktp.png"),
                                    (io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), "ktp.svg"),
                                    (io.BytesIO(b"<!doctype html><script>alert(1)</script>"), "ktp.jpg")])
def test_a_hostile_ktp_upload_is_refused_never_a_500(app, strict, make_user, db, upload):
    client = english(login(app.test_client(), make_user()))
    response = client.post(f"/k/{strict.slug}/join", content_type="multipart/form-data",
                           data=_join_data(NIKS[4], ktp_photo=upload))
    assert response.status_code == 422 and ("This file is not a picture" in response.text
                                            or "asks for a photo of your KTP" in response.text)
    assert _count(db, Membership) == 0 and _count(db, KtpPhoto) == 0


@pytest.fixture
def applicant(app, strict, make_user, db):
    client = login(app.test_client(), make_user(full_name="Pendaftar KTP"))
    assert client.post(f"/k/{strict.slug}/join", content_type="multipart/form-data",
                       data=_join_data(NIKS[5], ktp_photo=(io.BytesIO(_jpeg_with_exif()), "k.jpg"))).status_code == 303
    return db.session.scalar(sa.select(Membership).where(Membership.koperasi_id == strict.id)), client


@pytest.mark.parametrize(("role", "status"), [("pengurus", 200), ("admin", 200), ("teller", 403), ("pengawas", 403)])
def test_only_those_who_decide_applications_see_the_ktp(app, strict, applicant, make_staff, role, status):
    membership, _client = applicant
    client = login(app.test_client(), board(strict) if role == "admin" else make_staff(strict, role))
    photo = client.get(f"/k/{strict.slug}/office/applications/{membership.id}/ktp")
    assert photo.status_code == status
    page = client.get(f"/k/{strict.slug}/office/applications/{membership.id}").text
    assert (f"/applications/{membership.id}/ktp" in page) == (status == 200)
    if status == 200:
        assert photo.headers["Cache-Control"] == "private, no-store"
        assert photo.headers["Content-Type"] == "image/webp" and photo.headers["X-Content-Type-Options"] == "nosniff"


def test_the_applicant_another_koperasi_and_anonymous_get_no_ktp(app, strict, applicant, make_koperasi, make_staff):
    membership, own_client = applicant
    url = f"/k/{strict.slug}/office/applications/{membership.id}/ktp"
    assert own_client.get(url).status_code == 404  # not staff: the office does not exist for them
    other = make_koperasi(name="Koperasi Lain", member_prefix="KLN")
    assert login(app.test_client(), board(other)).get(url).status_code == 404
    assert login(app.test_client(), board(other)).get(
        f"/k/{other.slug}/office/applications/{membership.id}/ktp").status_code == 404
    anonymous = app.test_client().get(url)
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]


# ---------------------------------------------------------------- purge

def _decided(membership: Membership, days_ago: int | None, db) -> None:
    membership.decided_at = None if days_ago is None else utcnow() - timedelta(days=days_ago, minutes=1)
    db.session.commit()


def test_purge_deletes_exactly_the_expired_photos_and_their_files(app, db, make_koperasi, make_member, make_user):
    folder = _media(app, documents.KTP_FOLDER)
    keep30 = make_koperasi(name="Koperasi Tiga Puluh", member_prefix="KTP")
    keep10 = make_koperasi(name="Koperasi Sepuluh", member_prefix="KSP")
    keep10.ktp_keep_days = 10
    cases = {}  # name → (koperasi, days since the decision, expected to go)
    for name, k, days, goes in (("expired", keep30, 31, True), ("fresh", keep30, 29, False),
                                ("undecided", keep30, None, False), ("short", keep10, 11, True),
                                ("shared-fresh", keep10, 3, False)):
        m = make_member(k, user=make_user(full_name=name), status="applied", nik=NIKS[6 + len(cases)])
        photo = b"RIFF-" + (b"shared" if name.startswith("shared") or name == "short" else name.encode())
        documents.keep_ktp(m, photo, folder)
        _decided(m, days, db)
        cases[name] = (m.id, photo, goes)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["purge-documents"])
    assert result.exit_code == 0 and "KTP photos deleted: 2" in result.output
    db.session.expire_all()
    left = set(db.session.scalars(sa.select(KtpPhoto.membership_id)))
    assert left == {mid for mid, _photo, goes in cases.values() if not goes}
    import hashlib

    def on_disk(photo: bytes) -> bool:
        return private_files.path_of(hashlib.sha256(photo).hexdigest(), folder, "webp") is not None

    assert not on_disk(cases["expired"][1])
    assert on_disk(cases["fresh"][1]) and on_disk(cases["undecided"][1])
    assert on_disk(cases["short"][1])  # the same file is still another application's photo
    again = runner.invoke(args=["purge-documents"])
    assert again.exit_code == 0 and "KTP photos deleted: 0" in again.output
    assert set(db.session.scalars(sa.select(KtpPhoto.membership_id))) == left


def test_after_the_purge_the_staff_page_has_no_photo_and_the_route_is_gone(app, strict, applicant, db):
    membership, _client = applicant
    client = login(app.test_client(), board(strict))
    assert client.post(f"/k/{strict.slug}/office/applications/{membership.id}/reject",
                       data={"reason": "Alamat di luar wilayah kerja."}).status_code == 303
    db.session.expire_all()
    page = english(client).get(f"/k/{strict.slug}/office/applications/{membership.id}").text
    assert "Deleted automatically on" in page
    documents.purge_ktp(utcnow() + timedelta(days=31), _media(app, documents.KTP_FOLDER))
    db.session.commit()
    assert client.get(f"/k/{strict.slug}/office/applications/{membership.id}/ktp").status_code == 404
    assert f"/applications/{membership.id}/ktp" not in client.get(
        f"/k/{strict.slug}/office/applications/{membership.id}").text


def test_the_new_pages_stay_within_budget(app, office, strict, applicant, db):
    membership, _client = applicant
    pages = [(office["clients"]["platform"], f"/admin/koperasi/{office['k'].id}"),
             (office["clients"]["admin"], f"/k/{office['k'].slug}/office/profile"),
             (login(app.test_client(), board(strict)), f"/k/{strict.slug}/office/applications/{membership.id}"),
             (office["clients"]["member"], f"/k/{strict.slug}/join")]
    for client, url in pages:
        result = measure(client, url)
        assert result.status == 200, url
        assert len(result.queries) <= MAX_QUERIES, f"{url}: {len(result.queries)} queries"
        assert result.html_gzip <= MAX_HTML_GZIP, f"{url}: {result.html_gzip} bytes gzipped"
