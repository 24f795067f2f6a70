"""An import of an existing koperasi: the preview (dry run) that keeps only the file, the staff's
confirmation, and the background job that brings members, savings and loans in.

Rules kept here:
- A preview saves the batch record and the uploaded files (private, content-addressed under
  the media folder) and nothing else; staff confirm a batch with no problems, once.
- The job reads the stored files again and checks them again (the koperasi may have changed
  since the preview), then imports ``BATCH`` members per transaction: their accounts (an
  existing account by mobile number, or a placeholder the person claims later), active
  memberships with the file's member number and join date (``imported``, not yet claimed),
  their loans with the remaining schedule, and ONE balanced entry (kind ``import``) dated the
  first moment of the cut-over day.
- Idempotent and resumable: a member whose number is already an imported member of this
  koperasi with the same NIK is skipped, so importing the same file again, or re-running a
  stopped job, adds nothing. The batch remembers the files' hash.
- The koperasi's member numbering stays ahead: a number with its own prefix (``KSR-00042``)
  moves ``last_member_seq`` to at least 42, so a member approved later never gets it.

Why the entry posts against "Opening balances to be matched" (3901, equity): the board's
opening balances (``models.chart.post_opening``) are one entry of the whole balance sheet, in
aggregate, with no member on any line. Member savings and loans need a line per member and per
loan (``SavingsBalance`` and the instalments must equal their lines, ``models.books_check``), so
the import posts those lines, and their net goes to this one equity account: credit each
member's savings, debit each loan's receivable, and the difference to 3901. When the board then
enters the rest (cash, bank, fixed assets, reserve) as its opening balances, it puts the same
net on 3901 the other way, and 3901 comes to zero: the balance sheet balances at every step.

Imported loans: the instalments still to pay, numbered on from those already paid (7 to 12 of
12), due monthly from the next due date; principal parts from ``models.loans.schedule`` over
the principal still owed. A declining loan's interest is on the remaining balance (as its
schedule always was); a flat loan's interest stays on the principal lent, as agreed. The loan
was lent (``disbursed_on``) a month before the next due date, as far as payoff accrual goes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import date, datetime
from fractions import Fraction

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from models import import_sheets, jobs, private_files
from models import koperasi_import as reader
from models.accounts import User
from models.base import db, utcnow
from models.chart import moment
from models.crypto import InvalidToken, seal, unseal
from models.errors import DomainError
from models.koperasi import Koperasi, record
from models.ledger import SAVINGS, Leg, Purpose, SavingsBalance, lock, post, round_idr
from models.loans import Instalment, Loan, LoanProduct, LoanStatus, add_months, schedule
from models.membership import Membership, MemberStatus

BATCH = 500
JOB_KIND = "import"
PREVIEWED, RUNNING, DONE, FAILED = "previewed", "running", "done", "failed"
STATUS_LABELS = {PREVIEWED: _l("Checked, waiting for confirmation"), RUNNING: _l("Importing"),
                 DONE: _l("Imported"), FAILED: _l("Stopped")}
_NAME = re.compile(r"[0-9a-f]{64}\.(xlsx|csv)")


class ImportBatch(db.Model):
    """One upload of a koperasi's members, savings and loans: its files, cut-over, status, counts."""

    __table_args__ = (sa.Index("ix_import_batch_koperasi", "koperasi_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    file_hash: Mapped[str] = mapped_column(sa.String(64))  # of the files together
    files: Mapped[str] = mapped_column(sa.Text)  # JSON: [[the name uploaded, the stored name], …]
    cutover: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(10), default=PREVIEWED)
    members: Mapped[int] = mapped_column(default=0)  # new members in the file
    skipped: Mapped[int] = mapped_column(default=0)  # imported before: left as they are
    loans: Mapped[int] = mapped_column(default=0)
    problems: Mapped[int] = mapped_column(default=0)
    totals: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON, as the preview counted them
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def file_names(self) -> list[str]:
        return [name for name, _stored in json.loads(self.files)]

    def totals_dict(self) -> dict[str, int]:
        return json.loads(self.totals or "{}")


# ---------------------------------------------------------------- files

def store(data: bytes, name: str, folder: str) -> str:
    """Keep an uploaded file, encrypted (it holds every member's NIK: models.crypto), under the
    SHA-256 name of its encrypted bytes; return the stored name."""
    ext = "xlsx" if data[:4] == b"PK\x03\x04" else "csv"
    return f"{private_files.store(seal(data), folder, ext)}.{ext}"


def load(batch: ImportBatch, folder: str) -> list[tuple[str, bytes]]:
    out = []
    for name, stored in json.loads(batch.files):
        if not _NAME.fullmatch(stored):
            raise DomainError(_l("The uploaded file is no longer there: upload it again."))
        try:
            with open(os.path.join(folder, stored), "rb") as source:
                out.append((name, unseal(source.read())))
        except (OSError, InvalidToken):  # gone, or sealed with a key no longer configured
            raise DomainError(_l("The uploaded file is no longer there: upload it again.")) from None
    return out


# ---------------------------------------------------------------- preview and confirmation

def check_cutover(koperasi: Koperasi, cutover: date | None) -> date:
    if cutover is None:
        raise DomainError(_l("Enter the cut-over date: the day your balances are as of."), field="cutover")
    try:
        moment(koperasi, cutover, start=True)  # not in the future
    except DomainError as error:
        raise DomainError(error.message, field="cutover") from None
    return cutover


def preview(koperasi: Koperasi, files: list[tuple[str, bytes]], cutover: date | None, by: User | None,
            folder: str) -> tuple[ImportBatch, reader.Preview]:
    """Read and check the upload (nothing imported); keep the batch record and the files."""
    cutover = check_cutover(koperasi, cutover)
    raw = import_sheets.read(files)
    result = reader.check(koperasi, raw, cutover)
    stored = [[name[:120], store(data, name, folder)] for name, data in files if data]
    digest = hashlib.sha256("".join(sorted(s for _n, s in stored)).encode()).hexdigest()
    totals = result.totals()
    batch = ImportBatch(koperasi_id=koperasi.id, by_id=by.id if by else None, file_hash=digest,
                        files=json.dumps(stored), cutover=cutover, members=totals["members"],
                        skipped=result.skipped, loans=totals["loans"], problems=len(result.problems),
                        totals=json.dumps(totals))
    db.session.add(batch)
    db.session.flush()
    return batch, result


def batches(koperasi: Koperasi, limit: int = 20) -> list[ImportBatch]:
    return list(db.session.scalars(sa.select(ImportBatch).where(ImportBatch.koperasi_id == koperasi.id)
                                   .order_by(ImportBatch.id.desc()).limit(limit)))


def batch_of(koperasi: Koperasi, batch_id: int) -> ImportBatch | None:
    batch = db.session.get(ImportBatch, batch_id)
    return batch if batch is not None and batch.koperasi_id == koperasi.id else None


def job_of(batch: ImportBatch) -> jobs.Job | None:
    return db.session.get(jobs.Job, batch.job_id) if batch.job_id else None


def confirm(batch: ImportBatch, by: User | None) -> jobs.Job:
    """Staff confirm a checked batch: a job row (its progress) that ``import_job`` runs. A batch
    with problems is refused; a second tap gets the job already started; a stopped one runs
    again (what it imported stays, the rest follows)."""
    lock(ImportBatch, batch.id)
    batch = db.session.get(ImportBatch, batch.id)
    if batch.status == RUNNING and (running := job_of(batch)) is not None and not running.finished:
        return running
    if batch.status == DONE:
        raise DomainError(_l("This file was imported already."))
    if batch.problems:
        raise DomainError(_l("Fix the problems listed and upload the file again: nothing is imported while "
                             "any remain."))
    if batch.members == 0:
        raise DomainError(_l("Every member in this file is here already: nothing to import."))
    job = jobs.Job(koperasi_id=batch.koperasi_id, kind=JOB_KIND, subject=str(batch.id), total=batch.members,
                   by_id=by.id if by else None)
    db.session.add(job)
    db.session.flush()
    batch.job_id, batch.status = job.id, RUNNING
    record(db.session.get(Koperasi, batch.koperasi_id), by, "import_confirmed",
           {"batch": batch.id, "members": batch.members})
    db.session.flush()
    return job


# ---------------------------------------------------------------- the job

def import_job(job_id: int, folder: str) -> None:
    """The background task: check the stored file again, then import batch after batch,
    committing the progress as it goes; a failure is recorded on the job (what was imported
    stays, a re-run imports the rest)."""
    job = db.session.get(jobs.Job, job_id)
    batch = db.session.scalar(sa.select(ImportBatch).where(ImportBatch.job_id == job_id))
    if job is None or batch is None or job.finished:
        return
    batch_id = batch.id
    job.status = jobs.RUNNING
    db.session.commit()
    try:
        run_import(batch_id, folder, job_id)
        batch = db.session.get(ImportBatch, batch_id)
        job = db.session.get(jobs.Job, job_id)
        batch.status, batch.finished_at = DONE, utcnow()
        job.status, job.finished_at, job.done = jobs.DONE, utcnow(), job.total
        db.session.commit()
    except Exception as error:  # recorded for the page; the members imported stay, a re-run resumes
        db.session.rollback()
        message = error.message if isinstance(error, DomainError) else error
        batch = db.session.get(ImportBatch, batch_id)
        job = db.session.get(jobs.Job, job_id)
        batch.status, batch.finished_at = FAILED, utcnow()
        job.status, job.finished_at, job.message = jobs.FAILED, utcnow(), str(message)[:500]
        db.session.commit()


def run_import(batch_id: int, folder: str, job_id: int | None = None, size: int | None = None) -> int:
    """Import what the batch's file holds and this koperasi lacks, ``size`` members per
    transaction (committed); how many members were imported."""
    batch = db.session.get(ImportBatch, batch_id)
    koperasi = db.session.get(Koperasi, batch.koperasi_id)
    result = reader.check(koperasi, import_sheets.read(load(batch, folder)), batch.cutover)
    if result.problems:
        raise DomainError(_l("The file has %(n)s problems now (the koperasi changed since the preview): upload "
                             "it again to see them.", n=len(result.problems)))
    members = result.new_members
    loans_by_member: dict[str, list[reader.LoanRow]] = {}
    for loan in result.loans:
        loans_by_member.setdefault(loan.member_number, []).append(loan)
    by = db.session.get(User, batch.by_id) if batch.by_id else None
    size = size or BATCH
    done = 0
    for start in range(0, len(members), size):
        chunk = members[start:start + size]
        _import_chunk(koperasi, chunk, loans_by_member, batch, by)
        done += len(chunk)
        if job_id is not None:
            db.session.execute(sa.update(jobs.Job).where(jobs.Job.id == job_id).values(done=done))
        db.session.commit()
        koperasi = db.session.get(Koperasi, batch.koperasi_id)
        batch = db.session.get(ImportBatch, batch_id)
    return done


def _import_chunk(koperasi: Koperasi, rows: list[reader.MemberRow], loans_by_member: dict, batch: ImportBatch,
                  by: User | None) -> None:
    """One transaction: accounts, memberships, savings, loans, and their one balanced entry."""
    lock(Koperasi, koperasi.id)
    koperasi = db.session.get(Koperasi, koperasi.id)
    numbers = [r.member_number for r in rows]
    if db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(
            Membership.koperasi_id == koperasi.id, Membership.member_number.in_(numbers))):
        # Another run took some of these meanwhile: take only what is still missing.
        taken = set(db.session.scalars(sa.select(Membership.member_number).where(
            Membership.koperasi_id == koperasi.id, Membership.member_number.in_(numbers))))
        rows = [r for r in rows if r.member_number not in taken]
        if not rows:
            return
    users = _accounts(rows)
    memberships = []
    for r in rows:
        memberships.append(Membership(
            koperasi_id=koperasi.id, user_id=users[r.mobile], status=MemberStatus.ACTIVE, full_name=r.full_name,
            nik=r.nik, address=r.address, occupation="", is_umkm=False, gender=r.gender, birth_date=r.birth_date,
            region_code=r.region_code, imported=True, claimed_at=None, member_number=r.member_number,
            joined_on=r.joined_on, pokok_owed_idr=r.savings["pokok"], decided_at=utcnow(),
            decided_by_id=by.id if by else None))
    db.session.add_all(memberships)
    db.session.flush()
    legs: list[Leg] = []
    balances = []
    for r, m in zip(rows, memberships, strict=True):
        for kind in import_sheets.SAVINGS_KINDS:
            if amount := r.savings[kind]:
                balances.append(SavingsBalance(membership_id=m.id, kind=kind, balance=amount))
                legs.append(Leg(SAVINGS[kind], -amount, membership_id=m.id))
    db.session.add_all(balances)
    legs += _loans(koperasi, rows, memberships, loans_by_member)
    _keep_numbering_ahead(koperasi, [r.member_number for r in rows])
    net = -sum(leg.amount for leg in legs)
    if net:
        legs.append(Leg(Purpose.OPENING_EQUITY, net))
    if len([leg for leg in legs if leg.amount]) >= 2:
        post(koperasi, "import", legs, by=by, memo=str(_l("Import %(batch)s: rows %(first)s–%(last)s",
                                                            batch=batch.id, first=rows[0].row, last=rows[-1].row)),
             at=moment(koperasi, batch.cutover, start=True))
    db.session.flush()


def _accounts(rows: list[reader.MemberRow]) -> dict[str, int]:
    """{mobile: user id}: the account with that number, or a new placeholder (``accounts.placeholder_for``,
    in one query and one flush for the whole chunk)."""
    mobiles = [r.mobile for r in rows]
    found = dict(db.session.execute(sa.select(User.mobile, User.id).where(User.mobile.in_(mobiles))).all())
    new = [User(full_name=r.full_name, mobile=r.mobile, password_hash="!", placeholder=True)
           for r in rows if r.mobile not in found]
    db.session.add_all(new)
    db.session.flush()
    found.update({u.mobile: u.id for u in new})
    return found


def _imported_purpose() -> str:
    """A loan's purpose is the koperasi's own words, kept as typed (Indonesian), whoever reads it."""
    with force_locale("id"):
        return str(_l("Brought in by the import"))


def _loans(koperasi: Koperasi, rows, memberships, loans_by_member: dict) -> list[Leg]:
    """Each member's loans, repaying, with the instalments left; the receivable legs."""
    products = {p.id: p for p in db.session.scalars(sa.select(LoanProduct).where(
        LoanProduct.koperasi_id == koperasi.id))}
    made: list[tuple[Loan, reader.LoanRow]] = []
    for r, m in zip(rows, memberships, strict=True):
        for row in loans_by_member.get(r.member_number, []):
            product = products[row.product_id]
            loan = Loan(koperasi_id=koperasi.id, membership_id=m.id, product_id=product.id, status=LoanStatus.ACTIVE,
                        requested_idr=row.original_idr, principal_idr=row.original_idr, tenor=row.tenor,
                        purpose=_imported_purpose(), method=row.method, monthly_rate_bp=row.rate_bp,
                        fee_idr=0, fee_mode=product.fee_mode, late_fee_mode=product.late_fee_mode,
                        late_fee_idr=product.late_fee_idr, late_fee_bp=product.late_fee_bp,
                        late_fee_cap_idr=product.late_fee_cap_idr, rebate_rule=product.rebate_rule,
                        decided_at=utcnow(), disbursed_on=add_months(row.next_due, -1))
            made.append((loan, row))
    db.session.add_all([loan for loan, _row in made])
    db.session.flush()
    instalments, legs = [], []
    for loan, row in made:
        instalments += remaining_schedule(loan.id, row)
        legs.append(Leg(Purpose.LOANS, row.owed_idr, loan_id=loan.id))
    db.session.add_all(instalments)
    return legs


def remaining_schedule(loan_id: int, row: reader.LoanRow) -> list[Instalment]:
    """The instalments still to pay (module docstring): numbered on, monthly from the next due date."""
    paid = row.tenor - row.remaining
    flat_interest = round_idr(Fraction(row.original_idr * row.rate_bp, 10000)) if row.method == "flat" else None
    out = []
    for k, part in enumerate(schedule(row.owed_idr, row.remaining, row.method, row.rate_bp, row.next_due)):
        out.append(Instalment(loan_id=loan_id, seq=paid + k + 1, due_on=add_months(row.next_due, k),
                              principal_due=part.principal,
                              interest_due=part.interest if flat_interest is None else flat_interest,
                              principal_paid=0, interest_paid=0, late_fee_paid=0))
    return out


def _keep_numbering_ahead(koperasi: Koperasi, numbers: list[str]) -> None:
    pattern = re.compile(rf"{re.escape(koperasi.member_prefix)}-?0*([0-9]{{1,9}})", re.IGNORECASE)
    highest = max((int(m[1]) for n in numbers if (m := pattern.fullmatch(n))), default=0)
    if highest > koperasi.last_member_seq:
        db.session.execute(sa.update(Koperasi).where(Koperasi.id == koperasi.id, Koperasi.last_member_seq < highest)
                           .values(last_member_seq=highest))
