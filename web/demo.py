"""Demo data: plausible people and koperasi so every page looks alive.

Idempotent: each record is looked up by a natural key first, so a second run adds
nothing. Demo logins are listed in the README.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from models.accounts import User, register_user
from web.extensions import db

DEMO_PASSWORD = "kopz-demo-2026"
PEOPLE = [
    # (name, mobile, email, platform admin)
    ("Admin Kopz", "081100000001", "admin@kopz.example", True),
    ("Siti Rahmawati", "081200000001", "siti@kopz.example", False),
    ("Budi Santoso", "081200000002", "budi@kopz.example", False),
    ("Made Wirawan", "081200000003", None, False),
]


def _person(added: Counter, name: str, mobile: str, email: str | None, admin: bool = False) -> User:
    user = db.session.scalar(sa.select(User).where(User.mobile == "+62" + mobile[1:]))
    if user is None:
        user = register_user(name, mobile, DEMO_PASSWORD, email)
        user.is_platform_admin = admin
        added["users"] += 1
    return user


def load() -> Counter:
    """Add whatever demo data is missing; returns counts of what was added."""
    added: Counter = Counter()
    for name, mobile, email, admin in PEOPLE:
        _person(added, name, mobile, email, admin)
    return added
