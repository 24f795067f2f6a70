"""Joining a koperasi, the wallet of cards, card verification, resigning."""

from __future__ import annotations

import re
from html import unescape

import pytest
import segno
import sqlalchemy as sa

from models.membership import Membership, card_token
from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, MAX_QUERIES_MEMBER_PAGE, measure
from tests.conftest import VALID_NIK, login

OTHER_NIK = "3273014101900002"  # Kota Bandung, a woman born 1990-01-01


def join_data(**overrides) -> dict:
    data = dict(full_name="Siti Rahmawati", nik=VALID_NIK, address="Jl. Cihampelas No. 5, Bandung",
                occupation="Penjahit", is_umkm="y", business_name="Jahit Siti", agree="y",
                consent="y")
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def memberships(db, user=None) -> list[Membership]:
    query = sa.select(Membership).order_by(Membership.id)
    if user is not None:
        query = query.where(Membership.user_id == user.id)
    return list(db.session.scalars(query))


def qr_images(html: str) -> list[str]:
    return [unescape(src) for src in re.findall(r'<img class="kcard-qr" src="([^"]+)"', html)]



def qr_for(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=1, border=2, light="#fff")


# ---------------------------------------------------------------- joining

def test_join_page_shows_rules_and_fees_and_prefills_name(make_koperasi, make_user, app):
    koperasi = make_koperasi(requirements="Warga Kelurahan Dago, membawa KTP.", pokok_idr=150_000, wajib_idr=25_000)
    user = make_user(full_name="Budi Santoso")
    page = login(app.test_client(), user).get(f"/k/{koperasi.slug}/join")
    assert page.status_code == 200
    assert "Warga Kelurahan Dago, membawa KTP." in page.text
    assert "Rp150.000" in page.text and "Rp25.000" in page.text
    assert 'value="Budi Santoso"' in page.text


def test_join_happy_path(make_koperasi, user_client, user, db):
    koperasi = make_koperasi(name="Koperasi Maju Jaya")
    response = user_client.post(f"/k/{koperasi.slug}/join", data=join_data())
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/cards")
    [membership] = memberships(db, user)
    assert (membership.status, membership.nik, membership.business_name) == ("applied", VALID_NIK, "Jahit Siti")
    # What the NIK encodes is kept for the regulator's report: a woman (day + 40), her birth date, district.
    other = user_client.post(f"/k/{make_koperasi(name='Koperasi Lain').slug}/join", data=join_data(nik=OTHER_NIK))
    assert other.status_code == 303
    second = memberships(db, user)[1]
    assert (second.gender, str(second.birth_date), second.region_code) == ("P", "1990-01-01", "32.73.01")
    cards = user_client.get("/cards")
    assert "Koperasi Maju Jaya" in cards.text
    assert "Menunggu persetujuan" in cards.text  # the flash and the application's status


def test_join_requires_login(make_koperasi, client):
    koperasi = make_koperasi()
    response = client.get(f"/k/{koperasi.slug}/join")
    assert response.status_code == 303 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("overrides, message, field_id", [
    ({"nik": "1234"}, "Masukkan 16 digit NIK persis seperti di KTP Anda.", "nik-err"),
    ({"agree": None}, "Anda harus menyetujui aturan koperasi untuk bergabung.", "agree-err"),
    ({"consent": None}, "Untuk bergabung, centang bahwa Anda setuju", "consent-err"),
    ({"business_name": ""}, "Masukkan nama usaha Anda.", "business_name-err"),
])
def test_join_bad_input_keeps_values_and_saves_nothing(make_koperasi, user_client, db, overrides, message,
                                                       field_id):
    koperasi = make_koperasi()
    response = user_client.post(f"/k/{koperasi.slug}/join", data=join_data(**overrides))
    assert response.status_code == 422
    assert f'id="{field_id}"' in response.text and message in response.text
    assert 'value="Siti Rahmawati"' in response.text
    assert "Jl. Cihampelas No. 5, Bandung" in response.text
    assert memberships(db) == []


def test_join_fragment_under_htmx_is_the_form_only(make_koperasi, user_client):
    koperasi = make_koperasi()
    response = user_client.post(f"/k/{koperasi.slug}/join", data=join_data(nik="1"),
                                headers={"HX-Request": "true", "HX-Target": "join_form"})
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<form id="join_form"')


def test_cannot_apply_twice(make_koperasi, user_client, user, db):
    koperasi = make_koperasi()
    assert user_client.post(f"/k/{koperasi.slug}/join", data=join_data()).status_code == 303
    again = user_client.post(f"/k/{koperasi.slug}/join", data=join_data())
    assert again.status_code == 422
    assert "Anda sudah punya pengajuan atau keanggotaan aktif di sini." in again.text
    assert len(memberships(db, user)) == 1
    # The page itself says so instead of offering the form again.
    page = user_client.get(f"/k/{koperasi.slug}/join")
    assert 'id="join_form"' not in page.text


def test_member_cannot_apply_again(make_koperasi, make_member, user, user_client, db):
    koperasi = make_koperasi()
    make_member(koperasi, user=user)
    response = user_client.post(f"/k/{koperasi.slug}/join", data=join_data())
    assert response.status_code == 422
    assert len(memberships(db, user)) == 1


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_cannot_apply_to_an_unverified_koperasi(make_koperasi, user_client, db, status):
    koperasi = make_koperasi(status=status)
    assert user_client.get(f"/k/{koperasi.slug}/join").status_code == 404
    assert user_client.post(f"/k/{koperasi.slug}/join", data=join_data()).status_code == 404
    assert memberships(db) == []


def test_unverified_koperasi_refuses_even_its_own_staff(make_koperasi, make_user, app, db):
    admin = make_user(full_name="Pengurus Baru")
    koperasi = make_koperasi(admin=admin, status="pending")
    response = login(app.test_client(), admin).post(f"/k/{koperasi.slug}/join", data=join_data())
    assert response.status_code == 422
    assert "Koperasi ini belum menerima anggota." in response.text
    assert memberships(db) == []


def test_reapply_after_rejection(make_koperasi, make_member, user, user_client, db):
    koperasi = make_koperasi()
    make_member(koperasi, user=user, status="rejected")
    cards = user_client.get("/cards")
    assert "Data KTP tidak cocok." in cards.text and "Ditolak" in cards.text
    assert f'href="/k/{koperasi.slug}/join"' in cards.text  # Reapply
    response = user_client.post(f"/k/{koperasi.slug}/join", data=join_data())
    assert response.status_code == 303
    assert [m.status for m in memberships(db, user)] == ["rejected", "applied"]
    # The old rejection no longer shows once a new application replaces it.
    assert "Data KTP tidak cocok." not in user_client.get("/cards").text


# ---------------------------------------------------------------- cards and verification

def test_cards_show_one_card_per_koperasi_with_a_qr_of_its_signed_link(make_koperasi, make_member, user,
                                                                     user_client):
    one = make_koperasi(name="Koperasi Satu", member_prefix="SAT")
    two = make_koperasi(name="Koperasi Dua", member_prefix="DUA")
    first, second = make_member(one, user=user), make_member(two, user=user)
    page = user_client.get("/cards")
    assert page.status_code == 200
    assert "Koperasi Satu" in page.text and "Koperasi Dua" in page.text
    assert "SAT-00001" in page.text and "DUA-00001" in page.text
    images = qr_images(page.text)
    assert len(images) == 2
    for membership in (first, second):
        url = f"http://localhost/v/{card_token(membership)}"
        assert qr_for(url) in images  # the QR is exactly the code of this card's link
        check = user_client.get(url)
        assert check.status_code == 200 and "Aktif" in check.text
        assert membership.member_number in check.text


def test_a_cards_qr_code_is_drawn_once(make_koperasi, make_member, user, user_client, monkeypatch):
    """The token never changes, so the code is drawn on the first visit and kept (it was most of
    the page's time); the second visit shows the same code without drawing it again."""
    make_member(make_koperasi(name="Koperasi Sekali", member_prefix="SKL"), user=user)
    drawn = []
    real = segno.make
    monkeypatch.setattr(segno, "make", lambda *a, **k: drawn.append(a[0]) or real(*a, **k))
    first = qr_images(user_client.get("/cards").text)
    second = qr_images(user_client.get("/cards").text)
    assert first == second and len(first) == 1
    assert len(drawn) <= 1  # at most once (none if an earlier test already drew this link)


def test_cards_page_can_be_kept_offline(make_koperasi, make_member, user, user_client):
    make_member(make_koperasi(), user=user)
    response = user_client.get("/cards")
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.mimetype == "text/html"
    assert "Kopz-Fragment" not in response.headers


def test_cards_page_without_login_invites_to_log_in(client):
    page = client.get("/cards")
    assert page.status_code == 200
    assert "/login?next=" in page.text


def test_card_shows_logo_when_uploaded_else_initial(make_koperasi, make_member, user, user_client, db):
    with_logo, without = make_koperasi(name="Koperasi Logo"), make_koperasi(name="Warung Bersama")
    with_logo.logo_version = "abc123"
    db.session.commit()
    make_member(with_logo, user=user)
    make_member(without, user=user)
    page = user_client.get("/cards").text
    assert f'src="/k/{with_logo.slug}/logo.webp?v=abc123&amp;s=80"' in page
    assert '<span class="kcard-logo" aria-hidden="true">W</span>' in page


def test_tampered_token_is_not_valid(make_koperasi, make_member, client):
    membership = make_member(make_koperasi())
    token = card_token(membership)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(f"/v/{tampered}")
    assert response.status_code == 404
    assert "Kartu ini tidak sah." in response.text
    assert membership.member_number not in response.text


def test_application_token_is_not_a_card(make_koperasi, make_member, client):
    membership = make_member(make_koperasi(), status="applied")
    assert client.get(f"/v/{card_token(membership)}").status_code == 404


def test_resigned_card_is_inactive(make_koperasi, make_member, make_staff, user, user_client, app, db):
    koperasi = make_koperasi()
    membership = make_member(koperasi, user=user, status="resigning")
    pengurus = login(app.test_client(), make_staff(koperasi, "pengurus"))  # the board confirms resignations
    assert pengurus.post(f"/k/{koperasi.slug}/office/members/{membership.id}/confirm-resignation").status_code == 303
    page = user_client.get("/cards").text
    assert 'class="kcard inactive"' in page and "Berhenti" in page
    assert qr_images(page) == []  # no code to show for a card that no longer works
    check = user_client.get(f"/v/{card_token(membership)}")
    assert check.status_code == 200 and "Tidak aktif" in check.text


def test_verify_page_shows_nothing_personal(make_koperasi, make_member, make_user, client):
    person = make_user(full_name="Ratna Pribadi", mobile="081299887766")
    membership = make_member(make_koperasi(name="Koperasi Terbuka"), user=person)
    page = client.get(f"/v/{card_token(membership)}").text
    assert "Koperasi Terbuka" in page and membership.member_number in page
    for secret in (VALID_NIK, VALID_NIK[:4], "Ratna Pribadi", "081299887766", "Jl. Dago"):
        assert secret not in page


# ---------------------------------------------------------------- my page in a koperasi

def test_me_shows_card_masked_nik_and_pokok_owed(make_koperasi, make_member, user, user_client):
    koperasi = make_koperasi(pokok_idr=100_000)
    membership = make_member(koperasi, user=user)
    page = user_client.get(f"/k/{koperasi.slug}/me")
    assert page.status_code == 200
    assert membership.member_number in page.text
    assert "3273••••••••0001" in page.text and VALID_NIK not in page.text
    assert "Rp100.000" in page.text
    assert len(qr_images(page.text)) == 1


def test_another_member_sees_only_their_own_page(make_koperasi, make_member, make_user, user, user_client, app):
    koperasi = make_koperasi()
    mine = make_member(koperasi, user=user)
    other = make_user(full_name="Anggota Lain")
    theirs = make_member(koperasi, user=other, nik=OTHER_NIK)
    page = login(app.test_client(), other).get(f"/k/{koperasi.slug}/me").text
    assert theirs.member_number in page and mine.member_number not in page and user.full_name not in page
    stranger = login(app.test_client(), make_user(full_name="Orang Asing"))
    assert stranger.get(f"/k/{koperasi.slug}/me").status_code == 404
    assert stranger.get(f"/k/{koperasi.slug}/me/resign").status_code == 404
    assert stranger.post(f"/k/{koperasi.slug}/me/resign").status_code == 404
    assert user_client.get(f"/k/{koperasi.slug}/me").status_code == 200


def test_me_requires_login(make_koperasi, client):
    response = client.get(f"/k/{make_koperasi().slug}/me")
    assert response.status_code == 303 and "/login" in response.headers["Location"]


def test_resign_asks_to_confirm_then_requests(make_koperasi, make_member, user, user_client, db):
    koperasi = make_koperasi()
    membership = make_member(koperasi, user=user)
    me = user_client.get(f"/k/{koperasi.slug}/me").text
    assert f'href="/k/{koperasi.slug}/me/resign"' in me
    confirm = user_client.get(f"/k/{koperasi.slug}/me/resign")
    assert confirm.status_code == 200 and "Ya, ajukan keluar" in confirm.text
    db.session.refresh(membership)
    assert membership.status == "active"  # looking at the confirmation changes nothing
    response = user_client.post(f"/k/{koperasi.slug}/me/resign")
    assert response.status_code == 303
    db.session.refresh(membership)
    assert membership.status == "resigning"
    assert "Mengajukan berhenti" in user_client.get("/cards").text


def test_resign_twice_is_refused(make_koperasi, make_member, user, user_client):
    koperasi = make_koperasi()
    make_member(koperasi, user=user, status="resigning")
    response = user_client.post(f"/k/{koperasi.slug}/me/resign")
    assert response.status_code == 422


# ---------------------------------------------------------------- budgets

def _within_budget(result, url, queries: int = MAX_QUERIES):
    assert result.status == 200, url
    assert len(result.queries) <= queries, f"{url}: {len(result.queries)} queries"
    assert result.html_gzip <= MAX_HTML_GZIP, f"{url}: {result.html_gzip} bytes gzipped"


def test_cards_budget_with_five_cards(make_koperasi, make_member, user, user_client):
    for n in range(5):
        koperasi = make_koperasi(name=f"Koperasi Nomor {n}", member_prefix=f"K{n}")
        make_member(koperasi, user=user)
    for n in range(3):  # applications too
        make_member(make_koperasi(name=f"Koperasi Calon {n}"), user=user, status="rejected")
    result = measure(user_client, "/cards")
    assert len(qr_images(result.body)) == 5
    _within_budget(result, "/cards")


def test_cards_queries_do_not_grow_with_cards(make_koperasi, make_member, user, user_client):
    make_member(make_koperasi(member_prefix="A"), user=user)
    one = len(measure(user_client, "/cards").queries)
    for n in range(4):
        make_member(make_koperasi(member_prefix=f"B{n}"), user=user)
    assert len(measure(user_client, "/cards").queries) == one


def test_me_budget(make_koperasi, make_member, user, user_client):
    koperasi = make_koperasi()
    make_member(koperasi, user=user)
    _within_budget(measure(user_client, f"/k/{koperasi.slug}/me"), f"/k/{koperasi.slug}/me", MAX_QUERIES_MEMBER_PAGE)
