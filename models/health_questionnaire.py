"""The health rating's management aspect (manajemen): the pengurus' yes/no questionnaire, one per
koperasi and book year (Perdep 06/Per/Dep.6/IV/2016: five components of 3 points each).

Rules kept here:
- Every "yes" earns its component's share: 12 questions × 0,25 (manajemen umum), 6 × 0,5
  (kelembagaan), 5 × 0,6 (permodalan), 10 × 0,3 (aktiva), 5 × 0,6 (likuiditas).
- The questions are concise forms of the regulation's; only the listed codes are kept, any
  other answer is refused. Answering again replaces the year's answers; who and when is kept,
  and each save is recorded in the koperasi's history.
- A questionnaire is for the current book year or a past one.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from models.accounts import User
from models.base import db, utcnow
from models.errors import DomainError
from models.koperasi import Koperasi, record
from models.zones import zone_of

# component: (points per "yes" in hundredths, questions). Concise forms of the regulation's questions.
QUESTIONS: dict[str, tuple[int, tuple[tuple[str, object], ...]]] = {
    "umum": (25, (
        ("u1", _l("The koperasi has a clear vision, mission and goals that the members understand.")),
        ("u2", _l("There is a long-term plan (at least 3 years) that the board works from.")),
        ("u3", _l("There is a yearly work plan that the board works from.")),
        ("u4", _l("The yearly plan has measurable targets with dates.")),
        ("u5", _l("The board's decisions are taken in meetings and written in minutes.")),
        ("u6", _l("The pengurus and the pengawas meet at least once a month.")),
        ("u7", _l("The board trains and educates the members (pendidikan perkoperasian).")),
        ("u8", _l("The pengurus report the business to the pengawas regularly.")),
        ("u9", _l("The manager and staff are hired with a written contract.")),
        ("u10", _l("Serving members follows written standard procedures (SOP).")),
        ("u11", _l("The books are kept in order and monthly financial reports are made.")),
        ("u12", _l("The pengawas check the business and report in writing.")),
    )),
    "kelembagaan": (50, (
        ("k1", _l("An organisation chart shows clear lines of authority and responsibility.")),
        ("k2", _l("Every position has a written job description.")),
        ("k3", _l("Every activity has a written system and procedure.")),
        ("k4", _l("An internal control system is in place and used.")),
        ("k5", _l("The management information system is adequate.")),
        ("k6", _l("The supervision by the pengawas is written up (laporan pengawasan).")),
    )),
    "permodalan": (60, (
        ("p1", _l("Own capital grew at least as fast as the assets.")),
        ("p2", _l("Members' capital (simpanan pokok and wajib) grew at least 10 percent on last year.")),
        ("p3", _l("At least 25 percent of the SHU is set aside as a reserve.")),
        ("p4", _l("Members' savings grew at least 10 percent on last year.")),
        ("p5", _l("Fixed assets and equipment are financed with own capital.")),
    )),
    "aktiva": (30, (
        ("a1", _l("At least 90 percent of the loans outstanding are lancar (current).")),
        ("a2", _l("Every loan is preceded by an analysis of the borrower's ability to repay.")),
        ("a3", _l("The loan-loss allowance is at least the loans that went bad this year.")),
        ("a4", _l("At least a third of last year's bad loans were collected.")),
        ("a5", _l("A written collection policy is followed.")),
        ("a6", _l("There is a written ceiling on the loan to one member.")),
        ("a7", _l("Loans to pengurus, pengawas and staff follow the same rules as members'.")),
        ("a8", _l("Loans are monitored regularly after disbursement.")),
        ("a9", _l("Loans above a set amount require collateral (agunan).")),
        ("a10", _l("Fixed assets are recorded and safeguarded.")),
    )),
    "likuiditas": (60, (
        ("l1", _l("There is a written policy on managing liquidity.")),
        ("l2", _l("A standby loan facility from another institution is available for liquidity.")),
        ("l3", _l("Obligations falling due are tracked with adequate records.")),
        ("l4", _l("Lending decisions take the funds available into account.")),
        ("l5", _l("The information system supports monitoring liquidity.")),
    )),
}
COMPONENT_LABELS = {
    "umum": _l("Manajemen umum (general management)"),
    "kelembagaan": _l("Kelembagaan (institution)"),
    "permodalan": _l("Manajemen permodalan (capital management)"),
    "aktiva": _l("Manajemen aktiva (asset management)"),
    "likuiditas": _l("Manajemen likuiditas (liquidity management)"),
}
QUESTION_CODES = tuple(code for _points, questions in QUESTIONS.values() for code, _text in questions)


class HealthQuestionnaire(db.Model):
    """The pengurus' answers to the management questions for one book year (yes: the code is listed)."""

    __table_args__ = (sa.UniqueConstraint("koperasi_id", "year", name="uq_health_questionnaire_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    year: Mapped[int]
    answers: Mapped[list] = mapped_column(sa.JSON, default=list)  # the codes answered "yes"
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


def questionnaire_of(koperasi: Koperasi, year: int) -> HealthQuestionnaire | None:
    return db.session.scalar(sa.select(HealthQuestionnaire).where(HealthQuestionnaire.koperasi_id == koperasi.id,
                                                                  HealthQuestionnaire.year == year))


def save_questionnaire(koperasi: Koperasi, year: int, yes: list[str], by: User | None) -> HealthQuestionnaire:
    """Record the year's answers (the codes answered yes; unknown codes are refused). The book year
    is the current one or a past one."""
    check_year(koperasi, year)
    unknown = set(yes) - set(QUESTION_CODES)
    if unknown:
        raise DomainError(_l("Answer the questions of the list."))
    row = questionnaire_of(koperasi, year)
    if row is None:
        row = HealthQuestionnaire(koperasi_id=koperasi.id, year=year)
        db.session.add(row)
    row.answers = [code for code in QUESTION_CODES if code in set(yes)]
    row.answered_by_id, row.answered_at = (by.id if by else None), utcnow()
    record(koperasi, by, "health_questionnaire", {"year": year, "yes": len(row.answers)})
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:  # the same year's first answers saved at the same moment: change those
        return save_questionnaire(koperasi, year, yes, by)
    return row


def check_year(koperasi: Koperasi, year: int) -> None:
    if not 1900 <= year <= zone_of(koperasi).today().year:
        raise DomainError(_l("Choose the current book year or a past one."), field="year")
