"""Background work: a job row that shows its progress, run by RQ workers on Redis in
production and inline (at once, in this process) when ``REDIS_URL`` is not set, so the
embedded default needs nothing else.

Rules kept here:
- A task is named by its dotted path (``"models.shu.post_job"``) and takes plain values
  (ids, strings): a worker in another process loads everything again from the database.
- ``enqueue`` is for work whose inputs are already committed. ``later`` is for work that
  belongs to the current transaction (a notification's push, say): it is queued only
  when that transaction commits, and dropped when it rolls back, so a worker never
  looks for a row that is not there yet, nor sends what never happened.
- Inline, ``later`` work runs when ``run_ready()`` is called: after each request
  (``web.jobs``), and by the commands that commit outside one.
- ``later(..., at=when)`` runs the task at a later moment: RQ's scheduler (``flask --app wsgi
  worker`` runs it) keeps it until then. Without Redis there is no one to wait for the
  moment: such a task is for work that also has a command to run by hand or from cron.
- A ``Job`` row records a long task's progress (done of total) for the page that
  started it; the task updates it and commits as it goes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.utils import import_string

from models.base import db, utcnow

QUEUE = "kopz"
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
_PENDING = "kopz_jobs_pending"  # session.info: tasks waiting for this transaction's commit
_ready: list[tuple[str, tuple]] = []  # inline mode: committed tasks not yet run


class Job(db.Model):
    """A long task's progress, shown on the page that started it."""

    __table_args__ = (sa.Index("ix_job_koperasi_kind", "koperasi_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int | None] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))  # e.g. "shu_post"
    subject: Mapped[str] = mapped_column(sa.String(80), default="")  # what it works on, e.g. "2025"
    status: Mapped[str] = mapped_column(sa.String(10), default=QUEUED)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def percent(self) -> int:
        return 100 if self.status == DONE else (100 * self.done // self.total if self.total else 0)

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)


def _redis_url() -> str | None:
    return current_app.config.get("REDIS_URL") or None


def queue():
    """The RQ queue on Redis (production), or None (inline)."""
    if not (url := _redis_url()):
        return None
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE, connection=Redis.from_url(url))


def enqueue(task: str, *args) -> None:
    """Run ``task(*args)`` in the background (RQ), or now when there is no Redis.
    Its inputs must already be committed."""
    if (q := queue()) is not None:
        q.enqueue("web.jobs.perform", task, *args, job_timeout=3600)
    else:
        _run(task, args)


def later(task: str, *args, at: datetime | None = None) -> None:
    """Run ``task(*args)`` once the current transaction commits (never if it rolls back); with
    ``at`` (naive UTC), not before that moment, and only where a worker runs (see the rules)."""
    db.session.info.setdefault(_PENDING, []).append((task, args, at))


def run_ready() -> int:
    """Inline mode: run the tasks whose transaction has committed. Returns how many ran."""
    count = 0
    while _ready:
        task, args = _ready.pop(0)
        _run(task, args)
        count += 1
    return count


def _run(task: str, args: tuple) -> None:
    import_string(task)(*args)
    db.session.commit()


@sa.event.listens_for(Session, "after_commit")
def _queue_committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    q = queue()
    for task, args, at in pending:
        if q is not None and at is not None:
            q.enqueue_at(at.replace(tzinfo=UTC), "web.jobs.perform", task, *args, job_timeout=3600)
        elif q is not None:
            q.enqueue("web.jobs.perform", task, *args, job_timeout=3600)
        elif at is None:
            _ready.append((task, args))


@sa.event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)
