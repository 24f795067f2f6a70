"""The audit log's request side (models/audit.py keeps its rules).

- Every event recorded during a request says where it came from: the client's address (as the
  proxies ``web/__init__.py`` trusts report it), the browser, the sign-in session.
- ``expect(office, duty)``, from ``web.access.office``: an office POST for an audited duty
  (``models.duties.AUDITED``). When that request commits a change and the domain recorded no
  event of its own (a profile change, a NIK reveal, a staff change …), one event is added to the
  same transaction: the duty, the path, the ids in the URL, the member, the form's fields
  (``models.audit.safe_fields``) and the receipts it posted. A refused action rolls back and
  leaves nothing; a retry that changes nothing (an idempotency key seen before) leaves nothing more.
- A refused attempt (403) is not here: it is a line of the security log (web/security_log.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy.orm import Session

from models.audit import safe_fields
from models.duties import AUDITED
from models.koperasi import KoperasiEvent
from models.ledger import Entry
from models.membership import Membership

ENTRIES_KEPT = 10  # receipts named in one event (a month end posts hundreds: the count says how many)


@dataclass
class Pending:
    """An audited POST under way: what its flushes did so far."""

    koperasi_id: int
    duty: str
    wrote: bool = False
    recorded: bool = False  # the domain recorded its own event
    entries: list = field(default_factory=list)


def expect(office, duty: str) -> None:
    if request.method == "POST" and duty in AUDITED and "audit" not in g:
        g.audit = Pending(office.koperasi.id, str(duty))


def _pending() -> Pending | None:
    return g.get("audit") if has_request_context() else None


def _user():
    """The signed-in user Flask-Login already loaded (never a query in the middle of a flush)."""
    user = g.get("_login_user")
    return user if getattr(user, "is_authenticated", False) else None


@sa.event.listens_for(Session, "before_flush")
def _from_where(session: Session, _context, _instances) -> None:
    if not has_request_context():
        return
    for obj in session.new:
        if isinstance(obj, KoperasiEvent) and obj.ip is None:
            obj.ip = (request.remote_addr or "")[:45]
            obj.user_agent = request.user_agent.string[:120]
            obj.session_id = getattr(_user(), "session_id", None)


@sa.event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context) -> None:
    if (pending := _pending()) is None:
        return
    pending.recorded |= any(isinstance(obj, KoperasiEvent) for obj in session.new)
    pending.wrote |= bool(session.new or session.deleted) or any(session.is_modified(obj) for obj in session.dirty)
    pending.entries += [[entry.ref, entry.kind, entry.total] for entry in session.new if isinstance(entry, Entry)]


@sa.event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and (pending := _pending()):
        pending.wrote = True


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget(_session: Session, previous) -> None:
    if not previous.nested and (pending := _pending()):
        pending.wrote, pending.recorded, pending.entries = False, False, []


@sa.event.listens_for(Session, "before_commit")
def _record(session: Session) -> None:
    pending = _pending()
    if pending is None or session.in_nested_transaction():
        return
    if not (pending.wrote or session.new or session.deleted or session.dirty):
        return
    g.pop("audit")
    if pending.recorded or any(isinstance(obj, KoperasiEvent) for obj in session.new):
        return
    session.add(KoperasiEvent(koperasi_id=pending.koperasi_id, actor_id=getattr(_user(), "id", None),
                              action=pending.duty, details=json.dumps(_details(session, pending), ensure_ascii=False)))


def _details(session: Session, pending: Pending) -> dict:
    ids = {name: value for name, value in (request.view_args or {}).items() if name != "slug"}
    details = {"path": request.path, "ids": ids, "form": safe_fields(request.form.items())}
    if "membership_id" in ids and (membership := session.get(Membership, ids["membership_id"])):
        details["member"] = membership.member_number or ""
    if pending.entries:
        details["entries"] = pending.entries[:ENTRIES_KEPT]
        details["entry_count"] = len(pending.entries)
    return details
