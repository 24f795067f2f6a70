"""The e-voting forms: a proposal (the board) and a ballot (a member)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import InputRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from models import voting
from models.zones import zone_of
from views.fields import Form, choices

LOCAL = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
BAD_TIME = _l("Not a valid datetime value.")  # WTForms' own message, extracted for our catalogs


class ProposalForm(Form):
    kind = HiddenField(validators=[Length(max=10)])
    topic = SelectField(_l("About"))
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)],
                        description=_l("What members vote on, e.g. \"Approve the SHU split for 2025\"."))
    description = TextAreaField(_l("Explanation (optional)"), validators=[Length(max=4000)])
    opens_at = DateTimeLocalField(_l("Voting opens"), format=LOCAL, validators=[InputRequired(BAD_TIME)])
    closes_at = DateTimeLocalField(_l("Voting closes"), format=LOCAL, validators=[InputRequired(BAD_TIME)])
    seats = IntegerField(_l("Seats: each member chooses up to"), default=1,
                         validators=[NumberRange(min=1, max=50)])
    candidates = TextAreaField(_l("Candidates, one per line"), validators=[Length(max=4000)],
                               description=_l("A name, or a member number to link the candidate to the member."))


def proposal_form(koperasi, kind: str, proposal=None, formdata=True) -> ProposalForm:
    """The form for a new (or a not yet open) motion or election, times in the koperasi's zone."""
    kind = proposal.kind if proposal else kind
    form = ProposalForm() if formdata else ProposalForm(formdata=None)
    topics = voting.MOTION_TOPICS if kind == voting.MOTION else voting.ELECTION_TOPICS
    form.topic.choices = choices((str(t), voting.TOPIC_LABELS[t]) for t in topics)
    form.kind.data = kind
    if not formdata or not form.is_submitted():
        tz = zone_of(koperasi).tz
        if proposal is not None:
            form.topic.data, form.title.data, form.description.data = proposal.topic, proposal.title, proposal.description
            form.seats.data = proposal.seats
            form.candidates.data = "\n".join(c.name for c in proposal.candidates)
            opens, closes = proposal.opens_at, proposal.closes_at
        else:
            opens = (datetime.now(UTC) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0, tzinfo=None)
            closes = opens + timedelta(days=3)
        form.opens_at.data = to_local(opens, tz)
        form.closes_at.data = to_local(closes, tz)
    return form


def to_local(when: datetime, tz) -> datetime:
    return when.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


def to_utc(local: datetime, tz) -> datetime:
    return local.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def proposal_data(form: ProposalForm, koperasi) -> voting.ProposalData:
    tz = zone_of(koperasi).tz
    return voting.ProposalData(kind=form.kind.data, topic=form.topic.data, title=form.title.data or "",
                               description=form.description.data or "", opens_at=to_utc(form.opens_at.data, tz),
                               closes_at=to_utc(form.closes_at.data, tz), seats=form.seats.data or 1,
                               candidates=tuple((form.candidates.data or "").splitlines()))


class MotionBallot(Form):
    choice = RadioField(_l("Your vote"), choices=choices((c, voting.CHOICE_LABELS[c]) for c in voting.MOTION_CHOICES),
                        validators=[InputRequired(_l("Choose yes, no or abstain."))])


class ElectionBallot(Form):
    candidates = SelectMultipleField(_l("Your choice"), coerce=int, widget=ListWidget(prefix_label=False),
                                     option_widget=CheckboxInput())


def ballot_form(proposal):
    if proposal.kind == voting.MOTION:
        return MotionBallot()
    form = ElectionBallot()
    form.candidates.choices = choices((c.id, c.name) for c in proposal.candidates)
    form.candidates.description = _l("Choose up to %(seats)s.", seats=proposal.seats)
    return form


class ReceiptSearch(Form):
    class Meta:
        csrf = False

    q = StringField(_l("Your receipt code"), validators=[Length(max=40)])
