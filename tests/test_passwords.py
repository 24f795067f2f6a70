"""Password rules (one function for registration, change and reset) and a registration that does not
tell whether a number or e-mail already has an account."""

from __future__ import annotations

import re
import unicodedata

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from models.accounts import MAX_PASSWORD, User, authenticate, common_passwords, password_problem
from tests.conftest import PASSWORD, login

NAME, MOBILE = "Rina Wulandari", "+6281311112222"


def _register(client, **overrides):
    data = {"full_name": NAME, "mobile": "0813 1111 2222", "email": "", "password": "sandi-aman-1", **overrides}
    return client.post("/register", data=data)


def _main(html: str) -> str:
    """The page's main part without what differs on every response (the CSRF token, nonces)."""
    main = html[html.index("<main"):html.index("</main>")]
    return re.sub(r'<input[^>]*csrf_token[^>]*>|nonce="[^"]*"', "", main)


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


# ---------------------------------------------------------------- the rules

@pytest.mark.parametrize("password", [
    "kopi susu gula aren",  # spaces
    "x" * 64, "ab" * 64,  # 64 and 128 characters
    "sandi🔑🌴kelapa", "рыба-кит-море", "كلمة السر القوية", "秘密の合言葉です",  # any script; emoji count as one
    "Ünïcödé-paßwort",
])
def test_long_spaced_and_any_script_passwords_are_accepted(password):
    assert password_problem(password, NAME, MOBILE) is None


def test_length_counts_characters_not_bytes():
    assert password_problem("🔑" * 8) is None  # 8 characters, 32 bytes
    assert "8" in str(password_problem("🔑" * 7))
    assert password_problem("x" * MAX_PASSWORD) is None
    assert "128" in str(password_problem("x" * (MAX_PASSWORD + 1)))


@pytest.mark.parametrize("password", ["password", "12345678", "Password1", "qwertyuiop", "iloveyou",
                                      "sayangku", "bismillah", "Indonesia", "rahasia123", "katasandi", "QWERTYUI"])
def test_common_passwords_are_refused(password):
    assert "umum" in str(password_problem(password)) or "common" in str(password_problem(password))


def test_the_shipped_list_is_the_top_ten_thousand_and_indonesian_ones():
    words = common_passwords()
    assert 10_000 <= len(words) < 11_000
    assert {"password", "sunshine", "sayangku", "bismillah", "indonesia"} <= words


@pytest.mark.parametrize("password", [
    "081311112222", "6281311112222", "kode 0813-1111-2222", "22221111318",  # the number, in it, reversed
    "rinawulandari", "Rina Wulandari", "iradnaluwanir", "wulandari123", "Rina2026!", "rina_wulandari99",
])
def test_passwords_built_from_the_name_or_number_are_refused(password):
    problem = str(password_problem(password, NAME, MOBILE))
    assert "nama" in problem or "name" in problem, password


@pytest.mark.parametrize("password", ["koperasi2026", "Kopz-1234!", "simpanan123", "isarepok99", "#pinjaman#88",
                                      "kopzkopz", "anggota_2026"])
def test_passwords_built_from_the_services_own_words_are_refused(password):
    problem = str(password_problem(password, NAME, MOBILE))
    assert "Kopz" in problem and "koperasi" in problem, password


@pytest.mark.parametrize("password", ["koperasi kebun kopi lereng", "simpan-pinjam-gula-aren", "tellerbudi1"])
def test_a_service_word_inside_a_longer_password_is_fine(password):
    assert password_problem(password, NAME, MOBILE) is None


def test_nfkc_one_password_however_it_was_composed(app, db, make_user):
    composed = "kafé-gula-aren"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    user = make_user(password=decomposed)
    assert authenticate(user.mobile, composed).id == user.id
    assert authenticate(user.mobile, "ｋａｆé-gula-aren").id == user.id  # full-width letters: NFKC folds them


def test_a_hash_made_before_nfkc_still_verifies(app, db, make_user):
    user = make_user()
    typed = "Ｓandi-lama-１２３"  # full-width: its NFKC form differs
    user.password_hash = generate_password_hash(typed)  # as the app hashed it before: the password as typed
    db.session.commit()
    assert authenticate(user.mobile, typed).id == user.id
    assert authenticate(user.mobile, "Sandi-lama-123") is None  # the NFKC form alone was never this hash


# ---------------------------------------------------------------- the forms say which rule

@pytest.mark.parametrize("password, id_text, en_text", [
    ("pendek", "Gunakan minimal 8 karakter.", "Use at least 8 characters."),
    ("x" * 129, "Gunakan paling banyak 128 karakter.", "Use at most 128 characters."),
    ("sayangku", "kata sandi yang paling umum", "one of the most common"),
    ("wulandari123", "dari nama atau nomor HP", "from your name or mobile number"),
])
def test_registration_says_which_rule_in_both_languages_and_keeps_the_rest(client, db, password, id_text, en_text):
    response = _register(client, password=password, email="rina@contoh.id")
    assert response.status_code == 422 and id_text in response.text
    assert f'value="{NAME}"' in response.text and 'value="rina@contoh.id"' in response.text
    assert password not in response.text.replace(f'value="{NAME}"', "")
    client.set_cookie("lang", "en")
    english = _register(client, password=password)
    assert en_text in english.text
    assert _count(db) == 0


def test_change_and_reset_use_the_same_rules(user_client, user, db):
    response = user_client.post("/account", data={"form": "password", "current_password": PASSWORD,
                                                  "new_password": "password123"})
    assert response.status_code == 422 and "umum" in response.text
    assert authenticate(user.mobile, PASSWORD) is not None


# ---------------------------------------------------------------- registration reveals nothing

def test_a_taken_number_answers_as_a_new_one_and_changes_nothing(app, db, make_user):
    owner = make_user(full_name="Dewi Lestari", mobile="081311112222")
    fresh, taken = app.test_client(), app.test_client()
    new = _register(fresh, mobile="0813 9999 0000")
    again = _register(taken)
    assert (new.status_code, new.headers["Location"]) == (again.status_code, again.headers["Location"]) == (303, "/login")
    new_page, again_page = _main(fresh.get("/login").text), _main(taken.get("/login").text)
    assert "sudah terdaftar" not in again_page and "already registered" not in again_page
    assert "Jika nomor ini baru" in again_page
    assert new_page.replace("0813 9999 0000", "N") == again_page.replace("0813 1111 2222", "N")  # word for word
    assert _count(db) == 2  # the owner and the new number: nobody made for the taken one
    assert authenticate("081311112222", PASSWORD).full_name == "Dewi Lestari"  # the owner's password stands
    assert authenticate("081311112222", "sandi-aman-1") is None
    assert login(fresh, db.session.scalar(sa.select(User).where(User.mobile == "+6281399990000")), "sandi-aman-1")
    del owner


def test_a_taken_email_answers_the_same_too(client, db, make_user):
    make_user(email="sama@contoh.id")
    response = _register(client, email="SAMA@contoh.id")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert db.session.scalar(sa.select(User).where(User.mobile == MOBILE)) is None


def test_registration_is_rate_limited_per_address(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTER_IP_LIMIT", "2 per hour")
    client = app.test_client()
    assert _register(client, mobile="081311110001").status_code == 303
    assert _register(client, mobile="081311110002").status_code == 303
    refused = _register(client, mobile="081311110003")
    assert refused.status_code == 429 and "Terlalu banyak akun" in refused.text
    assert _count(db) == 2
