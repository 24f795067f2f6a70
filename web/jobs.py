"""The worker's side of ``models.jobs``: RQ calls ``perform`` with a task's dotted path,
inside an app made once per worker process; inline tasks run after each request."""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.utils import import_string

from models import jobs
from models.base import db

_app: Flask | None = None
log = logging.getLogger(__name__)


def perform(task: str, *args) -> None:
    """Run one task in an app context (RQ's entry point), committing its work."""
    global _app
    if _app is None:
        from web import create_app

        _app = create_app()
    with _app.app_context():
        import_string(task)(*args)
        db.session.commit()


def init_app(app: Flask) -> None:
    @app.teardown_request
    def _run_ready(_exc=None) -> None:
        """Inline mode: the request's committed background work runs now (its answer has been made)."""
        try:
            jobs.run_ready()
        except Exception:  # a failed push must not turn a finished request into an error
            log.exception("inline background task failed")
            db.session.rollback()
