"""The map's tile server is a setting: development uses the public OSM tiles, production
only its own; the CSP names exactly that server; without one there is no map, only the list."""

from __future__ import annotations

import pytest

from web import config
from web.security import csp, tile_source


def test_development_defaults_to_osm_with_its_attribution(monkeypatch):
    monkeypatch.delenv("KOPZ_MAP_TILES_URL", raising=False)
    monkeypatch.delenv("KOPZ_MAP_TILES_ATTRIBUTION", raising=False)
    cfg = config.load("development")
    assert cfg["MAP_TILES_URL"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "OpenStreetMap" in cfg["MAP_TILES_ATTRIBUTION"]


def test_production_shows_maps_only_from_its_own_tile_server(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-key-of-32-characters")
    for name, value in config.development_data_keys().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KOPZ_MAP_TILES_URL", raising=False)
    assert config.load("production")["MAP_TILES_URL"] == ""
    monkeypatch.setenv("KOPZ_MAP_TILES_URL", "https://{s}.peta.koperasi.example/{z}/{x}/{y}.png")
    monkeypatch.setenv("KOPZ_MAP_TILES_ATTRIBUTION", "© Peta Koperasi")
    cfg = config.load("production")
    assert cfg["MAP_TILES_ATTRIBUTION"] == "© Peta Koperasi"
    assert "img-src 'self' data: blob: https://*.peta.koperasi.example;" in csp(cfg["MAP_TILES_URL"])


@pytest.mark.parametrize("url,source", [
    ("", ""),
    ("/tiles/{z}/{x}/{y}.png", ""),  # our own server: 'self' covers it
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
    ("http://127.0.0.1:8080/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
])
def test_the_policy_names_the_tile_origin(url, source):
    assert tile_source(url) == source


def test_a_tile_host_the_policy_cannot_name_stops_the_start():
    with pytest.raises(config.ConfigError):
        tile_source("https://tiles.{s}.example.org/{z}/{x}/{y}.png")


def test_pages_carry_the_tile_server_in_their_policy(client, app, monkeypatch, make_koperasi):
    make_koperasi(name="Koperasi Priangan Sejahtera")
    html = client.get("/koperasi?view=map")
    assert "https://tile.openstreetmap.org" in html.headers["Content-Security-Policy"]
    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in html.text
    monkeypatch.setitem(app.config, "MAP_TILES_URL", "")
    listing = client.get("/koperasi?view=map")
    assert "openstreetmap" not in listing.headers["Content-Security-Policy"]
    assert 'id="map"' not in listing.text and "Tampilkan peta" not in listing.text
    assert "Koperasi Priangan Sejahtera" in listing.text
