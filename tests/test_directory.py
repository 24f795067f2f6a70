"""Finding a koperasi: search, filters, nearest first, the map, profiles, budgets."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from models import directory
from models.koperasi import Koperasi, KoperasiLogo
from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure

BANDUNG = dict(province_code="32", regency_code="32.73", district_code="32.73.01", lat=-6.9147, lng=107.6098)
BOGOR = dict(province_code="32", regency_code="32.01", district_code=None, lat=-6.5950, lng=106.8166)
JAKARTA = dict(province_code="31", regency_code="31.71", district_code=None, lat=-6.1865, lng=106.8341)
MEDAN = dict(province_code="12", regency_code="12.71", district_code=None, lat=3.5952, lng=98.6722)
AT_BANDUNG = "lat=-6.9147&lng=107.6098"


def names(html: str) -> list[str]:
    """The koperasi names in the result list, in order."""
    return re.findall(r'<a class="hit"[^>]*>\s*<strong>([^<]+)</strong>', html)


def results(html: str) -> str:
    return html[html.index('<div id="results"'):]


# ---------------------------------------------------------------- search and filters

def test_search_by_name_ignores_case(client, make_koperasi):
    make_koperasi(name="Koperasi Maju Jaya")
    make_koperasi(name="Koperasi Tani Makmur")
    html = client.get("/koperasi?q=MAJU").text
    assert names(html) == ["Koperasi Maju Jaya"]
    assert 'value="MAJU"' in html  # the typed text stays in the box


def test_search_treats_percent_as_text(client, make_koperasi):
    make_koperasi(name="Koperasi Maju Jaya")
    assert names(client.get("/koperasi?q=%25").text) == []
    assert "Koperasi tidak ditemukan" in client.get("/koperasi?q=%25").text


def test_filter_by_type(client, make_koperasi):
    make_koperasi(name="Koperasi Simpan Pinjam Dago", jenis="simpan_pinjam")
    make_koperasi(name="Koperasi Syariah Amanah", jenis="syariah")
    html = client.get("/koperasi?jenis=syariah").text
    assert names(html) == ["Koperasi Syariah Amanah"]
    assert '<option selected value="syariah">' in html


def test_filter_by_service(client, make_koperasi):
    make_koperasi(name="Koperasi Toko Warga", services=["store"])
    make_koperasi(name="Koperasi Pinjaman Warga", services=["savings", "loans"])
    assert names(client.get("/koperasi?service=loans").text) == ["Koperasi Pinjaman Warga"]
    assert names(client.get("/koperasi?service=store").text) == ["Koperasi Toko Warga"]


def test_filter_by_province_and_regency(client, make_koperasi):
    make_koperasi(name="Koperasi Bandung", **BANDUNG)
    make_koperasi(name="Koperasi Bogor", **BOGOR)
    make_koperasi(name="Koperasi Jakarta", **JAKARTA)
    assert names(client.get("/koperasi?province=32").text) == ["Koperasi Bandung", "Koperasi Bogor"]
    assert names(client.get("/koperasi?province=32&regency=32.73").text) == ["Koperasi Bandung"]


def test_regency_choices_follow_the_province_without_javascript(client):
    before = client.get("/koperasi").text
    assert "Pilih provinsi dulu." in before and "Kota Bandung" not in before
    after = client.get("/koperasi?province=32").text
    assert '<option value="32.73">Kota Bandung</option>' in after
    assert "Kota Medan" not in after


def test_a_regency_from_another_province_is_ignored(client, make_koperasi):
    make_koperasi(name="Koperasi Bandung", **BANDUNG)
    make_koperasi(name="Koperasi Bogor", **BOGOR)
    html = client.get("/koperasi?province=32&regency=12.71").text
    assert names(html) == ["Koperasi Bandung", "Koperasi Bogor"]


def test_only_verified_koperasi_are_listed(client, make_koperasi):
    make_koperasi(name="Koperasi Terverifikasi")
    make_koperasi(name="Koperasi Menunggu", status="pending")
    make_koperasi(name="Koperasi Ditolak", status="rejected")
    assert names(client.get("/koperasi").text) == ["Koperasi Terverifikasi"]
    assert names(client.get("/koperasi?q=koperasi&" + AT_BANDUNG).text) == ["Koperasi Terverifikasi"]


def test_pagination_twenty_a_page(client, make_koperasi, make_user):
    admin = make_user()
    for i in range(23):
        make_koperasi(admin=admin, name=f"Koperasi Nomor {i:02d}")
    first = client.get("/koperasi").text
    assert len(names(first)) == 20 and names(first)[0] == "Koperasi Nomor 00"
    next_link = re.search(r'<a class="button secondary" href="([^"]+)">Halaman berikutnya</a>', first).group(1)
    assert "page=2" in next_link
    second = client.get(next_link.replace("&amp;", "&")).text
    assert names(second) == ["Koperasi Nomor 20", "Koperasi Nomor 21", "Koperasi Nomor 22"]
    assert "Halaman berikutnya" not in second and "Halaman sebelumnya" in second


def test_nearest_pages_continue_in_distance_order(client, make_koperasi, make_user):
    admin = make_user()
    for i in range(22):  # each a little further north of Bandung
        make_koperasi(admin=admin, name=f"Koperasi Jarak {i:02d}", **{**BANDUNG, "lat": -6.9147 + i * 0.01})
    first, second = (names(client.get(f"/koperasi?{AT_BANDUNG}&page={p}").text) for p in (1, 2))
    assert first == [f"Koperasi Jarak {i:02d}" for i in range(20)]
    assert second == ["Koperasi Jarak 20", "Koperasi Jarak 21"]


# ---------------------------------------------------------------- nearest first

def test_nearest_orders_by_distance_and_shows_it(client, make_koperasi):
    make_koperasi(name="Koperasi Medan", **MEDAN)
    make_koperasi(name="Koperasi Jakarta", **JAKARTA)
    make_koperasi(name="Koperasi Bandung", **{**BANDUNG, "lat": -6.9147 + 0.0108})  # 1.2 km north
    html = client.get("/koperasi?" + AT_BANDUNG).text
    assert names(html) == ["Koperasi Bandung", "Koperasi Jakarta", "Koperasi Medan"]
    distances = re.findall(r'<span class="distance">([^<]+)</span>', html)
    assert distances[0] == "1,2 km"
    assert distances[1] == "118 km"  # Bandung to Jakarta (Monas), as the crow flies
    assert distances[2].endswith(" km") and "." in distances[2]  # 1.4xx km, Indonesian thousands
    assert "Yang terdekat dari lokasi Anda lebih dulu." in html


def test_distance_in_english_and_in_metres(client, make_koperasi):
    make_koperasi(name="Koperasi Dekat", **{**BANDUNG, "lat": -6.9147 + 0.00765})  # 850 m
    make_koperasi(name="Koperasi Agak Jauh", **{**BANDUNG, "lat": -6.9147 + 0.0108})
    client.set_cookie("lang", "en")
    html = client.get("/koperasi?" + AT_BANDUNG).text
    assert re.findall(r'<span class="distance">([^<]+)</span>', html) == ["850 m", "1.2 km"]


@pytest.mark.parametrize("locale,km,shown", [("id", 0.004, "10 m"), ("id", 12.345, "12,3 km"),
                                             ("en", 1234.6, "1,235 km"), ("id", 1234.6, "1.235 km")])
def test_distance_format(app, locale, km, shown):
    from views.directory import distance

    with app.test_request_context(headers={"Cookie": f"lang={locale}"}):
        assert distance(km) == shown


def test_the_box_widens_until_a_far_koperasi_is_found(client, make_koperasi):
    make_koperasi(name="Koperasi Bandung", **BANDUNG)
    html = client.get("/koperasi?lat=-2.5337&lng=140.7181").text  # Jayapura, 3,400 km away
    assert names(html) == ["Koperasi Bandung"]
    assert re.search(r'<span class="distance">3\.\d{3} km</span>', html)


def test_a_near_box_never_hides_a_closer_koperasi_in_its_corner(db, make_koperasi, make_user):
    # 21 koperasi in the box's corners (~33 km away) and one just outside its edge (~26 km):
    # the one outside is nearer, so it must come first.
    admin = make_user()
    for i in range(21):
        make_koperasi(admin=admin, name=f"Koperasi Sudut {i:02d}",
                      **{**BANDUNG, "lat": -6.9147 + 0.22, "lng": 107.6098 + 0.22 + i * 0.0001})
    make_koperasi(admin=admin, name="Koperasi Dekat Tepi", **{**BANDUNG, "lat": -6.9147 + 0.235})
    page = directory.search(directory.criteria(position=(-6.9147, 107.6098)))
    assert page.hits[0].koperasi.name == "Koperasi Dekat Tepi"
    assert page.hits[0].distance_km == pytest.approx(26.1, abs=0.2)


def test_location_from_the_form_sorts_by_distance_with_other_filters(client, make_koperasi):
    make_koperasi(name="Koperasi Tani Jakarta", jenis="produsen", **JAKARTA)
    make_koperasi(name="Koperasi Tani Bandung", jenis="produsen", **BANDUNG)
    make_koperasi(name="Koperasi Toko Bandung", jenis="konsumen", **BANDUNG)
    assert names(client.get(f"/koperasi?jenis=produsen&{AT_BANDUNG}").text) == [
        "Koperasi Tani Bandung", "Koperasi Tani Jakarta"]


def test_a_note_asks_for_location_or_region(client, make_koperasi):
    assert "Izinkan lokasi atau pilih wilayah Anda" in client.get("/koperasi").text
    assert "Izinkan lokasi atau pilih wilayah Anda" not in client.get("/koperasi?province=32").text


def test_nearest_button_waits_for_javascript(client):
    html = client.get("/koperasi").text
    assert re.search(r'<button type="button" class="button secondary" id="nearest" hidden', html)
    assert 'name="lat" type="hidden"' in html and 'name="lng" type="hidden"' in html


@pytest.mark.parametrize("query,message", [
    ("lat=abc&lng=107.6", "Lokasi itu tidak terbaca"),
    ("lat=nan&lng=inf", "Lokasi itu tidak terbaca"),
    ("lat=48.85&lng=2.35", "Lokasi itu di luar Indonesia"),
])
def test_a_bad_location_is_explained_and_ignored(client, make_koperasi, query, message):
    make_koperasi(name="Koperasi Bandung", **BANDUNG)
    response = client.get("/koperasi?" + query)
    assert response.status_code == 200
    assert message in response.text and names(response.text) == ["Koperasi Bandung"]
    assert '<span class="distance">' not in response.text


@pytest.mark.parametrize("query", ["jenis=bank", "service=casino", "province=99", "province=32&regency=99.99",
                                   "page=abc", "page=-3", "page=999999", "view=satellite", "q=" + "x" * 500])
def test_unknown_codes_never_fail(client, make_koperasi, query):
    make_koperasi(name="Koperasi Bandung", **BANDUNG)
    response = client.get("/koperasi?" + query)
    assert response.status_code == 200
    assert "Cari koperasi" in response.text


# ---------------------------------------------------------------- htmx fragments

def test_results_fragment_for_htmx(client, make_koperasi):
    make_koperasi(name="Koperasi Maju Jaya")
    make_koperasi(name="Koperasi Tani Makmur")
    response = client.get("/koperasi?q=tani", headers={"HX-Request": "true", "HX-Target": "results"})
    assert response.headers["Kopz-Fragment"] == "results"
    assert response.text.lstrip().startswith('<div id="results"') and "<html" not in response.text
    assert names(response.text) == ["Koperasi Tani Makmur"]
    assert "HX-Request" in response.headers["Vary"]


def test_search_form_updates_results_as_you_type(client):
    html = client.get("/koperasi").text
    form = re.search(r'<form id="search"[^>]*>', html).group(0)
    assert 'method="get"' in form and 'hx-get="/koperasi"' in form and 'hx-target="#results"' in form
    assert 'hx-push-url="true"' in form and "input changed delay:300ms from:[name=q], change" in form
    assert '<button class="button">Cari</button>' in html  # without JavaScript, a plain GET


def test_region_fields_fragment_lists_the_province_regencies(client):
    response = client.get("/koperasi?province=12", headers={"HX-Request": "true", "HX-Target": "region_fields"})
    assert response.text.lstrip().startswith('<div id="region_fields"')
    assert "Kota Medan" in response.text and "Kota Bandung" not in response.text


# ---------------------------------------------------------------- the map

def test_map_view_shows_markers_and_loads_leaflet_only_there(client, make_koperasi):
    koperasi = make_koperasi(name='Koperasi "Kutip" <b>', **BANDUNG)
    listing = client.get("/koperasi").text
    assert "leaflet" not in listing
    html = client.get("/koperasi?view=map").text
    # kopz.js fetches Leaflet from these (hashed, immutable) URLs only when a map is on the page.
    assert re.search(r'data-leaflet-js="/static/vendor/leaflet-1\.9\.4/leaflet\.[0-9a-f]{12}\.js"', html)
    assert re.search(r'data-leaflet-css="/static/vendor/leaflet-1\.9\.4/leaflet\.[0-9a-f]{12}\.css"', html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+=", html) and not re.search(r"\sstyle=", html)
    markers = re.search(r'<div id="map"[^>]*data-markers="([^"]*)"', html).group(1)
    assert "<b>" not in markers and "&#34;url&#34;: &#34;/k/" + koperasi.slug in markers
    assert names(html) == ['Koperasi &#34;Kutip&#34; &lt;b&gt;']  # the list stays under the map
    assert "Tampilkan daftar" in html


def test_map_view_keeps_the_search(client, make_koperasi):
    make_koperasi(name="Koperasi Maju Jaya")
    html = client.get("/koperasi?q=maju").text
    assert 'href="/koperasi?q=maju&amp;view=map"' in html


# ---------------------------------------------------------------- profile

def test_profile_shows_what_joining_takes(client, make_koperasi, make_member):
    koperasi = make_koperasi(name="Koperasi Maju Jaya", pokok_idr=150_000, wajib_idr=25_000,
                             services=["savings", "store"], requirements="Fotokopi KTP.")
    make_member(koperasi)
    make_member(koperasi, nik="3273011508950002")
    make_member(koperasi, status="applied", nik="3273011508950003")
    html = client.get(f"/k/{koperasi.slug}").text
    assert "<h1>Koperasi Maju Jaya</h1>" in html and "Simpan pinjam (KSP)" in html
    assert "Rp150.000" in html and "Rp25.000" in html and "Fotokopi KTP." in html
    assert "<li>Simpanan</li>" in html and "<li>Toko</li>" in html
    assert "Anggota aktif: 2" in html
    assert f'href="/k/{koperasi.slug}/join">Gabung koperasi ini</a>' in html
    assert 'href="https://wa.me/6281234500001"' in html
    assert "https://www.openstreetmap.org/?mlat=-6.9147&amp;mlon=107.6098#map=16/-6.9147/107.6098" in html
    assert "Sukasari, Kota Bandung, Jawa Barat" in html


def test_member_sees_their_status_instead_of_join(app, make_koperasi, make_member, make_user):
    from tests.conftest import login

    koperasi = make_koperasi()
    user = make_user()
    make_member(koperasi, user=user, status="applied")
    html = login(app.test_client(), user).get(f"/k/{koperasi.slug}").text
    assert "Keanggotaan Anda: Menunggu persetujuan" in html
    assert "/join" not in html


def test_staff_see_the_office_link(app, make_koperasi, make_staff, client):
    from tests.conftest import login

    koperasi = make_koperasi()
    teller = make_staff(koperasi)
    assert f'href="/k/{koperasi.slug}/office"' in login(app.test_client(), teller).get(f"/k/{koperasi.slug}").text
    assert "/office" not in client.get(f"/k/{koperasi.slug}").text


def test_pending_profile_is_hidden_except_from_its_staff(app, client, make_koperasi, make_staff):
    from tests.conftest import login

    koperasi = make_koperasi(status="pending")
    assert client.get(f"/k/{koperasi.slug}").status_code == 404
    staff_view = login(app.test_client(), make_staff(koperasi)).get(f"/k/{koperasi.slug}")
    assert staff_view.status_code == 200 and "Belum diverifikasi" in staff_view.text
    assert "Gabung koperasi ini" not in staff_view.text


def test_unknown_profile_is_404(client):
    assert client.get("/k/tidak-ada").status_code == 404


def test_logo_is_served_and_cached(client, db, make_koperasi):
    koperasi = make_koperasi()
    assert client.get(f"/k/{koperasi.slug}/logo.webp").status_code == 404
    assert "<img" not in client.get(f"/k/{koperasi.slug}").text
    db.session.add(KoperasiLogo(koperasi_id=koperasi.id, mimetype="image/webp", data=b"RIFF\x00\x00\x00\x00WEBP"))
    koperasi.logo_version = "abc123def456"
    db.session.commit()
    html = client.get(f"/k/{koperasi.slug}").text
    assert f'<img class="logo" src="/k/{koperasi.slug}/logo.webp?v=abc123def456&amp;s=144"' in html
    response = client.get(f"/k/{koperasi.slug}/logo.webp?v=abc123def456")
    assert response.status_code == 200 and response.mimetype == "image/webp"
    assert response.data.startswith(b"RIFF") and "max-age=31536000" in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]


def test_profile_map_has_one_marker_and_no_inline_script(client, make_koperasi):
    koperasi = make_koperasi()
    html = client.get(f"/k/{koperasi.slug}").text
    assert html.count("&#34;lat&#34;") == 1 and "leaflet" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html) and not re.search(r"\sstyle=", html)


# ---------------------------------------------------------------- budgets

@pytest.fixture
def sixty(make_koperasi, make_user, db):
    """20 koperasi each in Bandung, Jakarta and Medan: enough for an N+1 to show."""
    admin = make_user()
    made = [make_koperasi(admin=admin, name=f"Koperasi {city} {i:02d}", services=["savings", "loans", "store"],
                          **{**place, "lat": place["lat"] + i * 0.001})
            for city, place in (("Bandung", BANDUNG), ("Jakarta", JAKARTA), ("Medan", MEDAN)) for i in range(20)]
    return made[0]


@pytest.mark.parametrize("url", ["/koperasi", "/koperasi?q=bandung", "/koperasi?lat=-6.1865&lng=106.8341",
                                 "/koperasi?view=map", "/koperasi?province=32&regency=32.73&service=store", "/k/"])
def test_directory_budget(client, sixty, url):
    if url == "/k/":
        url += sixty.slug
    result = measure(client, url)
    assert result.status == 200, url
    assert len(result.queries) <= MAX_QUERIES, f"{url}: {len(result.queries)} queries"
    assert result.html_gzip <= MAX_HTML_GZIP, f"{url}: {result.html_gzip} bytes gzipped"


def test_directory_budget_logged_in(user_client, sixty):
    for url in ("/koperasi?lat=-6.1865&lng=106.8341", f"/k/{sixty.slug}"):
        result = measure(user_client, url)
        assert result.status == 200 and len(result.queries) <= MAX_QUERIES, url


def test_results_fragment_is_smaller_than_the_page(client, sixty):
    page = measure(client, "/koperasi?q=koperasi")
    fragment = measure(client, "/koperasi?q=koperasi", headers={"HX-Request": "true", "HX-Target": "results"})
    assert len(names(fragment.body)) == 20
    assert len(fragment.body) < len(page.body) and fragment.html_gzip < page.html_gzip


def test_nearest_query_count_stays_small_when_widening(db, sixty):
    from tests.budget import count_queries

    with count_queries() as queries:
        page = directory.search(directory.criteria(position=(-2.5337, 140.7181)))  # Jayapura: nothing near
    assert len(page.hits) == 20 and len(queries) <= len(directory.BOX_STEPS_KM)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Koperasi)) == 60
