"""When the database is down or locked, users get the branded "busy" page in their
language, never Werkzeug's bare English "Internal Server Error"."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from web.extensions import login_manager


def _down(*args, **kwargs):
    raise OperationalError("SELECT 1", {}, Exception("connection to server at 127.0.0.1 refused"))


@pytest.fixture
def outage(monkeypatch):
    """The database stops answering: loading the logged-in user fails like everything else."""
    monkeypatch.setattr(login_manager, "_user_callback", _down)


@pytest.mark.parametrize(("lang", "title"), [("id", "Sedang sibuk"), ("en", "Busy right now")])
def test_a_logged_in_user_gets_the_busy_page_in_their_language(app, user, outage, lang, title):
    client = app.test_client()
    client.set_cookie("lang", lang)
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}"  # a logged-in browser whose user cannot be loaded now
    response = client.get("/cards")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    html = response.get_data(as_text=True)
    assert title in html and "Internal Server Error" not in html
    assert '<html lang="' + lang in html


def test_a_locked_sqlite_database_is_busy_not_broken(app, client, monkeypatch):
    from views import directory

    def locked(*args, **kwargs):
        raise OperationalError("UPDATE ...", {}, Exception("database is locked"))

    monkeypatch.setattr(directory, "render", locked)
    response = client.get("/koperasi", headers={"Accept-Language": "id"})
    assert response.status_code == 503
    assert "Sedang sibuk" in response.get_data(as_text=True)


def test_an_htmx_request_gets_the_small_busy_fragment(app, user, outage):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}"
    response = client.get("/cards", headers={"HX-Request": "true", "HX-Target": "main"})
    assert response.status_code == 503
    assert "<html" not in response.get_data(as_text=True)
