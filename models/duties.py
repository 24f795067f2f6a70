"""Staff roles and their duties: the one table that says who in a koperasi's office may do what.

Rules kept here:
- Every office action names one duty; a role may do it only if this table says so
  (``web.access.office(slug, duty)`` asks it on every request).
- The teller posts money (deposits, withdrawals, repayments, the cash book, the cash count),
  pays out approved loans and the withdrawals members ask from the phone (or rejects them:
  PAY_WITHDRAWAL, the board's too), confirms members' top-ups by bank transfer (CONFIRM_TOPUP,
  the board's too), collects cash offline (deposits and repayments only, sent when the signal
  returns: models.offline), and approves nothing. The pengurus (board) approves members,
  loans and stores, corrects mistaken entries (loan repayments and disbursements, cash-book and
  journal entries too), writes off loans, posts the month's loan-loss allowance, runs the
  settings and the chart of accounts (sub-accounts, opening balances), posts general journal
  entries, approves a cash count's difference and posts announcements to the members; the
  board's treasurer handles money too, so it may also post; it closes months and the book
  year, runs SHU (the split, the RAT's approval, the posting) and runs the RAT (schedule,
  agenda, documents, minutes, the votes); it imports an existing koperasi's members, savings
  and loans, and exports them (the file holds every NIK in full). The teller checks members in at the RAT, as the
  board may. The admin pengurus does all of
  that, manages staff and reopens a closed period (with a reason, shown on the reports). The pengawas
  (supervisors) read everything and change nothing.
- Every role sees a member's NIK masked; only the board (pengurus, admin) may reveal it
  in full, one member at a time, and each reveal is recorded (``membership.reveal_nik``).
- The health rating (models.health) is the board's and the supervisors': pengurus, admin and
  pengawas see it (SEE_HEALTH), the teller does not (the rating and the board's own answers on
  management are not counter work); the board fills the questionnaire and publishes (RATE_HEALTH).
- The audit log (the koperasi's history: who did what, when and from where; ``models.audit``) is
  for the board and the supervisors: pengurus, admin and pengawas see and export it (SEE_AUDIT);
  the teller, whose counter work it records along with colleagues' addresses and devices, does not.
  Every office POST for a duty in ``AUDITED`` that changes something leaves one event there
  (``web.audit``): everything but reading, and the RAT's check-in (the attendance list records it).
- New staff start as pengawas: reading is the least a role can do, so a mistaken or
  hurried addition can see but not move money or decide anything until an admin says so.
- The one person who approved a loan does not pay it out (``models.loans.disburse``),
  unless the koperasi turned on its one-person setting.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class Role(enum.StrEnum):
    """Staff roles, per koperasi, from the least to the most powerful."""

    PENGAWAS = "pengawas"  # supervisors: read only
    TELLER = "teller"  # staff at the counter: money in and out
    PENGURUS = "pengurus"  # the board: decisions and settings
    ADMIN = "admin"  # the admin pengurus: the board's duties and the staff


ROLE_LABELS = {
    Role.PENGAWAS: _l("Supervisor (pengawas), read-only"),
    Role.TELLER: _l("Teller / staff"),
    Role.PENGURUS: _l("Board (pengurus)"),
    Role.ADMIN: _l("Board / admin (pengurus)"),
}

NEW_STAFF_ROLE = Role.PENGAWAS


class Duty(enum.StrEnum):
    READ = "read"
    POST_MONEY = "post_money"
    DISBURSE_LOAN = "disburse_loan"
    APPROVE_MEMBER = "approve_member"
    APPROVE_LOAN = "approve_loan"
    APPROVE_STORE = "approve_store"
    CORRECT_ENTRY = "correct_entry"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_STAFF = "manage_staff"
    REVEAL_NIK = "reveal_nik"
    RUN_MONTH_END = "run_month_end"
    MANAGE_ACCOUNTS = "manage_accounts"
    POST_JOURNAL = "post_journal"
    APPROVE_CASH_COUNT = "approve_cash_count"
    CLOSE_PERIOD = "close_period"
    REOPEN_PERIOD = "reopen_period"
    WRITE_OFF_LOAN = "write_off_loan"
    RUN_PROVISION = "run_provision"
    MANAGE_MEETING = "manage_meeting"
    CHECK_IN = "check_in"
    RUN_SHU = "run_shu"
    ANNOUNCE = "announce"
    SEE_HEALTH = "see_health"
    RATE_HEALTH = "rate_health"
    IMPORT_MEMBERS = "import_members"
    RESET_PASSWORD = "reset_password"
    SEE_AUDIT = "see_audit"
    PAY_WITHDRAWAL = "pay_withdrawal"
    CONFIRM_TOPUP = "confirm_topup"
    COLLECT_OFFLINE = "collect_offline"


DUTY_LABELS = {
    Duty.READ: _l("See every page, list and receipt"),
    Duty.POST_MONEY: _l("Take deposits and repayments, pay out withdrawals, keep the cash book, count the cash"),
    Duty.DISBURSE_LOAN: _l("Pay out an approved loan"),
    Duty.APPROVE_MEMBER: _l("Approve or reject applications, confirm resignations"),
    Duty.APPROVE_LOAN: _l("Approve or reject loan applications"),
    Duty.APPROVE_STORE: _l("Approve or suspend stores, open the koperasi's own store"),
    Duty.CORRECT_ENTRY: _l("Correct a mistaken deposit, withdrawal, loan repayment, disbursement, cash-book or "
                           "journal entry"),
    Duty.MANAGE_SETTINGS: _l("Change the profile, logo, loan products and settings"),
    Duty.MANAGE_STAFF: _l("Add and remove staff, change their roles"),
    Duty.REVEAL_NIK: _l("See a member's full NIK when needed (each time is recorded)"),
    Duty.RUN_MONTH_END: _l("Run the month end: savings interest, dues bills, automatic dues payment, the "
                           "loan-loss allowance"),
    Duty.MANAGE_ACCOUNTS: _l("Add, close and delete sub-accounts, enter the opening balances"),
    Duty.POST_JOURNAL: _l("Post general journal entries (depreciation, accruals, corrections)"),
    Duty.APPROVE_CASH_COUNT: _l("Approve or reject a cash count's difference"),
    Duty.CLOSE_PERIOD: _l("Close a month or the book year"),
    Duty.REOPEN_PERIOD: _l("Reopen a closed month or book year, with a reason"),
    Duty.WRITE_OFF_LOAN: _l("Write a loan off (hapus buku)"),
    Duty.RUN_PROVISION: _l("Post the month's loan-loss allowance (PPAP)"),
    Duty.MANAGE_MEETING: _l("Schedule the RAT, its agenda, documents, minutes and votes"),
    Duty.CHECK_IN: _l("Check members in at the RAT"),
    Duty.RUN_SHU: _l("Set the SHU split, record the RAT's approval and post the SHU"),
    Duty.ANNOUNCE: _l("Post announcements to the members"),
    Duty.SEE_HEALTH: _l("See the health rating (kesehatan koperasi) and its figures"),
    Duty.RATE_HEALTH: _l("Fill in the health rating's management questionnaire and publish the category"),
    Duty.IMPORT_MEMBERS: _l("Import members, savings and loans from a spreadsheet, and export them (with their NIK)"),
    Duty.RESET_PASSWORD: _l("Give a member who forgot their password a temporary one, after checking their KTP in "
                            "person (each time is recorded)"),
    Duty.SEE_AUDIT: _l("See and export the history: who did what, when and from where"),
    Duty.PAY_WITHDRAWAL: _l("Pay out, or reject, the withdrawals members ask to their bank account or e-wallet"),
    Duty.CONFIRM_TOPUP: _l("Confirm members' top-ups by bank transfer against the bank statement, or reject them"),
    Duty.COLLECT_OFFLINE: _l("Collect deposits and repayments in cash where there is no signal, sent when it returns"),
}

_BOARD = {Duty.READ, Duty.POST_MONEY, Duty.COLLECT_OFFLINE, Duty.DISBURSE_LOAN, Duty.APPROVE_MEMBER, Duty.APPROVE_LOAN,
          Duty.APPROVE_STORE, Duty.CORRECT_ENTRY, Duty.MANAGE_SETTINGS, Duty.REVEAL_NIK, Duty.CLOSE_PERIOD,
          Duty.WRITE_OFF_LOAN, Duty.RUN_PROVISION, Duty.RUN_MONTH_END, Duty.MANAGE_ACCOUNTS, Duty.POST_JOURNAL,
          Duty.APPROVE_CASH_COUNT, Duty.MANAGE_MEETING, Duty.CHECK_IN, Duty.RUN_SHU, Duty.ANNOUNCE,
          Duty.SEE_HEALTH, Duty.RATE_HEALTH, Duty.IMPORT_MEMBERS, Duty.RESET_PASSWORD, Duty.SEE_AUDIT,
          Duty.PAY_WITHDRAWAL, Duty.CONFIRM_TOPUP}

# The table. Nothing else in the code decides what a role may do.
DUTIES: dict[Role, frozenset[Duty]] = {
    Role.PENGAWAS: frozenset({Duty.READ, Duty.SEE_HEALTH, Duty.SEE_AUDIT}),
    Role.TELLER: frozenset({Duty.READ, Duty.POST_MONEY, Duty.COLLECT_OFFLINE, Duty.DISBURSE_LOAN, Duty.CHECK_IN,
                            Duty.PAY_WITHDRAWAL, Duty.CONFIRM_TOPUP}),
    Role.PENGURUS: frozenset(_BOARD),
    Role.ADMIN: frozenset(_BOARD | {Duty.MANAGE_STAFF, Duty.REOPEN_PERIOD}),
}

# An office POST for one of these duties that changes something is recorded in the audit log.
AUDITED: frozenset[Duty] = frozenset(Duty) - {Duty.READ, Duty.SEE_HEALTH, Duty.SEE_AUDIT, Duty.CHECK_IN}


# Duties that move money or the books: posting one needs a password typed recently (web/reauth.py),
# so a phone left signed in at the counter does not pay out for whoever picks it up. Not COLLECT_OFFLINE:
# the phone sends what was collected offline on its own when the signal returns, with no one to type a
# password; it moves money IN only (cash deposits and repayments), each by its key, each in the audit log.
CONFIRM_BEFORE = frozenset({Duty.POST_MONEY, Duty.DISBURSE_LOAN, Duty.CORRECT_ENTRY, Duty.POST_JOURNAL,
                            Duty.WRITE_OFF_LOAN, Duty.PAY_WITHDRAWAL, Duty.CONFIRM_TOPUP})


def may(role: str, duty: str) -> bool:
    """May a staff member with ``role`` do ``duty``? Unknown roles or duties: no."""
    return duty in DUTIES.get(role, frozenset())
