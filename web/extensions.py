"""Unbound extensions, wired to the app in ``create_app``. ``db`` belongs to the models
(models/base.py); it is imported here so ``from web.extensions import db`` keeps working."""

from __future__ import annotations

from flask_babel import Babel
from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect
from htmx_flask import Htmx

from models.base import Base, db  # noqa: F401

login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
migrate = Migrate()
htmx = Htmx()
compress = Compress()
