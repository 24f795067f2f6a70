"""Koperasi on the platform: registration, verification, profile, staff, history."""

from __future__ import annotations

import enum
import hashlib
import json
import re
import unicodedata
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import regions
from models.accounts import User, normalize_mobile
from models.base import db, utcnow
from models.duties import NEW_STAFF_ROLE, ROLE_LABELS, Role, may  # noqa: F401  (ROLE_LABELS: views import it from here)
from models.errors import Checks, DomainError
from models.images import LOGO_MAX_BYTES, reencode

# Indonesia's extent, with a margin: a position outside it is a typing mistake.
LAT_RANGE = (-11.5, 6.5)
LNG_RANGE = (94.5, 141.5)

# Savings interest (models.savings_interest). The cap on the sukarela rate: 9 % a year, the
# ceiling Permenkop 8/2023 sets for a koperasi's interest on savings (see DESIGN.md). It is the
# law's figure, not the LPS guarantee rate (that one moves every few months and binds banks):
# a rate above it is refused on the settings form.
SAVINGS_RATE_CAP_BP = 900  # hundredths of a percent a year
INTEREST_METHODS = {
    "minimum": _l("Lowest daily balance of the month"),
    "average": _l("Average daily balance of the month"),
}
DUE_DAYS = (1, 28)  # a due day every month has
SETTING_FIELDS = ("single_person_loans", "savings_rate_bp", "interest_method", "interest_tax", "wajib_due_day",
                  "employees_men", "employees_women", "transparency_public", "ktp_photo_required", "ktp_keep_days",
                  "staff_second_factor", "withdraw_daily_limit_idr")
EMPLOYEES_MAX = 100_000  # more employees than this in one koperasi is a typing mistake
WITHDRAW_LIMIT_MAX = 1_000_000_000  # Rp1 miliar a member a day: beyond it, a typing mistake
KTP_KEEP_DAYS = (1, 365)  # how long after the decision an applicant's KTP photo is kept (models.documents)


class Jenis(enum.StrEnum):
    SIMPAN_PINJAM = "simpan_pinjam"
    KONSUMEN = "konsumen"
    PRODUSEN = "produsen"
    PEMASARAN = "pemasaran"
    JASA = "jasa"
    SERBA_USAHA = "serba_usaha"
    SYARIAH = "syariah"


JENIS_LABELS = {
    Jenis.SIMPAN_PINJAM: _l("Savings and loans (KSP)"),
    Jenis.KONSUMEN: _l("Consumer"),
    Jenis.PRODUSEN: _l("Producer"),
    Jenis.PEMASARAN: _l("Marketing"),
    Jenis.JASA: _l("Services"),
    Jenis.SERBA_USAHA: _l("Multi-purpose (KSU)"),
    Jenis.SYARIAH: _l("Sharia (KSPPS)"),
}

SERVICE_LABELS = {
    "savings": _l("Savings"),
    "loans": _l("Loans"),
    "store": _l("Store"),
    "marketplace": _l("Marketplace"),
    "agri_supplies": _l("Agricultural supplies"),
    "sharia_finance": _l("Sharia financing"),
    "payments": _l("Bill payments"),
    "training": _l("Business training"),
}


class Status(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Koperasi(db.Model):
    __table_args__ = (
        # The nearest query: a bounding box on these two columns, then exact distance.
        sa.Index("ix_koperasi_status_lat_lng", "status", "lat", "lng"),
        # The directory by name, alone or within a region: walked in order, a page at a time
        # (models/directory.py).
        sa.Index("ix_koperasi_status_regency", "status", "regency_code", "search_name", "id"),
        sa.Index("ix_koperasi_status_province", "status", "province_code", "search_name", "id"),
        sa.Index("ix_koperasi_status_name", "status", "search_name", "id"),
        # The directory's jenis filter, alone and with a province, in name order (migration 0035).
        sa.Index("ix_koperasi_status_jenis", "status", "jenis", "search_name", "id"),
        sa.Index("ix_koperasi_status_province_jenis", "status", "province_code", "jenis", "search_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    search_name: Mapped[str] = mapped_column(sa.String(160))  # lower case, for search
    legal_number: Mapped[str] = mapped_column(sa.String(80), unique=True)  # nomor badan hukum
    # Who signs the statements (ketua and bendahara of the pengurus), printed under them.
    chair_name: Mapped[str | None] = mapped_column(sa.String(120))
    treasurer_name: Mapped[str | None] = mapped_column(sa.String(120))
    nik_koperasi: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    jenis: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    address: Mapped[str] = mapped_column(sa.String(300))
    province_code: Mapped[str] = mapped_column(sa.String(2))
    regency_code: Mapped[str] = mapped_column(sa.String(5))
    district_code: Mapped[str | None] = mapped_column(sa.String(8))
    lat: Mapped[float] = mapped_column(sa.Float)
    lng: Mapped[float] = mapped_column(sa.Float)
    whatsapp: Mapped[str | None] = mapped_column(sa.String(16))
    pokok_idr: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # simpanan pokok, once
    wajib_idr: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # simpanan wajib, monthly
    requirements: Mapped[str] = mapped_column(sa.Text, default="")
    member_prefix: Mapped[str] = mapped_column(sa.String(8))
    last_member_seq: Mapped[int] = mapped_column(default=0)  # numbers are never reused
    last_receipt_seq: Mapped[int] = mapped_column(default=0)  # receipt numbers, likewise
    status: Mapped[str] = mapped_column(sa.String(10), default=Status.PENDING)
    rejection_reason: Mapped[str | None] = mapped_column(sa.Text)
    logo_version: Mapped[str | None] = mapped_column(sa.String(16))
    # A small koperasi may let one person approve a loan and pay it out (models.loans.disburse).
    single_person_loans: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Loan-loss provisioning (PPAP) per collectability class, in hundredths of a percent of the
    # principal outstanding (models.collectability): lancar, kurang lancar, diragukan, macet.
    provision_lancar_bp: Mapped[int] = mapped_column(default=50, server_default=sa.text("50"))
    provision_kurang_bp: Mapped[int] = mapped_column(default=1000, server_default=sa.text("1000"))
    provision_diragukan_bp: Mapped[int] = mapped_column(default=5000, server_default=sa.text("5000"))
    provision_macet_bp: Mapped[int] = mapped_column(default=10000, server_default=sa.text("10000"))
    # The bylaws' RAT quorum: more than this many hundredths of a percent of the eligible
    # members must be present (5000: half + 1; models.meetings.needed).
    rat_quorum_bp: Mapped[int] = mapped_column(default=5000, server_default=sa.text("5000"))
    # Interest on sukarela (% a year in hundredths), how its base is taken, and the final
    # tax withheld under PP 15/2009; the day of the month simpanan wajib is due (models.dues).
    savings_rate_bp: Mapped[int] = mapped_column(default=0, server_default="0")
    interest_method: Mapped[str] = mapped_column(sa.String(10), default="minimum", server_default="minimum")
    interest_tax: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    wajib_due_day: Mapped[int] = mapped_column(default=10, server_default="10")
    # The regulator's report (models.regulator): the office's employees (karyawan) as they stand
    # now; and the public transparency page (/k/<slug>/transparansi), off until the board turns it on.
    employees_men: Mapped[int] = mapped_column(default=0, server_default="0")
    employees_women: Mapped[int] = mapped_column(default=0, server_default="0")
    transparency_public: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The board requires its staff to log in with a second factor (models.second_factor, web.reauth).
    staff_second_factor: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # A join application must carry a photo of the KTP; it is deleted this many days after the
    # decision (models.documents.purge_ktp).
    ktp_photo_required: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    ktp_keep_days: Mapped[int] = mapped_column(default=30, server_default="30")
    # The most a member may withdraw a day to a bank or e-wallet from the phone (models.withdrawals); 0: none.
    withdraw_daily_limit_idr: Mapped[int] = mapped_column(sa.BigInteger, default=5_000_000, server_default="5000000")
    # The health rating (models.health): members see the category of the published year when on.
    health_published: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    health_year: Mapped[int | None]
    health_score_centi: Mapped[int | None]  # the total in hundredths of a point, frozen when published
    health_category: Mapped[str | None] = mapped_column(sa.String(20))
    # Top-ups by bank transfer (models.topups): where members transfer, and how long a request waits.
    topup_bank_name: Mapped[str | None] = mapped_column(sa.String(60))
    topup_bank_account: Mapped[str | None] = mapped_column(sa.String(20))
    topup_bank_holder: Mapped[str | None] = mapped_column(sa.String(120))
    topup_expiry_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified_at: Mapped[datetime | None]

    # Loaded when read (the profile pages, the health rating), not with every koperasi: the
    # catalogue, the cart and the office load a koperasi on each page and never show its services.
    services: Mapped[list[KoperasiService]] = relationship(
        cascade="all, delete-orphan", lazy="select", order_by="KoperasiService.service")

    @property
    def service_codes(self) -> list[str]:
        return [s.service for s in self.services]

    @property
    def region_label(self) -> str:
        return ", ".join(filter(None, [regions.name(self.district_code), regions.name(self.regency_code),
                                       regions.name(self.province_code)]))

    @property
    def jenis_label(self):
        return JENIS_LABELS.get(self.jenis, self.jenis)

    @property
    def interest_method_label(self):
        return INTEREST_METHODS.get(self.interest_method, self.interest_method)

    @property
    def is_verified(self) -> bool:
        return self.status == Status.VERIFIED


class KoperasiService(db.Model):
    __table_args__ = (sa.Index("ix_koperasi_service_service", "service", "koperasi_id"),)

    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"), primary_key=True)
    service: Mapped[str] = mapped_column(sa.String(20), primary_key=True)


class KoperasiLogo(db.Model):
    """The logo, re-encoded small, kept in the database so every app process can serve it."""

    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"), primary_key=True)
    mimetype: Mapped[str] = mapped_column(sa.String(20))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class Staff(db.Model):
    __table_args__ = (sa.UniqueConstraint("koperasi_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(10), default=NEW_STAFF_ROLE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")

    def can(self, duty: str) -> bool:
        """May this person do ``duty`` here? (models.duties holds the table)"""
        return may(self.role, duty)


class KoperasiEvent(db.Model):
    """The koperasi's history, which is its audit log (models.audit): who did what, when and from
    where. Append-only: the database refuses UPDATE and DELETE on it (migration 0037)."""

    __table_args__ = (
        sa.Index("ix_koperasi_event_koperasi_created", "koperasi_id", "created_at", "id"),
        sa.Index("ix_koperasi_event_koperasi_action", "koperasi_id", "action", "created_at"),
        sa.Index("ix_koperasi_event_koperasi_actor", "koperasi_id", "actor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(sa.String(20))
    details: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON: {field: [old, new]} or facts
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # From where (filled in by web/audit.py for an event recorded during a request; empty from the CLI).
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(120))
    session_id: Mapped[int | None]  # the sign-in session (models.sessions.UserSession), not a key to it

    actor: Mapped[User | None] = relationship(lazy="joined")

    @property
    def detail_map(self) -> dict:
        return json.loads(self.details or "{}")


# ---------------------------------------------------------------- operations

PROFILE_FIELDS = ("name", "legal_number", "nik_koperasi", "jenis", "description", "address", "province_code",
                  "regency_code", "district_code", "lat", "lng", "whatsapp", "pokok_idr", "wajib_idr",
                  "requirements", "member_prefix", "chair_name", "treasurer_name")


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60] or "koperasi"


def unique_slug(model, name: str) -> str:
    """A URL name for a new row of ``model`` (koperasi, store): the name, numbered if taken."""
    base = slugify(name)
    taken = set(db.session.scalars(sa.select(model.slug).where(model.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _clean(data: dict, koperasi_id: int | None = None) -> dict:
    """Check a profile; raise one DomainError listing every bad field."""
    checks = Checks()
    out = dict(data)
    out["name"] = " ".join((data.get("name") or "").split())
    if len(out["name"]) < 3:
        checks.fail(_l("Enter the koperasi's name."), "name")
    out["legal_number"] = (data.get("legal_number") or "").strip().upper()
    if len(out["legal_number"]) < 5:
        checks.fail(_l("Enter the legal entity number (nomor badan hukum)."), "legal_number")
    out["nik_koperasi"] = (data.get("nik_koperasi") or "").strip() or None
    if out["nik_koperasi"] and not re.fullmatch(r"\d{16}", out["nik_koperasi"]):
        checks.fail(_l("The Nomor Induk Koperasi has 16 digits."), "nik_koperasi")
    if data.get("jenis") not in set(Jenis):
        checks.fail(_l("Choose the koperasi's type."), "jenis")
    if not data.get("province_code"):
        checks.fail(_l("Choose the province."), "province_code")
    elif not regions.valid_chain(data["province_code"], data.get("regency_code"), data.get("district_code")):
        checks.fail(_l("Choose the province, regency/city and district from the list."), "regency_code")
    elif not data.get("regency_code"):
        checks.fail(_l("Choose the regency or city."), "regency_code")
    for name, (low, high) in (("lat", LAT_RANGE), ("lng", LNG_RANGE)):
        if data.get(name) is None or not low <= data[name] <= high:
            checks.fail(_l("The map position must be in Indonesia (latitude -11 to 6, longitude 95 to 141)."), name)
    with checks.catching():
        out["whatsapp"] = normalize_mobile(data["whatsapp"], field="whatsapp") if data.get("whatsapp") else None
    for fee in ("pokok_idr", "wajib_idr"):
        value = data.get(fee)
        if value is None or value < 0 or value > 100_000_000:
            checks.fail(_l("Enter an amount from Rp0 to Rp100.000.000."), fee)
    prefix = (data.get("member_prefix") or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{1,6}", prefix):
        checks.fail(_l("Use 1 to 6 letters or digits, e.g. KSP."), "member_prefix")
    out["member_prefix"] = prefix
    for signer in ("chair_name", "treasurer_name"):
        out[signer] = " ".join((data.get(signer) or "").split())[:120] or None
    services = [s for s in data.get("services") or [] if s in SERVICE_LABELS]
    if not services:
        checks.fail(_l("Choose at least one service."), "services")
    out["services"] = sorted(set(services))
    _check_settings(checks, data)
    if not checks.failed("legal_number") and not checks.failed("nik_koperasi"):
        _check_clash(checks, out["legal_number"], out["nik_koperasi"], koperasi_id)
    checks.done()
    return out


def percent_text(hundredths: int) -> str:
    """900 → "9", 450 → "4,5": a percentage as Indonesians write it."""
    return f"{hundredths / 100:g}".replace(".", ",")


def _check_settings(checks: Checks, data: dict) -> None:
    """The office's settings, when the form has them (registration does not: None)."""
    rate = data.get("savings_rate_bp")
    if rate is not None and rate < 0:
        checks.fail(_l("Enter the interest rate as a percentage a year, e.g. 4,5 (0 for none)."), "savings_rate_bp")
    elif rate is not None and rate > SAVINGS_RATE_CAP_BP:
        checks.fail(_l("At most %(cap)s%% a year: the cap Permenkop 8/2023 sets on interest on savings.",
                       cap=percent_text(SAVINGS_RATE_CAP_BP)), "savings_rate_bp")
    method = data.get("interest_method")
    if method is not None and method not in INTEREST_METHODS:
        checks.fail(_l("Choose how the interest is worked out."), "interest_method")
    day = data.get("wajib_due_day")
    if day is not None and not DUE_DAYS[0] <= day <= DUE_DAYS[1]:
        checks.fail(_l("Choose a day from 1 to 28, so every month has it."), "wajib_due_day")
    for name in ("employees_men", "employees_women"):
        count = data.get(name)
        if count is not None and not 0 <= count <= EMPLOYEES_MAX:
            checks.fail(_l("Enter how many people, from 0 to %(max)s.", max=f"{EMPLOYEES_MAX:,}".replace(",", ".")), name)
    limit = data.get("withdraw_daily_limit_idr")
    if limit is not None and not 0 <= limit <= WITHDRAW_LIMIT_MAX:
        checks.fail(_l("Enter an amount from Rp0 (none from the phone) to Rp1.000.000.000."), "withdraw_daily_limit_idr")
    keep = data.get("ktp_keep_days")
    if keep is not None and not KTP_KEEP_DAYS[0] <= keep <= KTP_KEEP_DAYS[1]:
        checks.fail(_l("Enter a number of days from %(low)s to %(high)s.", low=KTP_KEEP_DAYS[0], high=KTP_KEEP_DAYS[1]),
                    "ktp_keep_days")


def _check_clash(checks: Checks, legal_number: str, nik_koperasi: str | None, koperasi_id: int | None) -> None:
    """The legal number and the NIK koperasi belong to one koperasi only."""
    clash = sa.select(Koperasi.legal_number, Koperasi.nik_koperasi).where(
        sa.or_(Koperasi.legal_number == legal_number,
               Koperasi.nik_koperasi == nik_koperasi if nik_koperasi else sa.false()))
    if koperasi_id:
        clash = clash.where(Koperasi.id != koperasi_id)
    for legal, nik in db.session.execute(clash):
        if legal == legal_number:
            checks.fail(_l("A koperasi with this legal entity number is already registered."), "legal_number")
        if nik_koperasi and nik == nik_koperasi:
            checks.fail(_l("A koperasi with this Nomor Induk Koperasi is already registered."), "nik_koperasi")


def check_profile(data: dict, koperasi_id: int | None = None) -> None:
    """Every rule of a profile, for a form that also has other errors: raise them all."""
    _clean(data, koperasi_id)


def record(koperasi: Koperasi, actor: User | None, action: str, details: dict | None = None) -> None:
    db.session.add(KoperasiEvent(koperasi_id=koperasi.id, actor_id=actor.id if actor else None,
                                 action=action, details=json.dumps(details or {}, ensure_ascii=False)))


def register_koperasi(user: User, data: dict) -> Koperasi:
    """A new koperasi awaits verification; its registrant becomes its first admin."""
    clean = _clean(data)
    services = clean.pop("services")
    koperasi = Koperasi(**{k: clean.get(k) for k in PROFILE_FIELDS}, slug=unique_slug(Koperasi, clean["name"]),
                        search_name=clean["name"].lower(), created_by_id=user.id, status=Status.PENDING)
    koperasi.services = [KoperasiService(service=s) for s in services]
    db.session.add(koperasi)
    db.session.flush()
    db.session.add(Staff(koperasi_id=koperasi.id, user_id=user.id, role=Role.ADMIN))
    record(koperasi, user, "registered")
    return koperasi


def update_profile(koperasi: Koperasi, actor: User, data: dict) -> dict:
    """Change the profile and settings; every changed field is recorded as [old, new]."""
    clean = _clean(data, koperasi.id)
    changes = {}
    for key in PROFILE_FIELDS:
        old, new = getattr(koperasi, key), clean.get(key)
        if old != new:
            changes[key] = [old, new]
            setattr(koperasi, key, new)
    services = clean["services"]
    if services != koperasi.service_codes:
        changes["services"] = [koperasi.service_codes, services]
        koperasi.services = [KoperasiService(service=s) for s in services]
    koperasi.search_name = koperasi.name.lower()
    for key in SETTING_FIELDS:  # only on the office's form: absent at registration
        value = data.get(key)
        if value is None:
            continue
        value = bool(value) if isinstance(getattr(koperasi, key), bool) else value
        if value != getattr(koperasi, key):
            changes[key] = [getattr(koperasi, key), value]
            setattr(koperasi, key, value)
    if changes:
        record(koperasi, actor, "updated", changes)
    return changes


def verify(koperasi: Koperasi, admin: User) -> None:
    """Platform admin: the koperasi appears in the directory."""
    if koperasi.status == Status.VERIFIED:
        raise DomainError(_l("This koperasi is already verified."))
    koperasi.status, koperasi.rejection_reason, koperasi.verified_at = Status.VERIFIED, None, utcnow()
    record(koperasi, admin, "verified")


def reject(koperasi: Koperasi, admin: User, reason: str) -> None:
    """Platform admin: refused, with a reason the registrant sees."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DomainError(_l("Write the reason, so the registrant can fix it."), field="reason")
    if koperasi.status == Status.VERIFIED:
        raise DomainError(_l("A verified koperasi cannot be rejected."))
    koperasi.status, koperasi.rejection_reason = Status.REJECTED, reason
    record(koperasi, admin, "rejected", {"reason": reason})


def resubmit(koperasi: Koperasi, actor: User) -> None:
    """After fixing a rejected profile, ask for verification again."""
    if koperasi.status != Status.REJECTED:
        raise DomainError(_l("Only a rejected koperasi can be sent for verification again."))
    koperasi.status = Status.PENDING
    record(koperasi, actor, "resubmitted")


def add_staff(koperasi: Koperasi, actor: User, mobile: str, role: str = NEW_STAFF_ROLE) -> Staff:
    """Give an existing Kopz account a role in this koperasi (the least powerful unless chosen)."""
    if role not in set(Role):
        raise DomainError(_l("Choose a role from the list."), field="role")
    number = normalize_mobile(mobile)
    user = db.session.scalar(sa.select(User).where(User.mobile == number))
    if user is None:
        raise DomainError(_l("No Kopz account has this mobile number. Ask them to register first."),
                          field="mobile")
    exists = db.session.scalar(sa.select(Staff).where(Staff.koperasi_id == koperasi.id, Staff.user_id == user.id))
    if exists:
        raise DomainError(_l("This person is already staff here."), field="mobile")
    staff = Staff(koperasi_id=koperasi.id, user_id=user.id, role=role)
    db.session.add(staff)
    record(koperasi, actor, "staff_added", {"user": user.full_name, "role": role})
    return staff


def _admins(koperasi: Koperasi) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Staff).where(
        Staff.koperasi_id == koperasi.id, Staff.role == Role.ADMIN))


def change_staff_role(koperasi: Koperasi, actor: User, staff: Staff, role: str) -> None:
    if role not in set(Role):
        raise DomainError(_l("Choose a role from the list."), field="role")
    if staff.role == Role.ADMIN and role != Role.ADMIN and _admins(koperasi) <= 1:
        raise DomainError(_l("A koperasi needs at least one admin."))
    record(koperasi, actor, "staff_role", {"user": staff.user.full_name, "role": [staff.role, role]})
    staff.role = role


def remove_staff(koperasi: Koperasi, actor: User, staff: Staff) -> None:
    if staff.role == Role.ADMIN and _admins(koperasi) <= 1:
        raise DomainError(_l("A koperasi needs at least one admin."))
    record(koperasi, actor, "staff_removed", {"user": staff.user.full_name, "role": staff.role})
    db.session.delete(staff)


def set_logo(koperasi: Koperasi, actor: User, upload) -> None:
    """Accept only a real image up to 2 MB; keep a small WebP with no metadata."""
    data = reencode(upload, max_bytes=LOGO_MAX_BYTES, size=(256, 256), field="logo")
    logo = db.session.get(KoperasiLogo, koperasi.id) or KoperasiLogo(koperasi_id=koperasi.id)
    logo.mimetype, logo.data = "image/webp", data
    db.session.add(logo)
    koperasi.logo_version = hashlib.sha256(data).hexdigest()[:12]
    record(koperasi, actor, "logo")
