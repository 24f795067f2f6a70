"""Demo health rating: the first Bandung koperasi (a KSP) answers last year's management
questionnaire and publishes the year's category, so members see it on their page
(``flask --app wsgi health <slug>`` prints the score with every ratio's inputs)."""

from __future__ import annotations

from collections import Counter

from models import health
from models.accounts import User
from models.koperasi import Koperasi
from models.zones import zone_of

# What the board honestly answers "no" to: no long-term plan yet, no standby credit line, no
# written ceiling per member, collateral not required, the reserve set aside below 25 % of SHU.
NOT_YET = {"u2", "l2", "a6", "a9", "p3"}


def health_of_last_year(added: Counter, koperasi: Koperasi, pengurus: User) -> None:
    """Fill last year's questionnaire and publish its category (what is missing of it)."""
    year = zone_of(koperasi).today().year - 1
    if not health.applies(koperasi) or year not in health.closed_years(koperasi):
        return
    if health.questionnaire_of(koperasi, year) is None:
        health.save_questionnaire(koperasi, year, [c for c in health.QUESTION_CODES if c not in NOT_YET], pengurus)
        added["health questionnaires"] += 1
    if not koperasi.health_published:
        health.publish(koperasi, year, pengurus)
        added["health ratings published"] += 1
