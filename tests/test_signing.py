"""What the app signs (the cookie session, a card's QR code) is signed with HMAC-SHA256 (ASVS 11.4.1),
and what was signed with itsdangerous's old HMAC-SHA1 before still reads: nobody is logged out and no
card stops verifying because of the change."""

from __future__ import annotations

import hashlib

import pytest
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeSerializer

from models.membership import card_token, membership_from_token
from tests.conftest import login


def _cookie(client, app) -> str:
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def test_the_session_cookie_is_signed_with_sha256(app, user):
    client = login(app.test_client(), user)
    value = _cookie(client, app)
    old = SecureCookieSessionInterface().get_signing_serializer(app)  # Flask's own: HMAC-SHA1
    with pytest.raises(BadSignature):
        old.loads(value)
    assert client.get("/account").status_code == 200


def test_a_session_cookie_signed_with_sha1_before_still_opens_the_account(app, user):
    client = login(app.test_client(), user)
    ours = app.session_interface.get_signing_serializer(app)
    old = SecureCookieSessionInterface().get_signing_serializer(app)
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], old.dumps(ours.loads(_cookie(client, app))))
    assert client.get("/account").status_code == 200
    forged = old.dumps(ours.loads(_cookie(client, app)))[:-2] + "xx"
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], forged)
    assert client.get("/account").status_code == 303  # a bad signature is no session at all


def test_a_card_qr_code_signed_before_still_verifies_a_new_one_is_sha256(app, make_koperasi, make_member):
    member = make_member(make_koperasi())
    token = card_token(member)
    with pytest.raises(BadSignature):
        URLSafeSerializer(app.config["SECRET_KEY"], salt="kopz-card").loads(token)
    assert URLSafeSerializer(app.config["SECRET_KEY"], salt="kopz-card",
                             signer_kwargs={"digest_method": hashlib.sha256}).loads(token) == member.id
    printed = URLSafeSerializer(app.config["SECRET_KEY"], salt="kopz-card").dumps(member.id)  # a card printed before
    assert membership_from_token(printed).id == member.id
    assert membership_from_token(printed[:-1] + ("A" if printed[-1] != "A" else "B")) is None
