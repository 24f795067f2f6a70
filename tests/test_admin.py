"""Platform admin: the verification queue, verify and reject."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models.koperasi import Koperasi, KoperasiEvent
from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure
from tests.conftest import login


@pytest.fixture
def platform(make_user):
    return make_user(full_name="Admin Platform", is_platform_admin=True)


@pytest.fixture
def admin_client(app, platform):
    return login(app.test_client(), platform)


def _reload(db, koperasi) -> Koperasi:
    db.session.expire_all()
    return db.session.get(Koperasi, koperasi.id)


def test_queue_lists_pending_oldest_first_with_counts(admin_client, db, make_koperasi, platform):
    newer = make_koperasi(status="pending", name="Koperasi Baru Daftar")
    older = make_koperasi(status="pending", name="Koperasi Lama Menunggu")
    older.created_at = newer.created_at - timedelta(days=2)
    make_koperasi(status="verified", name="Koperasi Sudah Sah")
    db.session.commit()
    page = admin_client.get("/admin/koperasi").text
    assert page.index("Koperasi Lama Menunggu") < page.index("Koperasi Baru Daftar")
    assert "Koperasi Sudah Sah" not in page
    assert "Menunggu verifikasi (2)" in page and "Terverifikasi (1)" in page
    verified = admin_client.get("/admin/koperasi?status=verified").text
    assert "Koperasi Sudah Sah" in verified and "Koperasi Baru Daftar" not in verified


def test_detail_shows_profile_and_registrant(admin_client, make_koperasi, make_user):
    registrant = make_user(full_name="Pak Bambang", mobile="081377776666")
    koperasi = make_koperasi(admin=registrant, status="pending", name="Koperasi Nelayan Bahari",
                             pokok_idr=1_500_000)
    page = admin_client.get(f"/admin/koperasi/{koperasi.id}").text
    assert "Koperasi Nelayan Bahari" in page and koperasi.legal_number in page
    assert "Pak Bambang" in page and "Rp1.500.000" in page and "Coblong" not in page
    assert "Sukasari" in page  # district of the test profile
    assert "Verifikasi" in page and "Tolak" in page


def test_verify(admin_client, db, make_koperasi, platform):
    koperasi = make_koperasi(status="pending")
    response = admin_client.post(f"/admin/koperasi/{koperasi.id}/verify")
    assert response.status_code == 303
    assert _reload(db, koperasi).status == "verified"
    assert db.session.scalar(sa.select(KoperasiEvent.actor_id).where(KoperasiEvent.action == "verified")) == platform.id


def test_reject_needs_a_reason(admin_client, db, make_koperasi):
    koperasi = make_koperasi(status="pending")
    response = admin_client.post(f"/admin/koperasi/{koperasi.id}/reject", data={"reason": ""})
    assert response.status_code == 422 and "Kolom ini wajib diisi." in response.text
    short = admin_client.post(f"/admin/koperasi/{koperasi.id}/reject", data={"reason": "no"})
    assert short.status_code == 422 and "Tulis alasannya agar pendaftar bisa memperbaikinya." in short.text
    assert _reload(db, koperasi).status == "pending"


def test_registrant_sees_the_rejection_reason(app, admin_client, db, make_koperasi, make_user):
    registrant = make_user(full_name="Bu Ani")
    koperasi = make_koperasi(admin=registrant, status="pending")
    reason = "Akta pendirian belum diunggah."
    assert admin_client.post(f"/admin/koperasi/{koperasi.id}/reject", data={"reason": reason}).status_code == 303
    assert _reload(db, koperasi).status == "rejected"
    page = login(app.test_client(), registrant).get(f"/k/{koperasi.slug}/office").text
    assert "Ditolak oleh tim Kopz." in page and reason in page


def test_verified_koperasi_cannot_be_rejected(admin_client, db, make_koperasi):
    koperasi = make_koperasi(status="verified")
    response = admin_client.post(f"/admin/koperasi/{koperasi.id}/reject", data={"reason": "Berubah pikiran."})
    assert response.status_code == 422
    assert _reload(db, koperasi).status == "verified"


@pytest.mark.parametrize("method,path", [("get", "/admin/koperasi"), ("get", "/admin/koperasi/{id}"),
                                         ("post", "/admin/koperasi/{id}/verify"),
                                         ("post", "/admin/koperasi/{id}/reject")])
def test_non_admins_find_nothing(app, db, make_koperasi, make_user, method, path):
    registrant = make_user(full_name="Pendaftar Biasa")
    koperasi = make_koperasi(admin=registrant, status="pending")
    for user in (registrant, make_user(full_name="Orang Lain")):
        client = login(app.test_client(), user)
        response = getattr(client, method)(path.format(id=koperasi.id), data={"reason": "Tidak lengkap."})
        assert response.status_code == 404
    anonymous = getattr(app.test_client(), method)(path.format(id=koperasi.id))
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["Location"]
    assert _reload(db, koperasi).status == "pending"


def test_admin_pages_within_budget(admin_client, db, make_koperasi):
    first = None
    for n in range(30):
        koperasi = make_koperasi(status="pending", name=f"Koperasi Antre {n:02d}")
        first = first or koperasi
    for url in ("/admin/koperasi", f"/admin/koperasi/{first.id}"):
        result = measure(admin_client, url)
        assert result.status == 200, url
        assert "Koperasi Antre" in result.body
        assert len(result.queries) <= MAX_QUERIES, f"{url}: {len(result.queries)} queries"
        assert result.html_gzip <= MAX_HTML_GZIP, f"{url}: {result.html_gzip} bytes gzipped"
