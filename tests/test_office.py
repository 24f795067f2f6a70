"""Registering a koperasi and its office: dashboard, profile, staff, history, access."""

from __future__ import annotations

import io
import os

import pytest
import sqlalchemy as sa
from PIL import Image

from models.koperasi import Koperasi, KoperasiEvent, KoperasiLogo, Staff, record
from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure
from tests.conftest import koperasi_data, login
from tests.pdf_files import pdfs
from views.fields import parse_rupiah


def _form(**overrides) -> dict:
    """A profile as the browser posts it: every value a string, services repeated."""
    data = koperasi_data(**overrides)
    return {key: ("" if value is None else value if isinstance(value, (list, tuple)) else str(value))
            for key, value in data.items()}


def _register(client, **overrides):
    return client.post("/koperasi/new", data={**_form(**overrides), **pdfs()}, content_type="multipart/form-data")


def _counts(db) -> tuple[int, int, int, int]:
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (Koperasi, KoperasiEvent, KoperasiLogo, Staff))


def _jpeg_with_exif(size=(600, 400)) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"  # Make
    exif[0x0132] = "2024:01:01 10:00:00"  # DateTime
    out = io.BytesIO()
    Image.new("RGB", size, (10, 110, 80)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


# ---------------------------------------------------------------- registration

def test_registrant_becomes_admin_of_a_pending_koperasi(user_client, user, db):
    response = _register(user_client, name="Koperasi Maju Jaya")
    assert response.status_code == 303
    koperasi = db.session.scalar(sa.select(Koperasi))
    assert response.headers["Location"].endswith(f"/k/{koperasi.slug}/office")
    assert koperasi.status == "pending"
    staff = db.session.scalar(sa.select(Staff))
    assert (staff.user_id, staff.role) == (user.id, "admin")
    page = user_client.get(f"/k/{koperasi.slug}/office")
    assert "menunggu verifikasi" in page.text and "Pengurus / admin" in page.text
    directory = user_client.get("/koperasi?q=Maju")
    if directory.status_code == 200:  # the directory lists verified koperasi only
        assert "Koperasi Maju Jaya" not in directory.text


@pytest.mark.parametrize(("typed", "amount"), [("1.500.000", 1_500_000), ("1500000", 1_500_000),
                                                ("Rp 20.000", 20_000), ("0", 0)])
def test_fees_typed_the_indonesian_way(typed, amount):
    assert parse_rupiah(typed) == amount


@pytest.mark.parametrize("typed", ["1,5", "1.500,00", "seribu", ""])
def test_fees_with_decimals_or_words_are_refused(typed):
    with pytest.raises(ValueError):
        parse_rupiah(typed)


def test_registration_stores_parsed_fees(user_client, db):
    assert _register(user_client, pokok_idr="1.500.000", wajib_idr="Rp 25.000").status_code == 303
    koperasi = db.session.scalar(sa.select(Koperasi))
    assert (koperasi.pokok_idr, koperasi.wajib_idr) == (1_500_000, 25_000)


BAD_INPUT = {
    "coordinates in Berlin": ({"lat": "52.52", "lng": "13.40"}, "Posisi peta harus di Indonesia"),
    "bad WhatsApp": ({"whatsapp": "12345"}, "Masukkan nomor HP Indonesia"),
    "negative fee": ({"pokok_idr": "-5.000"}, "Masukkan jumlah dari Rp0 sampai Rp100.000.000."),
    "comma decimals": ({"wajib_idr": "20.000,50"}, "Masukkan Rupiah bulat dengan angka saja"),
    "no services": ({"services": []}, "Pilih minimal satu layanan."),
    "empty name": ({"name": ""}, "Kolom ini wajib diisi."),
    "latitude not a number": ({"lat": "utara"}, "Masukkan angka derajat desimal"),
}


@pytest.mark.parametrize("overrides,message", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_comes_back_with_message_and_saves_nothing(user_client, db, overrides, message):
    response = _register(user_client, address="Jl. Cempaka No. 7", **overrides)
    assert response.status_code == 422
    assert message in response.text
    assert 'value="Jl. Cempaka No. 7"' in response.text and 'aria-invalid="true"' in response.text
    assert _counts(db) == (0, 0, 0, 0)


def test_duplicate_legal_number_is_refused(user_client, db, make_koperasi):
    make_koperasi(legal_number="AHU-0000777.AH.01.26")
    before = _counts(db)
    response = _register(user_client, legal_number="ahu-0000777.ah.01.26", name="Koperasi Kembar")
    assert response.status_code == 422
    assert "nomor badan hukum ini sudah terdaftar" in response.text
    assert 'value="Koperasi Kembar"' in response.text
    assert _counts(db) == before


def test_logo_is_stored_as_webp_without_exif(user_client, db):
    response = _register(user_client, logo=(io.BytesIO(_jpeg_with_exif()), "logo.jpg", "image/jpeg"))
    assert response.status_code == 303
    logo = db.session.scalar(sa.select(KoperasiLogo))
    assert logo.mimetype == "image/webp" and logo.data[8:12] == b"WEBP"
    stored = Image.open(io.BytesIO(logo.data))
    assert max(stored.size) <= 256
    assert "exif" not in stored.info and b"KameraRahasia" not in logo.data


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xd8\xff\xe0" + os.urandom(3 * 1024 * 1024), "Gambar lebih besar dari 2 MB."),
    (b"Ini bukan gambar, hanya teks.", "Berkas ini bukan gambar."),
], ids=["3 MB", "text file"])
def test_bad_logo_saves_neither_logo_nor_profile(user_client, db, content, message):
    response = _register(user_client, name="Koperasi Logo Salah", logo=(io.BytesIO(content), "logo.jpg"))
    assert response.status_code == 422
    assert message in response.text and 'value="Koperasi Logo Salah"' in response.text
    assert _counts(db) == (0, 0, 0, 0)


def test_refresh_lists_shows_the_regencies_and_keeps_what_was_typed(user_client, db):
    data = _form(name="Koperasi Tani Makmur", province_code="35", regency_code="", district_code="")
    response = user_client.post("/koperasi/new", data={**data, "refresh": "1"})
    assert response.status_code == 200
    assert "Kota Surabaya" in response.text and 'value="Koperasi Tani Makmur"' in response.text
    assert "Kolom ini wajib diisi" not in response.text
    assert _counts(db) == (0, 0, 0, 0)


def test_htmx_region_change_gets_only_the_region_fields(user_client):
    response = user_client.post("/koperasi/new", data={"province_code": "32", "regency_code": "32.73", "refresh": "1"},
                                headers={"HX-Request": "true", "HX-Target": "region_fields"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="region_fields"') and "Coblong" in response.text
    assert "<html" not in response.text


def test_registration_needs_login(client):
    response = client.get("/koperasi/new")
    assert response.status_code == 303 and "/login" in response.headers["Location"]


# ---------------------------------------------------------------- the access matrix

@pytest.fixture
def world(make_koperasi, make_staff, make_member, make_user):
    """A koperasi with an admin, a teller, a pengawas and a member; another koperasi's admin."""
    admin = make_user(full_name="Ketua Pengurus")
    koperasi = make_koperasi(admin=admin, name="Koperasi Sumber Rejeki")
    teller = make_staff(koperasi, "teller")
    pengawas = make_staff(koperasi, "pengawas")
    member = make_member(koperasi).user
    other = make_user(full_name="Pengurus Lain")
    make_koperasi(admin=other, name="Koperasi Tetangga")
    stranger = make_user(full_name="Orang Asing")
    candidate = make_user(full_name="Calon Staf", mobile="081399990000")
    return dict(koperasi=koperasi, admin=admin, teller=teller, pengawas=pengawas, member=member,
                other=other, stranger=stranger, candidate=candidate)


GETS = ["", "/profile", "/staff", "/history"]


def _posts(world) -> dict:
    k = world["koperasi"]
    teller_staff = next(s for s in _staff(k) if s.user_id == world["teller"].id)
    return {
        "profile": ("/profile", _form(name="Koperasi Diubah Orang", legal_number=k.legal_number)),
        "add staff": ("/staff", {"mobile": "081399990000", "role": "teller"}),
        "change role": (f"/staff/{teller_staff.id}/role", {"role": "admin"}),
        "remove staff": (f"/staff/{teller_staff.id}/remove", {}),
        "resubmit": ("/resubmit", {}),
    }


def _staff(koperasi):
    from web.extensions import db
    return db.session.scalars(sa.select(Staff).where(Staff.koperasi_id == koperasi.id)).all()


def _client_as(app, world, who):
    client = app.test_client()
    return login(client, world[who]) if who != "anonymous" else client


def _snapshot(db, koperasi):
    db.session.expire_all()
    k = db.session.get(Koperasi, koperasi.id)
    return (k.name, k.status, _counts(db), sorted((s.user_id, s.role) for s in _staff(k)))


@pytest.mark.parametrize("who", ["other", "member", "stranger"])
@pytest.mark.parametrize("path", GETS)
def test_outsiders_find_no_office(app, world, who, path):
    client = _client_as(app, world, who)
    assert client.get(f"/k/{world['koperasi'].slug}/office{path}").status_code == 404


@pytest.mark.parametrize("who", ["other", "member", "stranger", "anonymous", "pengawas", "teller"])
@pytest.mark.parametrize("action", ["profile", "add staff", "change role", "remove staff", "resubmit"])
def test_only_admins_change_the_office(app, db, world, who, action):
    path, data = _posts(world)[action]
    before = _snapshot(db, world["koperasi"])
    response = _client_as(app, world, who).post(f"/k/{world['koperasi'].slug}/office{path}", data=data)
    expected = {"anonymous": 303, "pengawas": 403, "teller": 403}.get(who, 404)
    assert response.status_code == expected
    if who == "anonymous":
        assert "/login" in response.headers["Location"]
    assert _snapshot(db, world["koperasi"]) == before


@pytest.mark.parametrize("path", GETS)
def test_anonymous_is_sent_to_login(client, world, path):
    response = client.get(f"/k/{world['koperasi'].slug}/office{path}")
    assert response.status_code == 303 and "/login" in response.headers["Location"]


# The history is the audit log: the teller does not see it (tests/test_audit.py), the pengawas does.
@pytest.mark.parametrize("who, path", [("pengawas", path) for path in GETS]
                         + [("teller", path) for path in GETS if path != "/history"])
def test_read_only_roles_can_read(app, world, who, path):
    response = _client_as(app, world, who).get(f"/k/{world['koperasi'].slug}/office{path}")
    assert response.status_code == 200
    assert "Koperasi Sumber Rejeki" in response.text
    assert "Simpan profil" not in response.text and "Tambah staf" not in response.text


# ---------------------------------------------------------------- dashboard

def test_dashboard_counts_applications_and_members(app, world, make_member, make_user):
    make_member(world["koperasi"], status="applied")
    make_member(world["koperasi"], status="applied")
    response = _client_as(app, world, "admin").get(f"/k/{world['koperasi'].slug}/office")
    assert "Menunggu: 2" in response.text and "Anggota aktif: 1" in response.text
    assert f'/k/{world["koperasi"].slug}/office/applications' in response.text
    assert "Terverifikasi" in response.text


def test_registrant_sees_rejection_reason_and_resubmits(make_koperasi, make_user, app, db):
    admin = make_user(full_name="Bu Sari")
    koperasi = make_koperasi(admin=admin, status="rejected")
    client = login(app.test_client(), admin)
    page = client.get(f"/k/{koperasi.slug}/office")
    assert "Dokumen badan hukum tidak terbaca." in page.text and "Kirim lagi untuk verifikasi" in page.text
    response = client.post(f"/k/{koperasi.slug}/office/resubmit")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Koperasi, koperasi.id).status == "pending"
    assert "menunggu verifikasi" in client.get(f"/k/{koperasi.slug}/office").text.lower()


# ---------------------------------------------------------------- profile and history

def test_admin_edits_profile_and_history_says_who_and_what(app, db, world):
    k = world["koperasi"]
    client = _client_as(app, world, "admin")
    form = client.get(f"/k/{k.slug}/office/profile")
    assert 'value="Koperasi Sumber Rejeki"' in form.text and 'value="100.000"' in form.text
    data = _form(name="Koperasi Sumber Rejeki Baru", legal_number=k.legal_number, pokok_idr="150.000",
                 logo=(io.BytesIO(_jpeg_with_exif()), "baru.jpg"))
    response = client.post(f"/k/{k.slug}/office/profile", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Koperasi, k.id).pokok_idr == 150_000
    assert db.session.get(KoperasiLogo, k.id) is not None
    history = client.get(f"/k/{k.slug}/office/history").text
    assert "Mengubah profil" in history and "Ketua Pengurus" in history
    assert "Nama koperasi: Koperasi Sumber Rejeki → Koperasi Sumber Rejeki Baru" in history
    assert "Rp100.000 → Rp150.000" in history and "Mengganti logo" in history


def test_profile_edit_with_bad_input_changes_nothing(app, db, world):
    k = world["koperasi"]
    before = _snapshot(db, k)
    response = _client_as(app, world, "admin").post(
        f"/k/{k.slug}/office/profile", data=_form(name="Nama Baru", legal_number=k.legal_number, lat="99"))
    assert response.status_code == 422 and "Posisi peta harus di Indonesia" in response.text
    assert 'value="Nama Baru"' in response.text
    assert _snapshot(db, k) == before


def test_history_pages_newest_first(app, db, world):
    k = world["koperasi"]
    for n in range(40):
        record(k, world["admin"], "updated", {"description": [f"lama {n}", f"baru {n:02d}"]})
    db.session.commit()
    client = _client_as(app, world, "pengawas")
    first = client.get(f"/k/{k.slug}/office/history").text
    assert first.index("baru 39") < first.index("baru 38") and "baru 09" not in first
    second = client.get(f"/k/{k.slug}/office/history?page=2").text
    assert "baru 09" in second and "Mendaftarkan koperasi" in second


# ---------------------------------------------------------------- staff

def test_admin_adds_changes_and_removes_staff(app, db, world):
    k = world["koperasi"]
    client = _client_as(app, world, "admin")
    assert client.post(f"/k/{k.slug}/office/staff", data={"mobile": "0813 9999 0000", "role": "pengawas"}
                       ).status_code == 303
    added = next(s for s in _staff(k) if s.user_id == world["candidate"].id)
    assert added.role == "pengawas"
    assert "Calon Staf" in client.get(f"/k/{k.slug}/office/staff").text
    assert client.post(f"/k/{k.slug}/office/staff/{added.id}/role", data={"role": "teller"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Staff, added.id).role == "teller"
    assert client.post(f"/k/{k.slug}/office/staff/{added.id}/remove").status_code == 303
    assert world["candidate"].id not in {s.user_id for s in _staff(k)}
    history = client.get(f"/k/{k.slug}/office/history").text
    assert "Menambah staf" in history and "Menghapus staf" in history


def test_unknown_mobile_is_explained(app, db, world):
    response = _client_as(app, world, "admin").post(f"/k/{world['koperasi'].slug}/office/staff",
                                                    data={"mobile": "0819 0000 1111", "role": "teller"})
    assert response.status_code == 422
    assert "Belum ada akun Kopz dengan nomor HP ini" in response.text and 'value="0819 0000 1111"' in response.text


@pytest.mark.parametrize("action", ["remove", "role"])
def test_last_admin_cannot_leave(app, db, world, action):
    k = world["koperasi"]
    me = next(s for s in _staff(k) if s.user_id == world["admin"].id)
    response = _client_as(app, world, "admin").post(f"/k/{k.slug}/office/staff/{me.id}/{action}",
                                                    data={"role": "teller"})
    assert response.status_code == 422 and "Koperasi harus punya minimal satu admin." in response.text
    db.session.expire_all()
    assert db.session.get(Staff, me.id).role == "admin"


def test_staff_of_another_koperasi_cannot_be_touched(app, db, world):
    other_staff = db.session.scalar(sa.select(Staff).where(Staff.user_id == world["other"].id))
    response = _client_as(app, world, "admin").post(
        f"/k/{world['koperasi'].slug}/office/staff/{other_staff.id}/remove")
    assert response.status_code == 404
    assert db.session.get(Staff, other_staff.id) is not None


# ---------------------------------------------------------------- budgets

def test_office_pages_within_budget(app, db, world, make_staff, make_member):
    k = world["koperasi"]
    for _ in range(10):
        make_staff(k, "teller")
    for n in range(40):
        record(k, world["admin"], "updated", {"name": [f"Nama {n}", f"Nama {n + 1}"], "pokok_idr": [n, n + 1]})
    db.session.commit()
    client = _client_as(app, world, "admin")
    for path in GETS:
        url = f"/k/{k.slug}/office{path}"
        result = measure(client, url)
        assert result.status == 200, url
        assert len(result.queries) <= MAX_QUERIES, f"{url}: {len(result.queries)} queries"
        assert result.html_gzip <= MAX_HTML_GZIP, f"{url}: {result.html_gzip} bytes gzipped"
