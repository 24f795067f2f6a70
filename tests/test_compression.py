"""Pages go out compressed to a phone that accepts it (brotli, else gzip): the same bytes once
unpacked, several times fewer on paid data; what is already packed (photos, PDFs) is left alone."""

from __future__ import annotations

import gzip

import brotli

from tests.conftest import login


def test_a_page_goes_out_in_brotli_and_unpacks_to_the_same_page(client, make_koperasi):
    for n in range(6):
        make_koperasi(name=f"Koperasi Contoh {n}")
    plain = client.get("/koperasi")
    packed = client.get("/koperasi", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert "Content-Encoding" not in plain.headers  # a client that asks for nothing gets the page as it is
    assert packed.headers["Content-Encoding"] == "br" and "Accept-Encoding" in packed.headers["Vary"]
    assert brotli.decompress(packed.data) == plain.data
    assert len(packed.data) * 3 < len(plain.data)  # the directory's HTML: a third or less on the wire


def test_gzip_when_brotli_is_not_accepted_and_fragments_too(client, make_koperasi):
    make_koperasi(name="Koperasi Satu")
    page = client.get("/koperasi", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert b"Koperasi Satu" in gzip.decompress(page.data)
    fragment = client.get("/koperasi?q=satu", headers={"Accept-Encoding": "gzip", "HX-Request": "true",
                                                       "HX-Target": "results"})
    vary = fragment.headers["Vary"]
    assert "HX-Request" in vary and "Accept-Encoding" in vary  # a cache keeps page and fragment apart
    body = gzip.decompress(fragment.data) if fragment.headers.get("Content-Encoding") else fragment.data
    assert b"Koperasi Satu" in body and b"<html" not in body


def test_what_is_already_packed_is_not_packed_again(app, make_koperasi):
    client = app.test_client()
    profile = client.get(f"/k/{make_koperasi().slug}", headers={"Accept-Encoding": "br"})
    assert profile.headers["Content-Encoding"] == "br"
    icon = client.get("/static/icons/icon-192.png", headers={"Accept-Encoding": "br"})
    assert icon.status_code == 200 and "Content-Encoding" not in icon.headers  # a PNG is packed already


def test_a_logged_in_page_is_compressed_and_still_private(app, make_user):
    client = login(app.test_client(), make_user())
    page = client.get("/account", headers={"Accept-Encoding": "br"})
    assert page.headers["Content-Encoding"] == "br"
    assert "private" in page.headers.get("Cache-Control", "") or "no-store" in page.headers.get("Cache-Control", "")


def test_the_stylesheet_and_scripts_go_out_in_brotli_when_taken(client):
    """Static files are packed once (web/assets.py): brotli for a browser, gzip for the rest."""
    page = client.get("/").text
    for name in ("css/kopz.css", "js/kopz.js"):
        url = next(part for part in page.split('"') if part.startswith(f"/static/{name.split('.')[0]}."))
        plain = client.get(url)
        packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        gzipped = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert packed.headers["Content-Encoding"] == "br" and gzipped.headers["Content-Encoding"] == "gzip"
        assert brotli.decompress(packed.data) == plain.data == gzip.decompress(gzipped.data)
        assert len(packed.data) < len(gzipped.data)
