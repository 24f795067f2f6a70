"""Attendance at the RAT: who is eligible, checking in at the venue or joining online, the quorum.

Rules kept here:
- Eligible (to attend and to vote): a member *active at the end of the record date* in the
  koperasi's zone: a member number, joined on or before the record date, simpanan pokok
  paid by then (no pokok deposit posted after that moment), and not resigned by then (active
  or resigning, or resigned after that moment). One rule for the check-in, the quorum and the
  votes (``models.voting``).
- A member is present once: a second check-in (at the venue or online) changes nothing and
  says so. A person who is not a member here, a member of another koperasi or a member not
  eligible is refused, nothing recorded.
- Check-in is open while the meeting is scheduled; joining online only on the meeting's day
  (in the koperasi's zone) and only when the meeting has an online link.
- A card's QR code holds its public verification link (``/v/<token>``, views.membership): the
  check-in accepts that link, the bare token, or the member number as printed on the card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.errors import DomainError
from models.ledger import Entry
from models.meetings import SCHEDULED, Meeting, needed
from models.membership import Membership, MemberStatus, membership_from_token
from models.months import midnight
from models.zones import zone_of

VENUE, ONLINE = "venue", "online"


class Attendance(db.Model):
    """A member present at a meeting, at the venue (checked in by staff) or online (joined)."""

    __table_args__ = (sa.UniqueConstraint("meeting_id", "membership_id", name="uq_attendance_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(sa.String(6))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))  # the staff who checked in

    membership: Mapped[Membership] = relationship(lazy="joined")


def record_cutoff(meeting: Meeting) -> datetime:
    """The end of the record date in the koperasi's zone, in UTC (naive): who was active then votes."""
    return midnight(meeting.koperasi, meeting.record_date + timedelta(days=1))


def active_at(koperasi_id: int, day: date, cutoff: datetime):
    """SQL: a Membership row of the koperasi active at the end of ``day`` (``cutoff``: that
    moment, naive UTC): the rule in the module docstring, also the regulator's members at a
    year's end (``models.regulator``)."""
    pokok_late = sa.exists().where(Entry.membership_id == Membership.id, Entry.kind == "deposit",
                                   Entry.memo == "pokok", Entry.posted_at >= cutoff)
    return sa.and_(
        Membership.koperasi_id == koperasi_id,
        Membership.member_number.is_not(None),
        Membership.joined_on <= day,
        sa.or_(Membership.status.in_((MemberStatus.ACTIVE, MemberStatus.RESIGNING)),
               sa.and_(Membership.status == MemberStatus.RESIGNED, Membership.resigned_at >= cutoff)),
        ~pokok_late,
    )


def eligible_clause(meeting: Meeting):
    """SQL: a Membership row that may vote at ``meeting`` (the rule in the module docstring)."""
    return active_at(meeting.koperasi_id, meeting.record_date, record_cutoff(meeting))


def is_eligible(membership: Membership, meeting: Meeting) -> bool:
    return bool(db.session.scalar(sa.select(sa.literal(True)).where(
        Membership.id == membership.id, eligible_clause(meeting))))


def eligible_count(meeting: Meeting) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(eligible_clause(meeting)))



@dataclass(frozen=True)
class Quorum:
    eligible: int
    venue: int
    online: int
    bp: int

    @property
    def present(self) -> int:
        return self.venue + self.online

    @property
    def needed(self) -> int:
        return needed(self.eligible, self.bp)

    @property
    def reached(self) -> bool:
        return self.present >= self.needed


def quorum(meeting: Meeting) -> Quorum:
    """Eligible, present at the venue and online, and the bylaws' share: two queries."""
    eligible = db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(eligible_clause(meeting)))
    counts = dict(db.session.execute(sa.select(Attendance.mode, sa.func.count()).where(
        Attendance.meeting_id == meeting.id).group_by(Attendance.mode)).all())
    return Quorum(eligible, counts.get(VENUE, 0), counts.get(ONLINE, 0), meeting.koperasi.rat_quorum_bp)


def attendance_of(meeting: Meeting, membership: Membership | None) -> Attendance | None:
    if membership is None:
        return None
    return db.session.scalar(sa.select(Attendance).where(Attendance.meeting_id == meeting.id,
                                                         Attendance.membership_id == membership.id))


def recent(meeting: Meeting, limit: int = 10) -> list[Attendance]:
    return list(db.session.scalars(sa.select(Attendance).where(Attendance.meeting_id == meeting.id)
                                   .order_by(Attendance.id.desc()).limit(limit)))


def find_card(meeting: Meeting, typed: str | None) -> Membership:
    """The membership a scanned QR (its link or token) or a typed member number names."""
    typed = (typed or "").strip()
    if not typed:
        raise DomainError(_l("Scan the member card or type the member number."), field="card")
    if "/v/" in typed or "." in typed:
        token = typed.rsplit("/v/", 1)[-1].split("?")[0].split("#")[0].strip("/")
        membership = membership_from_token(token)
        if membership is None or membership.member_number is None:
            raise DomainError(_l("This is not a Kopz member card."), field="card")
        if membership.koperasi_id != meeting.koperasi_id:
            raise DomainError(_l("This card belongs to another koperasi: %(name)s.", name=membership.koperasi.name),
                              field="card")
        return membership
    number = "".join(typed.split()).upper()
    membership = db.session.scalar(sa.select(Membership).where(Membership.koperasi_id == meeting.koperasi_id,
                                                               sa.func.upper(Membership.member_number) == number))
    if membership is None:
        raise DomainError(_l("No member here has the number %(number)s.", number=number), field="card")
    return membership


def _record(meeting: Meeting, membership: Membership, mode: str, by_id: int | None) -> Attendance:
    if meeting.status != SCHEDULED:
        raise DomainError(_l("Attendance is recorded only while the meeting is scheduled."), field="card")
    if not is_eligible(membership, meeting):
        raise DomainError(_l("%(name)s (%(number)s) may not attend: not an active member on the record date "
                             "%(day)s.", name=membership.full_name, number=membership.member_number or "-",
                             day=meeting.record_date.isoformat()), field="card")
    already = attendance_of(meeting, membership)
    if already is not None:
        raise DomainError(_l("%(name)s (%(number)s) is already checked in.", name=membership.full_name,
                             number=membership.member_number), field="card")
    row = Attendance(meeting_id=meeting.id, membership_id=membership.id, mode=mode, by_id=by_id)
    try:
        with db.session.begin_nested():  # two phones scanning the same card at once: one row
            db.session.add(row)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise DomainError(_l("%(name)s (%(number)s) is already checked in.", name=membership.full_name,
                             number=membership.member_number), field="card") from None
    return row


def check_in(meeting: Meeting, typed: str | None, by) -> Attendance:
    """Staff check a member in at the venue, from the card's QR or the member number."""
    return _record(meeting, find_card(meeting, typed), VENUE, by.id)


def join_online(meeting: Meeting, membership: Membership, today: date | None = None) -> Attendance | None:
    """The member joins online on the meeting's day: recorded once (None when already present)."""
    if not meeting.online_url:
        raise DomainError(_l("This meeting has no online link."))
    if (today or zone_of(meeting.koperasi).today()) != meeting.day:
        raise DomainError(_l("You can join online on the meeting's day."))
    if attendance_of(meeting, membership) is not None:
        return None
    return _record(meeting, membership, ONLINE, None)
