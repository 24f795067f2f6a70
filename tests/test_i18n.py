"""Languages: the choice order, complete catalogs, Rupiah and dates."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from babel.dates import format_datetime
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask_babel import force_locale

from web.i18n import idr

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _source_messages() -> set[str]:
    """Every message in the code and templates, extracted the way `flask translate` does."""
    method_map = [("**.py", "python"), ("**.html", "jinja2")]
    options = {"**.html": {"trimmed": "true"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    found = set()
    for folder in ("web", "models", "views", "templates"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / folder, method_map, options, keywords=keywords
        ):
            found.add(message if isinstance(message, str) else tuple(message))
    return found


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_message_is_translated(lang):
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale=lang)
    missing, broken = [], []
    for msgid in sorted(_source_messages(), key=str):
        singular = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = catalog.get(singular)
        strings = entry.string if entry and isinstance(entry.string, tuple) else (entry.string,) if entry else ()
        if entry is None or not all(strings) or entry.fuzzy:
            missing.append(singular)
        elif any(set(PLACEHOLDER.findall(singular)) - set(PLACEHOLDER.findall(s)) - {"num"} for s in strings):
            broken.append(singular)
    assert not missing, f"{lang}: untranslated (run `flask translate` and fill in): {missing[:10]}"
    assert not broken, f"{lang}: placeholders differ: {broken[:10]}"


def test_default_is_indonesian(client):
    assert '<html lang="id">' in client.get("/").text


def test_accept_language_english(client):
    html = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert '<html lang="en">' in html and "Find a koperasi" in html


def test_cookie_beats_accept_language(client):
    client.post("/language", data={"lang": "id", "next": "/login"})
    html = client.get("/", headers={"Accept-Language": "en"}).text
    assert '<html lang="id">' in html


def test_language_switch_returns_to_the_page(client):
    response = client.post("/language", data={"lang": "en", "next": "/register"})
    assert response.status_code == 303 and response.headers["Location"] == "/register"
    assert "Create an account" in client.get("/register").text


def test_language_switch_never_leaves_the_site(client):
    response = client.post("/language", data={"lang": "en", "next": "https://evil.example"})
    assert response.headers["Location"] == "/"


def test_saved_choice_beats_cookie_and_follows_the_user(app, user_client, user, db):
    user_client.post("/language", data={"lang": "en"})
    db.session.refresh(user)
    assert user.locale == "en"
    other_phone = app.test_client()
    other_phone.set_cookie("lang", "id")
    other_phone.post("/login", data={"login": user.mobile, "password": "rahasia-123"})
    assert '<html lang="en">' in other_phone.get("/").text


def test_unknown_language_falls_back(client):
    client.post("/language", data={"lang": "xx"})
    assert '<html lang="id">' in client.get("/").text


def test_rupiah_in_both_locales(app):
    with app.test_request_context():
        with force_locale("id"):
            assert idr(1500000) == "Rp1.500.000" and idr(-2500) == "-Rp2.500" and idr(0) == "Rp0"
        with force_locale("en"):
            assert idr(1500000) == "Rp1,500,000"


def test_dates_are_shown_in_jakarta_time(app):
    """20:30 UTC on 1 January is 03:30 on 2 January in WIB: the user sees the local
    day and hour, in their language's own short format (whatever CLDR's version)."""
    with app.test_request_context():
        render = app.jinja_env.from_string("{{ when|datetime('short') }}").render
        for lang in ("id", "en"):
            with force_locale(lang):
                shown = render(when=datetime(2026, 1, 1, 20, 30))
                assert shown == format_datetime(datetime(2026, 1, 2, 3, 30), "short", locale=lang)
                assert shown != format_datetime(datetime(2026, 1, 1, 20, 30), "short", locale=lang)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_catalogs_compile_without_format_errors(lang):
    # A format error makes the compiler drop the message: users would see the English text.
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale=lang)
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []
