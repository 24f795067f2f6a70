"""The worker's side of ``models.jobs``: RQ calls ``perform`` with a task's dotted path,
inside an app made once per worker process; inline tasks run after each request.

``flask --app wsgi worker`` runs the RQ worker on the ``kopz`` queue (``REDIS_URL``): the
app it made for the command is the one every job runs in (each job in a fork of it, as
RQ does, so one job's crash or leak never takes the worker down)."""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from redis import Redis
from redis.exceptions import RedisError
from rq import Worker
from werkzeug.utils import import_string

from models import jobs
from models.base import db
from web import database

_app: Flask | None = None
_worker_pid: int | None = None  # the ``worker`` command's process; each job runs in a fork of it
log = logging.getLogger(__name__)


def perform(task: str, *args) -> None:
    """Run one task in an app context (RQ's entry point), committing its work."""
    global _app
    if _app is None:  # a worker started some other way (``rq worker kopz``): the app from the environment
        from web import create_app

        _app = create_app()
    with _app.app_context():
        try:
            import_string(task)(*args)
            db.session.commit()
        finally:
            if _worker_pid is not None and os.getpid() != _worker_pid:
                db.engine.dispose()  # the fork ends after this job: close its connections, not just drop them


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty (for a test or a one-off run).")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run a background worker (RQ) on the kopz queue: push notifications, SHU runs, big imports."""
    global _app, _worker_pid
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: the worker takes its jobs from Redis "
                                   "(e.g. REDIS_URL=redis://127.0.0.1:6379/0). Without it the app runs them inline.")
    parts = urlsplit(url)
    where = f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"  # no password in the log
    connection = Redis.from_url(url)
    try:
        connection.ping()
    except RedisError as error:
        raise click.ClickException(f"cannot reach Redis at {where}: {error}") from error
    _app = current_app._get_current_object()
    _worker_pid = os.getpid()
    db.engine.dispose()  # each job runs in a fork: it opens its own database connections
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    click.echo(f"Kopz worker on queue {jobs.QUEUE!r} at {where}")
    # with its scheduler: the tasks queued for a later moment (models.jobs.later(..., at=...)) run then
    Worker([jobs.QUEUE], connection=connection).work(burst=burst, with_scheduler=True, logging_level="INFO")


def init_app(app: Flask) -> None:
    app.cli.add_command(worker_command)

    @app.teardown_request
    def _run_ready(_exc=None) -> None:
        """Inline mode: the request's committed background work runs now (its answer has been made)."""
        try:
            jobs.run_ready()
        except Exception:  # a failed push must not turn a finished request into an error
            log.exception("inline background task failed")
            database.rollback()
