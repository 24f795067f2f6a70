"""Values the app signs and reads back (the cookie session, a known device, a card's QR code, an
upload kept while a form is corrected): HMAC-SHA256 with the app's ``SECRET_KEY``, one place.

itsdangerous signs with HMAC-SHA1 unless told otherwise (ASVS 11.4.1 allows neither MD5 nor SHA-1);
values signed that way before this change still verify (``fallback_signers``), so nobody is logged
out and no card's QR code stops working; everything signed from now on is SHA-256."""

from __future__ import annotations

import hashlib

from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

SIGNER = {"digest_method": hashlib.sha256}
OLD_SIGNERS = [{"digest_method": hashlib.sha1}]  # read only: what was signed before


def serializer(secret: str | bytes, salt: str, timed: bool = False) -> URLSafeSerializer:
    """A serializer for ``salt`` (one per purpose): signs with SHA-256, still reads the old SHA-1 values."""
    kind = URLSafeTimedSerializer if timed else URLSafeSerializer
    return kind(secret, salt=salt, signer_kwargs=SIGNER, fallback_signers=OLD_SIGNERS)
