"""The application factory: a list of small ``configure_*`` steps."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.middleware.proxy_fix import ProxyFix

from web import assets, config, database, errors, hostile, i18n, jobs, push, replica, security, security_log, sessions
from web.extensions import babel, compress, csrf, db, htmx, login_manager, migrate
from web.public_pages import for_everyone
from web.ratelimit import login_throttle
from web.render import safe_next

ROOT = config.ROOT



def create_app(overrides: dict | None = None, env: str | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=None,  # WhiteNoise serves /static (web/assets.py)
        instance_path=str(config.INSTANCE),
    )
    app.config.from_mapping(config.load(env))
    app.config.from_mapping(overrides or {})
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "translations")
    hostile.install_converters(app)
    configure_database(app)
    configure_auth(app)
    configure_i18n(app)
    configure_web(app)
    configure_blueprints(app)
    if proxies := app.config["TRUSTED_PROXIES"]:
        # Outermost, so WhiteNoise's static files see https too (HSTS), not only the pages.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)
    return app


def configure_database(app: Flask) -> None:
    import models  # noqa: F401  (registers every table)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    database.init_app(app)
    replica.init_app(app)


def configure_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    # "basic", not "strong": phones change address all the time (Wi-Fi, mobile data,
    # carrier NAT). Sessions end on the server instead (models/sessions.py, web/sessions.py).
    login_manager.session_protection = "basic"
    login_manager.unauthorized_handler(_unauthorized)
    csrf.init_app(app)
    login_throttle.init_app(app)
    sessions.init_app(app)


def _unauthorized():
    """Send to the login page; under htmx, make the browser go there (not a swapped fragment)."""
    flash(login_manager.login_message, "info")
    target = url_for("accounts.login", next=safe_next(request.full_path.rstrip("?")))
    if request.htmx:
        return "", 401, {"HX-Redirect": target}
    return redirect(target, 303)


def configure_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)


def configure_web(app: Flask) -> None:
    htmx.init_app(app)
    compress.init_app(app)
    assets.init_app(app, ROOT / "static")
    security.init_app(app)
    hostile.init_app(app)
    errors.init_app(app)
    security_log.init_app(app)
    jobs.init_app(app)
    push.init_app(app)
    from web.access import can

    app.add_template_global(can, "can")  # office templates hide what the role may not do
    from models.consent import VERSION

    app.add_template_global(VERSION, "consent_version")  # the consent text shown (templates/privacy/_purpose.html)

    @app.context_processor
    def shell_context() -> dict:
        return {"csrf_token": generate_csrf, "current_user": current_user, "lang": str(get_locale()),
                "for_everyone": for_everyone}

    from web import cli

    cli.init_app(app)


def configure_blueprints(app: Flask) -> None:
    from views import (
        accounts,
        admin,
        announcements,
        books,
        capital,
        cashbook,
        chart,
        claims,
        collect,
        directory,
        documents,
        dues,
        health,
        imports,
        loan_book,
        loans,
        market,
        meetings,
        membership,
        notifications,
        office,
        office_members,
        office_stores,
        orders,
        periods,
        privacy,
        public,
        push,
        pwa,
        rat,
        regulator,
        security,
        seller,
        shu,
        stall,
        stock_sync,
        teller,
        topups,
        voting,
        voting_office,
        withdrawals,
    )

    for module in (public, accounts, pwa, directory, membership, office, office_members, admin, teller, loans,
                   loan_book, seller, office_stores, stock_sync, market, orders, books, periods, dues, cashbook,
                   chart, voting, voting_office, push, meetings, rat, shu, notifications, announcements, regulator,
                   documents, health, imports, capital, claims, security, privacy, stall, withdrawals,
                   topups, collect):
        app.register_blueprint(module.bp)
