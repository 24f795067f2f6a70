"""Koperasi staff approve and suspend the stores under their koperasi."""

from __future__ import annotations

import pytest

from models.market import Store
from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure
from tests.conftest import login


@pytest.fixture
def kop(make_koperasi):
    return make_koperasi()


def staff_client(app, kop, make_staff, role):
    return login(app.test_client(), make_staff(kop, role=role))


def test_staff_see_stores_by_status_and_approve_then_suspend(app, kop, make_store, make_staff, db):
    store = make_store(kop, status="pending", name="Warung Pak Budi")
    pengurus = staff_client(app, kop, make_staff, "pengurus")
    page = pengurus.get(f"/k/{kop.slug}/office/stores")
    assert page.status_code == 200 and "Warung Pak Budi" in page.text and "Menunggu persetujuan" in page.text
    response = pengurus.post(f"/k/{kop.slug}/office/stores/{store.id}/approve")
    assert response.status_code == 303
    assert "Toko disetujui" in pengurus.get(response.headers["Location"]).text
    assert db.session.get(Store, store.id).status == "approved"
    pengurus.post(f"/k/{kop.slug}/office/stores/{store.id}/suspend")
    db.session.expire_all()
    assert db.session.get(Store, store.id).status == "suspended"


def test_access_matrix(app, kop, make_koperasi, make_store, make_staff, make_user, db):
    store = make_store(kop, status="pending")
    index, approve = f"/k/{kop.slug}/office/stores", f"/k/{kop.slug}/office/stores/{store.id}/approve"
    pengawas = staff_client(app, kop, make_staff, "pengawas")
    assert pengawas.get(index).status_code == 200
    assert pengawas.post(approve).status_code == 403
    assert staff_client(app, kop, make_staff, "teller").post(approve).status_code == 403  # the board approves
    other_kop = make_koperasi(name="Koperasi Lain")
    outsider = login(app.test_client(), make_staff(other_kop, role="admin"))
    assert outsider.get(index).status_code == 404 and outsider.post(approve).status_code == 404
    # the other koperasi's staff cannot reach this store through their own office either
    assert outsider.post(f"/k/{other_kop.slug}/office/stores/{store.id}/approve").status_code == 404
    assert login(app.test_client(), make_user()).get(index).status_code == 404
    assert app.test_client().get(index).status_code == 303
    assert db.session.get(Store, store.id).status == "pending"


def test_the_dashboard_links_to_stores(app, kop, make_staff):
    client = staff_client(app, kop, make_staff, "teller")
    assert f"/k/{kop.slug}/office/stores" in client.get(f"/k/{kop.slug}/office").text


def test_stores_page_budget_with_30_stores(app, kop, make_store, make_staff):
    for n in range(30):
        make_store(kop, status=("pending", "approved", "suspended")[n % 3], name=f"Toko Nomor {n:02d}")
    page = measure(staff_client(app, kop, make_staff, "admin"), f"/k/{kop.slug}/office/stores")
    assert page.status == 200 and page.body.count("Toko Nomor") == 30
    assert len(page.queries) <= MAX_QUERIES, page.queries
    assert page.html_gzip <= MAX_HTML_GZIP
