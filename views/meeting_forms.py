"""The RAT's office forms: the meeting, its agenda, documents, the quorum, check-in, minutes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, FileField, StringField, TextAreaField, TimeField
from wtforms.validators import Length, Optional

from views.fields import Form, WholeNumberField


class MeetingForm(Form):
    title = StringField(_l("Title"), [Length(max=160)], render_kw={"placeholder": "RAT Tahun Buku 2025"})
    book_year = WholeNumberField(_l("Book year"), [Optional()], render_kw={"inputmode": "numeric"},
                                 description=_l("The year whose books and SHU the meeting decides."))
    day = DateField(_l("Date"), [Optional()])
    at = TimeField(_l("Starts at"), [Optional()])
    place = StringField(_l("Place"), [Length(max=300)], description=_l("Address of the venue; empty if online only."))
    online_url = StringField(_l("Online link"), [Length(max=300)], render_kw={"inputmode": "url"},
                             description=_l("Zoom, Google Meet…; empty if at the venue only."))
    record_date = DateField(_l("Record date"), [Optional()],
                            description=_l("Members active at the end of this day may attend and vote."))

    def details(self) -> dict:
        return dict(title=self.title.data, book_year=self.book_year.data, day=self.day.data, at=self.at.data,
                    place=self.place.data, online_url=self.online_url.data, record_date=self.record_date.data)


class AgendaForm(Form):
    """Prefixed ``new`` for the item to add, ``i<id>`` for an item edited: a page holds many."""

    title = StringField(_l("Agenda item"), [Length(max=200)])
    note = TextAreaField(_l("Note"), [Length(max=1000)], render_kw={"rows": 2})


class ButtonForm(Form):
    """A button and its CSRF token (a hidden ``item`` names the row it acts on)."""


class DocumentForm(Form):
    title = StringField(_l("Document title"), [Length(max=160)])
    file = FileField(_l("PDF file"), description=_l("A PDF of at most 5 MB."),
                     render_kw={"accept": "application/pdf,.pdf"})


class QuorumForm(Form):
    quorum = StringField(_l("Quorum: more than this share of eligible members (%)"), [Length(max=8)],
                         render_kw={"inputmode": "decimal"},
                         description=_l("From the bylaws (AD/ART). 50 means more than half: half + 1."))


class CheckInForm(Form):
    card = StringField(_l("Member number or card code"), [Length(max=300)],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "autofocus": True})


class MinutesForm(Form):
    minutes = TextAreaField(_l("Minutes (notulen)"), [Length(max=50_000)], render_kw={"rows": 18})


def parse_percent(text: str | None) -> int | None:
    """"50" or "66,67" → basis points (5000, 6667); None when it is not a number."""
    text = (text or "").strip().replace(",", ".").rstrip("%").strip()
    try:
        value = round(float(text) * 100)
    except ValueError:
        return None
    return value if text.replace(".", "", 1).isdigit() else None
