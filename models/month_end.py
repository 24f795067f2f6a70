"""The month-end run: each step is a plain function, idempotent per koperasi and month.

Adding a step is one line in ``STEPS``: a name and a
function ``(koperasi, month, by) -> summary``. Each step runs in its own savepoint, so
one that is refused (e.g. the month is closed) leaves the others' work standing; the
caller commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from models import collectability, dues, months, savings_interest
from models.accounts import User
from models.base import db
from models.errors import DomainError
from models.koperasi import Koperasi

STEPS: list[tuple[str, Callable[[Koperasi, date, User | None], object]]] = [
    ("interest", savings_interest.post_interest),
    ("dues_bills", lambda koperasi, month, _by: dues.ensure_bills(koperasi, month)),
    ("dues_autopay", dues.autopay),
    ("provision", collectability.provision),  # the loan-loss allowance (PPAP) at the month's end
]


@dataclass
class StepOutcome:
    name: str
    summary: object = None
    error: str | None = None


def run_month_end(koperasi: Koperasi, month: date, by: User | None = None) -> list[StepOutcome]:
    """Run every step for a month that has ended; each step's result or refusal."""
    if not months.has_ended(koperasi, month):
        raise DomainError(_l("This month has not ended yet."), field="month")
    outcomes = []
    for name, step in STEPS:
        try:
            with db.session.begin_nested():
                outcomes.append(StepOutcome(name, step(koperasi, month, by)))
        except DomainError as error:
            outcomes.append(StepOutcome(name, error=str(error.message)))
    return outcomes
