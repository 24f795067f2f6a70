"""Koperasi office: the applications queue, approving and rejecting, the member list and CSV."""

from __future__ import annotations

import csv
import io
import threading

import pytest
import sqlalchemy as sa

from models.accounts import User
from models.membership import Membership, approve
from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure
from tests.conftest import VALID_NIK, login

NIKS = [f"32730115089{n:05d}" for n in range(1, 200)]  # valid: Kota Bandung, born 1995-08-15


@pytest.fixture
def kop(make_koperasi):
    return make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB")


@pytest.fixture
def teller(app, kop, make_staff):
    return login(app.test_client(), make_staff(kop, "teller"))


@pytest.fixture
def pengurus(app, kop, make_staff):
    """The board decides applications and resignations (a teller may not)."""
    return login(app.test_client(), make_staff(kop, "pengurus"))


def reload(db, membership) -> Membership:
    db.session.expire_all()
    return db.session.get(Membership, membership.id)


# ---------------------------------------------------------------- applications

def test_queue_lists_applications_newest_first_with_a_count(kop, make_member, make_user, teller):
    older = make_member(kop, user=make_user(full_name="Ani Pertama"), status="applied", nik=NIKS[0])
    newer = make_member(kop, user=make_user(full_name="Bayu Kedua"), status="applied", nik=NIKS[1])
    make_member(kop, user=make_user(full_name="Citra Anggota"), nik=NIKS[2])  # already a member
    page = teller.get(f"/k/{kop.slug}/office/applications").text
    assert "Pengajuan menunggu keputusan: 2" in page
    assert page.index(newer.full_name) < page.index(older.full_name)
    assert "Citra Anggota" not in page


def test_application_shows_the_nik_masked_to_this_koperasis_staff(kop, make_member, teller, pengurus):
    membership = make_member(kop, status="applied")
    page = teller.get(f"/k/{kop.slug}/office/applications/{membership.id}")
    assert page.status_code == 200
    assert VALID_NIK not in page.text and VALID_NIK[:4] + "••••••••" + VALID_NIK[-4:] in page.text
    # The address too (UU PDP): the street to the teller, in full to the board who decide.
    assert "Jl. Dago ••••••" in page.text and "Jl. Dago No. 10, Bandung" not in page.text
    assert "Jl. Dago No. 10, Bandung" in pengurus.get(f"/k/{kop.slug}/office/applications/{membership.id}").text


def test_approve_assigns_sequential_numbers_never_reused(kop, make_member, make_user, pengurus, db):
    apps = [make_member(kop, user=make_user(full_name=f"Pemohon {n}"), status="applied", nik=NIKS[n])
            for n in range(3)]
    for membership in apps[:2]:
        response = pengurus.post(f"/k/{kop.slug}/office/applications/{membership.id}/approve")
        assert response.status_code == 303
    assert [reload(db, m).member_number for m in apps[:2]] == ["KSB-00001", "KSB-00002"]
    # The second member resigns; their number is not given to the next one.
    second = reload(db, apps[1])
    second.status = "resigning"
    db.session.commit()
    assert pengurus.post(f"/k/{kop.slug}/office/members/{second.id}/confirm-resignation").status_code == 303
    response = pengurus.post(f"/k/{kop.slug}/office/applications/{apps[2].id}/approve")
    assert "KSB-00003" in pengurus.get(response.headers["Location"]).text  # the page after shows the number
    assert reload(db, apps[2]).member_number == "KSB-00003"


def test_approve_twice_is_refused_kindly(kop, make_member, pengurus, db):
    membership = make_member(kop, status="applied")
    assert pengurus.post(f"/k/{kop.slug}/office/applications/{membership.id}/approve").status_code == 303
    again = pengurus.post(f"/k/{kop.slug}/office/applications/{membership.id}/approve")
    assert again.status_code == 422 and "Ini sudah ditangani orang lain" in again.text
    assert reload(db, membership).member_number == "KSB-00001"
    assert db.session.get(type(kop), kop.id).last_member_seq == 1  # no number burnt


def test_reject_with_reason_is_shown_to_the_applicant(kop, make_member, make_user, pengurus, app, db):
    applicant = make_user(full_name="Pemohon Ditolak")
    membership = make_member(kop, user=applicant, status="applied")
    response = pengurus.post(f"/k/{kop.slug}/office/applications/{membership.id}/reject",
                           data={"reason": "Foto KTP buram, mohon unggah ulang."})
    assert response.status_code == 303
    assert reload(db, membership).status == "rejected"
    cards = login(app.test_client(), applicant).get("/cards").text
    assert "Foto KTP buram, mohon unggah ulang." in cards and "Ditolak" in cards


def test_reject_needs_a_reason(kop, make_member, pengurus, db):
    membership = make_member(kop, status="applied")
    response = pengurus.post(f"/k/{kop.slug}/office/applications/{membership.id}/reject", data={"reason": "no"})
    assert response.status_code == 422
    assert "Tulis alasannya" in response.text
    assert reload(db, membership).status == "applied"


# ---------------------------------------------------------------- members

def test_members_list_filters_searches_and_pages(kop, make_member, make_user, teller):
    for n in range(30):
        make_member(kop, user=make_user(full_name=f"Anggota {n:02d}"), nik=NIKS[n])
    make_member(kop, user=make_user(full_name="Rina Mundur"), status="resigning", nik=NIKS[40])
    page = teller.get(f"/k/{kop.slug}/office/members").text
    assert "Anggota ditemukan: 31" in page and "Halaman 1 dari 2" in page
    assert "KSB-00025" in page and "KSB-00026" not in page
    assert "KSB-00026" in teller.get(f"/k/{kop.slug}/office/members?page=2").text
    by_status = teller.get(f"/k/{kop.slug}/office/members?status=resigning").text
    assert "Anggota ditemukan: 1" in by_status and "Rina Mundur" in by_status
    by_name = teller.get(f"/k/{kop.slug}/office/members?q=rina").text
    assert "Rina Mundur" in by_name and "Anggota 01" not in by_name
    by_number = teller.get(f"/k/{kop.slug}/office/members?q=KSB-00007").text
    assert "Anggota 06" in by_number and "Anggota ditemukan: 1" in by_number


def test_members_list_marks_imported_members_not_yet_confirmed_and_filters_them(kop, make_member, make_user, teller,
                                                                               db):
    from models.base import utcnow
    from tests.imported import make_imported
    make_member(kop, user=make_user(full_name="Citra Bergabung"), nik=NIKS[0])
    make_imported(kop, "081377770001", full_name="Rudi Impor", nik=NIKS[1], number="KSB-L0001")
    done = make_imported(kop, "081377770002", full_name="Sari Terkonfirmasi", nik=NIKS[2], number="KSB-L0002")
    done.claimed_at = utcnow()
    db.session.commit()
    page = teller.get(f"/k/{kop.slug}/office/members").text
    rows = {line.split("</strong> ")[1].split(" <")[0]: line for line in page.split("<li>") if "</strong>" in line}
    assert "Belum dikonfirmasi" in rows["Rudi Impor"]
    assert "Belum dikonfirmasi" not in rows["Sari Terkonfirmasi"] and "Belum dikonfirmasi" not in rows["Citra Bergabung"]
    only = teller.get(f"/k/{kop.slug}/office/members?status=unconfirmed").text
    assert "Anggota ditemukan: 1" in only and "Rudi Impor" in only and "Sari Terkonfirmasi" not in only
    teller.post("/language", data={"lang": "en", "next": "/"})
    english = teller.get(f"/k/{kop.slug}/office/members").text
    assert "Not confirmed" in english and "Imported, not confirmed yet" in english


def test_members_search_under_htmx_returns_the_results_only(kop, make_member, teller):
    make_member(kop)
    page = measure(teller, f"/k/{kop.slug}/office/members")
    fragment = teller.get(f"/k/{kop.slug}/office/members?q=Anggota",
                          headers={"HX-Request": "true", "HX-Target": "results"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="results"')
    assert "Anggota Koperasi" in fragment.text
    assert len(fragment.data) < len(page.body.encode()) / 2


def test_members_csv(kop, make_member, make_user, teller):
    make_member(kop, user=make_user(full_name="=HYPERLINK(\"http://x\")", mobile="081211112222"), nik=NIKS[0])
    make_member(kop, user=make_user(full_name="Budi Biasa"), nik=NIKS[1], status="resigning")
    response = teller.get(f"/k/{kop.slug}/office/members.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Nomor anggota", "Nama", "Status"]
    assert rows[1][1] == "'=HYPERLINK(\"http://x\")"  # a spreadsheet shows it as text, never runs it
    assert rows[1][4] == "+6281211112222" or rows[1][4].lstrip("'").endswith("81211112222")
    assert NIKS[0] not in response.text and NIKS[0][:4] + "••••••••" + NIKS[0][-4:] in response.text
    only_resigning = teller.get(f"/k/{kop.slug}/office/members.csv?status=resigning")
    assert [r[1] for r in csv.reader(io.StringIO(only_resigning.data.decode("utf-8-sig")))][1:] == ["Budi Biasa"]


def test_member_detail_and_confirm_resignation(kop, make_member, pengurus, db):
    membership = make_member(kop, status="resigning")
    page = pengurus.get(f"/k/{kop.slug}/office/members/{membership.id}")
    assert VALID_NIK not in page.text and "Konfirmasi pengunduran diri" in page.text
    response = pengurus.post(f"/k/{kop.slug}/office/members/{membership.id}/confirm-resignation")
    assert "Berhenti" in pengurus.get(response.headers["Location"]).text
    assert reload(db, membership).status == "resigned"


# ---------------------------------------------------------------- the access matrix

READ_PAGES = ["/k/{slug}/office/applications", "/k/{slug}/office/applications/{app_id}",
              "/k/{slug}/office/members", "/k/{slug}/office/members.csv", "/k/{slug}/office/members/{member_id}"]
CHANGES = [
    ("/k/{slug}/office/applications/{app_id}/approve", {}),
    ("/k/{slug}/office/applications/{app_id}/reject", {"reason": "Tidak memenuhi syarat domisili."}),
    ("/k/{slug}/office/members/{resigning_id}/confirm-resignation", {}),
]


@pytest.fixture
def world(app, kop, make_koperasi, make_member, make_staff, make_user, db):
    """Koperasi A with an application, a member and a resigning member; koperasi B with its own."""
    other = make_koperasi(name="Koperasi Lain", member_prefix="LAIN")
    ids = dict(
        slug=kop.slug,
        app_id=make_member(kop, status="applied", nik=NIKS[0]).id,
        member_id=make_member(kop, nik=NIKS[1]).id,
        resigning_id=make_member(kop, status="resigning", nik=NIKS[2]).id,
    )
    b_member = make_member(other, nik=NIKS[3])
    member_of_a = db.session.get(Membership, ids["member_id"]).user
    clients = {
        "anonymous": app.test_client(),
        "stranger": login(app.test_client(), make_user(full_name="Orang Asing")),
        "member": login(app.test_client(), member_of_a),
        "staff_of_b": login(app.test_client(), make_staff(other, "admin")),
        "pengawas": login(app.test_client(), make_staff(kop, "pengawas")),
        "teller": login(app.test_client(), make_staff(kop, "teller")),
    }
    return dict(ids=ids, other=other, b_member=b_member, clients=clients)


def _state(db) -> list[tuple]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(Membership.id, Membership.status, Membership.member_number,
                                             Membership.rejection_reason).order_by(Membership.id)))


@pytest.mark.parametrize("url", READ_PAGES)
@pytest.mark.parametrize("who, expected", [("anonymous", 303), ("stranger", 404), ("member", 404),
                                           ("staff_of_b", 404), ("pengawas", 200), ("teller", 200)])
def test_read_access(world, url, who, expected):
    response = world["clients"][who].get(url.format(**world["ids"]))
    assert response.status_code == expected
    if expected == 303:
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("url, data", CHANGES)
@pytest.mark.parametrize("who, expected", [("anonymous", 303), ("stranger", 404), ("member", 404),
                                           ("staff_of_b", 404), ("pengawas", 403), ("teller", 403)])
def test_change_access_changes_nothing(world, db, url, data, who, expected):
    before = _state(db)
    response = world["clients"][who].post(url.format(**world["ids"]), data=data)
    assert response.status_code == expected
    assert _state(db) == before


@pytest.mark.parametrize("url", READ_PAGES[1:2] + READ_PAGES[4:])
def test_another_koperasis_rows_do_not_exist_under_its_own_slug(world, url):
    """Staff of B guessing A's ids under B's slug get 404, never A's data."""
    ids = dict(world["ids"], slug=world["other"].slug)
    response = world["clients"]["staff_of_b"].get(url.format(**ids))
    assert response.status_code == 404
    assert VALID_NIK[:10] not in response.text


@pytest.mark.parametrize("url, data", CHANGES)
def test_another_koperasis_rows_cannot_be_changed_under_its_own_slug(world, db, url, data):
    before = _state(db)
    ids = dict(world["ids"], slug=world["other"].slug)
    assert world["clients"]["staff_of_b"].post(url.format(**ids), data=data).status_code == 404
    assert _state(db) == before


def test_staff_of_b_csv_holds_only_b(world):
    text = world["clients"]["staff_of_b"].get(f"/k/{world['other'].slug}/office/members.csv").text
    assert world["b_member"].member_number in text and "KSB-" not in text


def test_pengawas_sees_no_decision_buttons(world):
    page = world["clients"]["pengawas"].get("/k/{slug}/office/applications/{app_id}".format(**world["ids"])).text
    assert 'value="approve"' not in page and 'value="reject"' not in page


# ---------------------------------------------------------------- concurrency

@pytest.mark.postgres_only
def test_concurrent_approvals_get_different_numbers(app, kop, make_member, make_user, db):
    ids = [make_member(kop, user=make_user(full_name=f"Serentak {n}"), status="applied", nik=NIKS[n]).id
           for n in range(2)]
    staff_id = kop.created_by_id
    barrier, errors = threading.Barrier(2), []

    def approve_in_own_connection(membership_id):
        try:
            with app.app_context():
                membership = db.session.get(Membership, membership_id)
                barrier.wait(timeout=10)
                approve(membership, db.session.get(User, staff_id))
                db.session.commit()
        except Exception as error:  # reported to the test thread below
            errors.append(error)

    threads = [threading.Thread(target=approve_in_own_connection, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    db.session.expire_all()
    numbers = sorted(db.session.scalars(sa.select(Membership.member_number).where(Membership.id.in_(ids))))
    assert numbers == ["KSB-00001", "KSB-00002"]


# ---------------------------------------------------------------- budgets

def _within_budget(result, url):
    assert result.status == 200, url
    assert len(result.queries) <= MAX_QUERIES, f"{url}: {len(result.queries)} queries"
    assert result.html_gzip <= MAX_HTML_GZIP, f"{url}: {result.html_gzip} bytes gzipped"


def test_office_pages_budget(kop, make_member, make_user, teller):
    pending = [make_member(kop, user=make_user(full_name=f"Pemohon Nomor {n}"), status="applied", nik=NIKS[n])
               for n in range(30)]
    active = [make_member(kop, user=make_user(full_name=f"Anggota Nomor {n}"), nik=NIKS[100 + n])
              for n in range(60)]
    for url in (f"/k/{kop.slug}/office/applications", f"/k/{kop.slug}/office/applications/{pending[0].id}",
                f"/k/{kop.slug}/office/members", f"/k/{kop.slug}/office/members/{active[0].id}",
                f"/k/{kop.slug}/office/members?q=Nomor&status=active&page=2"):
        _within_budget(measure(teller, url), url)
    csv_result = measure(teller, f"/k/{kop.slug}/office/members.csv")
    assert csv_result.status == 200 and len(csv_result.queries) <= MAX_QUERIES
    assert csv_result.body.count("\n") == 61
