"""Configuration from the environment.

``KOPZ_ENV`` picks the profile: ``production`` (the default for ``wsgi:app``, so a
server never starts insecure by accident), ``development`` (``make run``) or
``testing`` (the test suite).
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet


def _root() -> Path:
    """Where templates/, static/, translations/ and migrations/ live: the checkout,
    or ``<prefix>/share/kopz`` when Kopz was installed from a wheel (``pip install .``)."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "templates").is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "kopz"


ROOT = _root()
# Data the server writes (the SQLite file, the development key): in the checkout, or
# in the working directory of an installed server.
_INSTANCE_DEFAULT = ROOT / "instance" if (ROOT / "pyproject.toml").exists() else Path.cwd() / "instance"
INSTANCE = Path(os.environ.get("KOPZ_INSTANCE", _INSTANCE_DEFAULT))


def media_dir() -> str:
    """The media folder: ``KOPZ_MEDIA_DIR``, else ``instance/media`` (the app's setting, and
    where a migration that moves files finds it when run without the app's config)."""
    return os.environ.get("KOPZ_MEDIA_DIR") or str(INSTANCE / "media")


# Production's cookie names start with "__Host-": the browser keeps such a cookie only if it is Secure, for
# Path=/ and without a Domain, so no other site (a subdomain, a plain-http page) can set or shadow it
# (web/security.cookie; deploy/nginx.py knows the names).
COOKIE_PREFIX = "__Host-"
HOST_SESSION_COOKIE = COOKIE_PREFIX + "session"


class ConfigError(RuntimeError):
    """The environment does not describe a server that may start."""


def _database_url(default: str) -> str:
    return _database_url_of(os.environ.get("DATABASE_URL", default))


def _database_url_of(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants a driver name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _engine_options() -> dict:
    """``KOPZ_PGBOUNCER=1``: DATABASE_URL is pgbouncer in transaction pooling, where a server
    connection serves another client after each transaction, so no server-side prepared
    statements (psycopg prepares a query run often unless told not to)."""
    options: dict = {"pool_pre_ping": True}
    if os.environ.get("KOPZ_PGBOUNCER", "") not in ("", "0"):
        options["connect_args"] = {"prepare_threshold": None}
    return options


# Development and testing only: fixed keys for the personal data (models.crypto), so the demo
# database opens after a restart. Never used in production (``_data_keys`` refuses to start).
DEV_DATA_KEY = base64.urlsafe_b64encode(b"kopz-development-data-key-000000").decode()
DEV_DATA_HASH_KEY = "kopz-development-data-hash-key-not-for-production"


def _data_keys(env: str) -> dict:
    """``KOPZ_DATA_KEYS``: comma-separated Fernet keys (the first encrypts, all decrypt) and
    ``KOPZ_DATA_HASH_KEY`` (the NIK's keyed hash). Production refuses to start without them."""
    keys = [k.strip() for k in os.environ.get("KOPZ_DATA_KEYS", "").split(",") if k.strip()]
    hash_key = os.environ.get("KOPZ_DATA_HASH_KEY", "").strip()
    if env != "production":
        keys, hash_key = keys or [DEV_DATA_KEY], hash_key or DEV_DATA_HASH_KEY
    make = "Generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
    if not keys:
        raise ConfigError(f"KOPZ_DATA_KEYS must be set when KOPZ_ENV=production (personal data is encrypted). {make}")
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            raise ConfigError(f"KOPZ_DATA_KEYS: each key is 32 url-safe base64-encoded bytes. {make}") from None
    if len(hash_key) < 32:
        raise ConfigError("KOPZ_DATA_HASH_KEY must be set (at least 32 characters) when KOPZ_ENV=production. "
                          "Generate one with: python -c 'import secrets; print(secrets.token_hex(32))'")
    return {"DATA_KEYS": keys, "DATA_HASH_KEY": hash_key}


def development_data_keys() -> dict[str, str]:
    """The development keys as environment variables: for the load tests, which serve data made in
    development (or by the test fixtures) with the production configuration."""
    return {"KOPZ_DATA_KEYS": DEV_DATA_KEY, "KOPZ_DATA_HASH_KEY": DEV_DATA_HASH_KEY}


def _dev_secret_key() -> str:
    """A key kept in instance/ so development sessions survive a restart."""
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


# The public OpenStreetMap tiles: fine for development, not for production traffic (their
# usage policy), so a production server shows maps only with its own KOPZ_MAP_TILES_URL.
OSM_TILES_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'


def _map_tiles(env: str) -> dict:
    """The map's tile URL template (Leaflet's {z}/{x}/{y}, {s}) and its attribution (HTML).
    Empty URL: no map anywhere, the lists work on their own."""
    url = os.environ.get("KOPZ_MAP_TILES_URL", "" if env == "production" else OSM_TILES_URL).strip()
    attribution = os.environ.get("KOPZ_MAP_TILES_ATTRIBUTION", OSM_ATTRIBUTION if url == OSM_TILES_URL else "")
    return {"MAP_TILES_URL": url, "MAP_TILES_ATTRIBUTION": attribution.strip()}


def load(env: str | None = None) -> dict:
    """Build the configuration mapping for one profile."""
    env = env or os.environ.get("KOPZ_ENV", "production")
    cfg: dict = {
        "KOPZ_ENV": env,
        "SQLALCHEMY_DATABASE_URI": _database_url(f"sqlite:///{INSTANCE / 'kopz.sqlite'}"),
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(),
        # A streaming replica for the pages that may lag (web/replica.py); empty: the primary only.
        "DATABASE_REPLICA_URL": _database_url_of(os.environ.get("DATABASE_REPLICA_URL", "")),
        "REPLICA_AFTER_WRITE_SECONDS": 10,  # a client that wrote reads from the primary this long
        "REPLICA_RETRY_SECONDS": 10,  # a replica that failed is left alone this long
        "REDIS_URL": os.environ.get("REDIS_URL"),
        # Web Push (``flask --app wsgi vapid-keys`` makes a pair); without the keys push is off.
        "VAPID_PUBLIC_KEY": os.environ.get("VAPID_PUBLIC_KEY", "").strip(),
        "VAPID_PRIVATE_KEY": os.environ.get("VAPID_PRIVATE_KEY", "").strip(),
        "VAPID_SUBJECT": os.environ.get("VAPID_SUBJECT", "").strip(),
        # Push services are https; only the tests' local fake one is plain http.
        "PUSH_ALLOW_HTTP": env == "testing",
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
        "LANGUAGES": ("id", "en"),
        "COOKIE_PREFIX": "",  # production: "__Host-" (below)
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Sign-in sessions (models/sessions.py): idle timeout and absolute lifetime, short for anyone
        # who is staff of a koperasi or a platform admin. A member's cookie lasts the absolute lifetime
        # (a phone's app stays signed in); staff's ends with the browser. last_seen_at is written at
        # most once per SESSION_TOUCH.
        "SESSION_IDLE_MEMBER": timedelta(days=30),
        "SESSION_LIFETIME_MEMBER": timedelta(days=90),
        "SESSION_IDLE_STAFF": timedelta(minutes=30),
        "SESSION_LIFETIME_STAFF": timedelta(hours=12),
        "SESSION_TOUCH": timedelta(minutes=5),
        # Staff posting money this long after last typing the password type it again (web/reauth.py).
        "REAUTH_AFTER": timedelta(minutes=15),
        # The TOTP secrets' encryption key (models/second_factor.py); empty: derived from SECRET_KEY.
        "TOTP_KEY": os.environ.get("KOPZ_TOTP_KEY", ""),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=90),
        # The cookie keeps the expiry it got at login (the absolute lifetime), not renewed per answer.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session; phones keep tabs open for days
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        # Failed logins allowed per identifier (and per address) in the window.
        "LOGIN_FAILURE_LIMIT": "5 per 15 minutes",
        "LOGIN_FAILURE_IP_LIMIT": "30 per 15 minutes",
        # Failed password-reset requests and registrations allowed per address (and reset codes per account).
        "RESET_REQUEST_LIMIT": "3 per 15 minutes",
        "RESET_REQUEST_IP_LIMIT": "20 per hour",
        "REGISTER_IP_LIMIT": "20 per hour",
        # Wrong passwords before posting money, and wrong second-factor codes, per account.
        "REAUTH_FAILURE_LIMIT": "5 per 15 minutes",
        "TOTP_FAILURE_LIMIT": "5 per 15 minutes",
        # Outgoing mail (web.mail): the password reset codes. Without SMTP_HOST mails go to the log.
        "SMTP_HOST": os.environ.get("SMTP_HOST", "").strip(),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT") or 587),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_FROM": os.environ.get("SMTP_FROM", "Kopz <no-reply@kopz.id>"),
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "1") not in ("0", "false", "no"),
        "STATIC_BUILD_DIR": str(INSTANCE / "static-build"),
        # Uploaded files kept for good (the RAT's PDFs, product photos), content-addressed, outside the
        # database; product photos in its public/ folder, served at /media/ (models.storage).
        "MEDIA_DIR": media_dir(),
        # The ministry's public lookup of a Nomor Induk Koperasi: the platform admin checks a
        # registration's number there (templates/admin/detail.html).
        "NIK_LOOKUP_URL": os.environ.get("KOPZ_NIK_LOOKUP_URL") or "https://nik.kemenkopukm.go.id/",
        # How many proxies (nginx, the load balancer) stand in front of the app and set
        # X-Forwarded-For/-Proto/-Host: the client's address and https come from them.
        "TRUSTED_PROXIES": int(os.environ.get("KOPZ_TRUSTED_PROXIES", "0")),
        # Responses compressed for clients that accept it (flask-compress): brotli, else gzip;
        # pages, fragments, JSON, CSV and the service worker. Static files: whitenoise's own.
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/csv", "text/plain", "text/xml", "application/json",
                               "application/javascript", "text/javascript", "application/manifest+json",
                               "image/svg+xml"],
        "COMPRESS_STREAMS": False,  # a streamed download stays a stream
        **_map_tiles(env),
    }
    if env == "production":
        key = os.environ.get("SECRET_KEY")
        if not key or len(key) < 32:  # 32 hex characters: 128 bits
            raise ConfigError(
                "SECRET_KEY must be set (at least 32 characters) when KOPZ_ENV=production. "
                "Generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        cfg.update(
            SECRET_KEY=key,
            # Every cookie "__Host-" (COOKIE_PREFIX); the session's carries the CSRF token too.
            COOKIE_PREFIX=COOKIE_PREFIX,
            SESSION_COOKIE_NAME=HOST_SESSION_COOKIE,
            SESSION_COOKIE_SECURE=True,
            SESSION_COOKIE_PATH="/",
            SESSION_COOKIE_DOMAIN=None,
            PREFERRED_URL_SCHEME="https",
        )
    elif env == "development":
        cfg.update(SECRET_KEY=os.environ.get("SECRET_KEY") or _dev_secret_key())
    elif env == "testing":
        cfg.update(
            TESTING=True,
            SECRET_KEY="testing-secret-key-not-for-production",
            SQLALCHEMY_DATABASE_URI=_database_url(
                os.environ.get("TEST_DATABASE_URL", "sqlite:///:memory:")
            ),
            RATELIMIT_STORAGE_URI="memory://",
        )
    else:
        raise ConfigError(f"KOPZ_ENV must be production, development or testing, not {env!r}")
    cfg.update(_data_keys(env))
    cfg.setdefault(
        "RATELIMIT_STORAGE_URI", cfg["REDIS_URL"] or os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    )
    return cfg
