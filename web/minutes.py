"""The RAT's minutes (notulen) as drafted by Kopz: the agenda, the attendance and quorum, and
the result of every closed vote, for the board to edit before it publishes them."""

from __future__ import annotations

from flask import render_template

from models import attendance, voting_results
from models.meetings import Meeting


def draft(meeting: Meeting) -> str:
    """The minutes drafted from the agenda, the attendance and the closed votes, in the current language."""
    return render_template("meetings/minutes_draft.txt", meeting=meeting, quorum=attendance.quorum(meeting),
                           results=voting_results.results(meeting)).strip() + "\n"
