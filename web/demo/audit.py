"""The first Bandung koperasi's audit log as the office would have left it: the teller's latest
deposits from the counter phone, the board member's look at a member's full NIK from the office
laptop, each with where it came from (the demo's own postings ran without a browser, so their
events say nothing of one)."""

from __future__ import annotations

import json
from collections import Counter

import sqlalchemy as sa

from models.koperasi import Koperasi, KoperasiEvent
from models.ledger import Entry
from models.membership import Membership
from web.extensions import db

COUNTER = ("10.8.0.21", "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0.0.0 Mobile Safari/537.36")
OFFICE = ("10.8.0.35", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/131.0.0.0 Safari/537.36")


def _event(koperasi: Koperasi, actor_id: int, action: str, details: dict, at, where: tuple[str, str]) -> KoperasiEvent:
    return KoperasiEvent(koperasi_id=koperasi.id, actor_id=actor_id, action=action, created_at=at, ip=where[0],
                         user_agent=where[1], details=json.dumps(details, ensure_ascii=False))


def audit_trail(added: Counter, koperasi: Koperasi, teller_id: int, pengurus_id: int) -> None:
    """Three deposits the teller took and one NIK reveal, once (a second run finds them)."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(KoperasiEvent).where(
            KoperasiEvent.koperasi_id == koperasi.id, KoperasiEvent.ip == COUNTER[0])):
        return
    deposits = db.session.scalars(sa.select(Entry).where(
        Entry.koperasi_id == koperasi.id, Entry.kind == "deposit", Entry.posted_by_id == teller_id,
        Entry.membership_id.is_not(None)).order_by(Entry.posted_at.desc(), Entry.id.desc()).limit(3)).all()
    for entry in reversed(deposits):
        membership = db.session.get(Membership, entry.membership_id)
        path = f"/k/{koperasi.slug}/office/teller/{membership.id}/deposit"
        db.session.add(_event(koperasi, teller_id, "post_money", {
            "path": path, "ids": {"membership_id": membership.id}, "member": membership.member_number,
            "form": {"kind": "sukarela", "amount": f"{entry.total:,}".replace(",", "."), "means": "cash"},
            "entries": [[entry.ref, entry.kind, entry.total]], "entry_count": 1}, entry.posted_at, COUNTER))
    if deposits:
        membership = db.session.get(Membership, deposits[0].membership_id)
        db.session.add(_event(koperasi, pengurus_id, "nik_revealed", {
            "member": membership.member_number, "name": membership.full_name}, deposits[0].posted_at, OFFICE))
    added["audit events"] += len(deposits) + bool(deposits)

