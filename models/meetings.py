"""The annual members' meeting (RAT): when and where, who may vote (members active at the
record date), its agenda, documents, attendance and minutes.

Rules kept here:
- A meeting belongs to one koperasi and one past book year (the RAT of 2025 meets in 2026 or later).
- It meets at a place, online, or both: at least one of them; an online link is an http(s) address.
- The record date is on or before the meeting's day (in the koperasi's time zone); members
  active at the end of that day are eligible (``models.attendance.eligible``).
- Draft → scheduled (published: every active member is told, once) → held. A draft needs
  at least one agenda item to be published; a meeting is marked held only from its day on;
  a held meeting's details and agenda no longer change.
- The agenda is an ordered list: positions 1..n with no gaps, whatever is added, removed or moved.
- Quorum, from the bylaws: more than ``rat_quorum_bp`` basis points of the eligible members
  (the koperasi's setting, default 5000: more than half, i.e. half + 1).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.errors import Checks, DomainError
from models.koperasi import Koperasi
from models.membership import Membership, MemberStatus, confirmed
from models.months import midnight
from models.notifications import Kind, notify_many
from models.zones import zone_of

DRAFT, SCHEDULED, HELD = "draft", "scheduled", "held"
STATUS_LABELS = {DRAFT: _l("Draft"), SCHEDULED: _l("Scheduled"), HELD: _l("Held")}
QUORUM_DEFAULT_BP = 5000


class Meeting(db.Model):
    """A RAT: the members meet at a place and/or online; members active on ``record_date`` vote."""

    __table_args__ = (sa.Index("ix_meeting_koperasi_starts", "koperasi_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(160))
    book_year: Mapped[int]  # the year whose books and SHU it decides
    starts_at: Mapped[datetime]  # UTC
    place: Mapped[str] = mapped_column(sa.String(300), default="")
    online_url: Mapped[str] = mapped_column(sa.String(300), default="")
    record_date: Mapped[date]  # members active at the end of this day are eligible
    status: Mapped[str] = mapped_column(sa.String(10), default=DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    held_at: Mapped[datetime | None]
    minutes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # notulen, as staff wrote it
    minutes_published_at: Mapped[datetime | None]

    koperasi: Mapped[Koperasi] = relationship(lazy="joined")
    agenda: Mapped[list[AgendaItem]] = relationship(order_by="AgendaItem.position", cascade="all, delete-orphan",
                                                    back_populates="meeting")

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def local_start(self) -> datetime:
        """The start in the koperasi's zone (naive, for showing)."""
        return self.starts_at + timedelta(hours=zone_of(self.koperasi).hours)

    @property
    def day(self) -> date:
        return self.local_start.date()

    @property
    def editable(self) -> bool:
        return self.status != HELD


class AgendaItem(db.Model):
    """One item of a meeting's agenda, at ``position`` 1..n."""

    __table_args__ = (sa.Index("ix_agenda_item_meeting", "meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    note: Mapped[str] = mapped_column(sa.String(1000), default="")

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")


# ---------------------------------------------------------------- the meeting itself

def starts_utc(koperasi: Koperasi, day: date, at: time) -> datetime:
    """The UTC moment of ``day`` ``at`` in the koperasi's zone (naive UTC, as stored)."""
    return midnight(koperasi, day) + timedelta(hours=at.hour, minutes=at.minute)


def check_details(koperasi: Koperasi, *, title: str | None, book_year: int | None, day: date | None,
                  at: time | None, place: str | None, online_url: str | None, record_date: date | None,
                  now: datetime | None = None) -> dict:
    """What a meeting must hold; every bad field is reported at once. Returns the cleaned values."""
    checks = Checks()
    title = " ".join((title or "").split())
    if len(title) < 3:
        checks.fail(_l("Enter the meeting's title, e.g. RAT Tahun Buku 2025."), "title")
    elif len(title) > 160:
        checks.fail(_l("The title is at most 160 characters."), "title")
    place = (place or "").strip()
    online_url = (online_url or "").strip()
    if not place and not online_url:
        checks.fail(_l("Enter a place, an online link, or both."), "place")
    if len(place) > 300:
        checks.fail(_l("The place is at most 300 characters."), "place")
    if online_url:
        parts = urlsplit(online_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(online_url) > 300:
            checks.fail(_l("Enter the full online link, starting with https://"), "online_url")
    if day is None:
        checks.fail(_l("Enter the meeting's date."), "day")
    if at is None:
        checks.fail(_l("Enter the time the meeting starts."), "at")
    starts_at = starts_utc(koperasi, day, at) if day and at else None
    if starts_at and starts_at <= (now or utcnow()):
        checks.fail(_l("The meeting must start in the future."), "day")
    if book_year is None:
        checks.fail(_l("Enter the book year the meeting decides."), "book_year")
    elif day and not 2000 <= book_year < day.year:
        checks.fail(_l("The book year must be before the meeting's year (the RAT of %(year)s meets in %(next)s or "
                       "later).", year=book_year, next=book_year + 1), "book_year")
    if record_date is None:
        checks.fail(_l("Enter the record date: members active on that day may vote."), "record_date")
    elif day and record_date > day:
        checks.fail(_l("The record date must be on or before the meeting's date."), "record_date")
    checks.done()
    return dict(title=title, book_year=book_year, starts_at=starts_at, place=place, online_url=online_url,
                record_date=record_date)


def create(koperasi: Koperasi, by, now: datetime | None = None, **details) -> Meeting:
    """A new meeting, as a draft (members see nothing yet)."""
    values = check_details(koperasi, now=now, **details)
    meeting = Meeting(koperasi_id=koperasi.id, created_by_id=by.id, status=DRAFT, **values)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def update(meeting: Meeting, now: datetime | None = None, **details) -> None:
    """Change the details of a meeting not yet held (a published one is not announced again)."""
    _not_held(meeting)
    for name, value in check_details(meeting.koperasi, now=now, **details).items():
        setattr(meeting, name, value)
    db.session.flush()


def _not_held(meeting: Meeting) -> None:
    if meeting.status == HELD:
        raise DomainError(_l("This meeting was held: its details and agenda no longer change."))


def member_url(meeting: Meeting) -> str:
    return f"/k/{meeting.koperasi.slug}/rat/{meeting.id}"


def active_member_users(koperasi_id: int) -> list[int]:
    """The user ids of the koperasi's active members: one query."""
    return list(db.session.scalars(sa.select(Membership.user_id).where(
        Membership.koperasi_id == koperasi_id, Membership.status.in_((MemberStatus.ACTIVE, MemberStatus.RESIGNING)),
        confirmed())))


def publish(meeting: Meeting) -> int:
    """Draft → scheduled: every active member is told (once). Returns how many were told."""
    if meeting.status != DRAFT:
        raise DomainError(_l("This meeting was already published."))
    if not meeting.agenda:
        raise DomainError(_l("Add at least one agenda item before publishing."))
    if meeting.starts_at <= utcnow():
        raise DomainError(_l("The meeting's start has passed: change the date first."), field="day")
    done = db.session.execute(sa.update(Meeting).where(Meeting.id == meeting.id, Meeting.status == DRAFT)
                              .values(status=SCHEDULED, published_at=utcnow())
                              .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_l("This meeting was already published."))
    db.session.refresh(meeting)
    params = {"title": meeting.title, "starts_at": meeting.starts_at.isoformat() + "Z", "place": meeting.place,
              "online": bool(meeting.online_url), "koperasi": meeting.koperasi.name}
    users = active_member_users(meeting.koperasi_id)
    notify_many(users, Kind.RAT_SCHEDULED, koperasi_id=meeting.koperasi_id, params=params, url=member_url(meeting))
    return len(users)


def mark_held(meeting: Meeting, today: date | None = None) -> None:
    """Scheduled → held, from the meeting's day on."""
    if meeting.status != SCHEDULED:
        raise DomainError(_l("Only a published meeting can be marked as held."))
    if (today or zone_of(meeting.koperasi).today()) < meeting.day:
        raise DomainError(_l("The meeting's day has not come yet."))
    meeting.status, meeting.held_at = HELD, utcnow()
    db.session.flush()


def set_quorum(koperasi: Koperasi, bp: int | None) -> None:
    """The bylaws' quorum: more than ``bp`` basis points of the eligible members (1..9999)."""
    if bp is None or not 1 <= bp <= 9999:
        raise DomainError(_l("Enter a share between 0.01 and 99.99 %."), field="quorum")
    koperasi.rat_quorum_bp = bp
    db.session.flush()


def needed(eligible: int, bp: int) -> int:
    """Members present for a quorum: more than ``bp``/10000 of ``eligible`` (0 eligible: 1)."""
    return eligible * bp // 10000 + 1


# ---------------------------------------------------------------- the agenda

def _agenda_text(title: str | None, note: str | None) -> tuple[str, str]:
    checks = Checks()
    title = " ".join((title or "").split())
    if len(title) < 3:
        checks.fail(_l("Enter the agenda item."), "title")
    elif len(title) > 200:
        checks.fail(_l("An agenda item is at most 200 characters."), "title")
    note = (note or "").strip()
    if len(note) > 1000:
        checks.fail(_l("The note is at most 1000 characters."), "note")
    checks.done()
    return title, note


def add_item(meeting: Meeting, title: str | None, note: str | None = "") -> AgendaItem:
    """Add an item at the end of the agenda."""
    _not_held(meeting)
    title, note = _agenda_text(title, note)
    item = AgendaItem(meeting=meeting, position=len(meeting.agenda) + 1, title=title, note=note)
    db.session.add(item)
    db.session.flush()
    return item


def _item(meeting: Meeting, item_id: int | None) -> AgendaItem:
    item = next((i for i in meeting.agenda if i.id == item_id), None)
    if item is None:
        raise DomainError(_l("This agenda item is no longer there."))
    return item


def edit_item(meeting: Meeting, item_id: int | None, title: str | None, note: str | None = "") -> None:
    _not_held(meeting)
    item = _item(meeting, item_id)
    item.title, item.note = _agenda_text(title, note)
    db.session.flush()


def remove_item(meeting: Meeting, item_id: int | None) -> None:
    _not_held(meeting)
    meeting.agenda.remove(_item(meeting, item_id))
    _renumber(meeting.agenda)


def move_item(meeting: Meeting, item_id: int | None, step: int) -> None:
    """Move an item one place up (-1) or down (+1); at either end it stays."""
    _not_held(meeting)
    items = list(meeting.agenda)
    item = _item(meeting, item_id)
    at = items.index(item)
    to = min(max(at + (1 if step > 0 else -1), 0), len(items) - 1)
    items.insert(to, items.pop(at))
    _renumber(items)


def _renumber(items: list[AgendaItem]) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position
    db.session.flush()


# ---------------------------------------------------------------- minutes (notulen)

def save_minutes(meeting: Meeting, text: str | None) -> None:
    """Staff write the minutes of a held meeting; published minutes no longer change."""
    if meeting.status != HELD:
        raise DomainError(_l("Minutes are written once the meeting is held."), field="minutes")
    if meeting.minutes_published_at:
        raise DomainError(_l("The minutes are published: they no longer change."), field="minutes")
    text = (text or "").strip()
    if len(text) < 20:
        raise DomainError(_l("Write the minutes (at least a few lines)."), field="minutes")
    if len(text) > 50_000:
        raise DomainError(_l("The minutes are at most 50,000 characters."), field="minutes")
    meeting.minutes = text
    db.session.flush()


def publish_minutes(meeting: Meeting, text: str | None) -> int:
    """Save and publish the minutes to the members (each active member is told). Returns how many."""
    save_minutes(meeting, text)
    done = db.session.execute(sa.update(Meeting).where(Meeting.id == meeting.id,
                                                       Meeting.minutes_published_at.is_(None))
                              .values(minutes_published_at=utcnow()).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_l("The minutes are published: they no longer change."), field="minutes")
    db.session.refresh(meeting)
    users = active_member_users(meeting.koperasi_id)
    notify_many(users, Kind.MINUTES_PUBLISHED, koperasi_id=meeting.koperasi_id,
                params={"title": meeting.title, "koperasi": meeting.koperasi.name}, url=member_url(meeting) + "/minutes")
    return len(users)
