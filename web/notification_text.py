"""A notification's words, made when it is shown (the list, a push) in the reader's language.

``render(note)`` turns a ``models.notifications.Notification`` (its kind and params) into a
title and a body in the current locale: amounts in Rupiah, dates and times in the
koperasi's zone (WIB by default), the koperasi's name from its id. Push calls it inside
``flask_babel.force_locale(user.locale)``. A missing or malformed param leaves a blank,
never an error: a notification written by older code must still show.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import NamedTuple

from flask_babel import gettext as _

from models.base import utcnow
from models.koperasi import Koperasi
from models.notifications import Kind, Notification
from models.orders import STATUS_LABELS as ORDER_STATUS
from models.zones import zone_of
from web.extensions import db
from web.i18n import idr, local_date, local_datetime


class Text(NamedTuple):
    title: str
    body: str
    koperasi: str = ""  # the koperasi's name, "" for a notification about none


class Params:
    """A notification's params, read forgivingly: what is missing or malformed reads as ""."""

    def __init__(self, params, koperasi: Koperasi | None) -> None:
        self.raw = params if isinstance(params, dict) else {}
        self.koperasi = koperasi

    def text(self, name: str) -> str:
        value = self.raw.get(name)
        return "" if value is None or isinstance(value, dict | list) else str(value)

    def amount(self, name: str) -> str:
        value = self.raw.get(name)
        try:
            return idr(int(value)) if value is not None and not isinstance(value, bool) else ""
        except (TypeError, ValueError):
            return ""

    def day(self, name: str) -> str:
        """A date (ISO ``YYYY-MM-DD``) as people read it."""
        try:
            return local_date(date.fromisoformat(str(self.raw.get(name))[:10]))
        except (TypeError, ValueError):
            return ""

    def instant(self, name: str) -> datetime | None:
        """A time (ISO; naive means UTC, as stored) as a naive UTC datetime, or None."""
        try:
            value = datetime.fromisoformat(str(self.raw.get(name)))
        except (TypeError, ValueError):
            return None
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value

    def moment(self, name: str) -> str:
        """A time in the koperasi's zone, with the zone's name."""
        if (value := self.instant(name)) is None:
            return ""
        zone = zone_of(self.koperasi)
        return f"{local_datetime(value, 'medium', zone=zone)} {zone.abbr}"


def _application_approved(p: Params) -> tuple[str, str]:
    return (_("Application approved"),
            _("Welcome! Your member number is %(number)s.", number=p.text("number")) if p.text("number")
            else _("Welcome! Your application was approved."))


def _application_rejected(p: Params) -> tuple[str, str]:
    return _("Application not approved"), _("Reason: %(reason)s", reason=p.text("reason"))


def _pokok_due(p: Params) -> tuple[str, str]:
    return (_("Simpanan pokok due"),
            _("Pay simpanan pokok of %(amount)s at the koperasi to activate your membership.", amount=p.amount("amount")))


def _loan_approved(p: Params) -> tuple[str, str]:
    return (_("Loan approved"),
            _("Your loan of %(amount)s was approved. The koperasi will pay it out.", amount=p.amount("amount")))


def _loan_rejected(p: Params) -> tuple[str, str]:
    return (_("Loan not approved"),
            _("Your application for %(amount)s was not approved. Reason: %(reason)s", amount=p.amount("amount"),
              reason=p.text("reason")))


def _loan_disbursed(p: Params) -> tuple[str, str]:
    body = _("%(amount)s was paid out to you.", amount=p.amount("amount"))
    if p.day("first_due_on"):
        body += " " + _("First instalment: %(instalment)s on %(day)s.", instalment=p.amount("instalment"),
                        day=p.day("first_due_on"))
    return _("Loan paid out"), body


def _instalment_due(p: Params) -> tuple[str, str]:
    return (_("Instalment due soon"),
            _("Instalment %(seq)s of %(amount)s is due on %(day)s.", seq=p.text("seq"), amount=p.amount("amount"),
              day=p.day("due_on")))


def _instalment_overdue(p: Params) -> tuple[str, str]:
    return (_("Instalment overdue"),
            _("Instalment %(seq)s of %(amount)s was due on %(day)s. Pay it soon to stop late fees.",
              seq=p.text("seq"), amount=p.amount("amount"), day=p.day("due_on")))


def _order_received(p: Params) -> tuple[str, str]:
    return (_("New order %(number)s", number=p.text("number")),
            _("%(buyer)s ordered for %(amount)s at %(store)s.", buyer=p.text("buyer"), amount=p.amount("amount"),
              store=p.text("store")))


def _order_status(p: Params) -> tuple[str, str]:
    status = str(ORDER_STATUS.get(p.text("status"), p.text("status")))
    if p.text("by") == "buyer":
        body = _("The buyer changed order %(number)s: %(status)s.", number=p.text("number"), status=status)
    else:
        body = _("Your order at %(store)s is now: %(status)s.", store=p.text("store"), status=status)
    if p.text("reason"):
        body += " " + _("Reason: %(reason)s", reason=p.text("reason"))
    return _("Order %(number)s", number=p.text("number")), body


def _store_approved(p: Params) -> tuple[str, str]:
    return _("Store approved"), _("%(store)s is open in the market: add your products.", store=p.text("store"))


def _rat_scheduled(p: Params) -> tuple[str, str]:
    body = _("%(title)s, %(when)s.", title=p.text("title"), when=p.moment("starts_at"))
    if p.text("place"):
        body += " " + _("Place: %(place)s", place=p.text("place"))
    return _("Annual members' meeting (RAT) scheduled"), body


def _voting_open(p: Params) -> tuple[str, str]:
    if (opens := p.instant("opens_at")) is not None and opens > utcnow():  # announced before the window opens
        return (_("Voting soon"),
                _("%(title)s: vote from %(opens)s to %(closes)s.", title=p.text("title"), opens=p.moment("opens_at"),
                  closes=p.moment("closes_at")))
    return (_("Voting is open"),
            _("%(title)s: vote before %(when)s.", title=p.text("title"), when=p.moment("closes_at")))


def _minutes_published(p: Params) -> tuple[str, str]:
    return _("Minutes published"), _("The minutes of %(title)s are published.", title=p.text("title"))


def _shu_credited(p: Params) -> tuple[str, str]:
    if p.text("to") == "cash":
        body = _("Your SHU of %(amount)s is ready: take it in cash at the koperasi.", amount=p.amount("amount"))
    else:
        body = _("Your SHU of %(amount)s was credited to your simpanan sukarela.", amount=p.amount("amount"))
    return _("SHU %(year)s", year=p.text("year")), body


def _announcement(p: Params) -> tuple[str, str]:
    return p.text("title") or _("Announcement"), p.text("excerpt")


def _claim_requested(p: Params) -> tuple[str, str]:
    return (_("Membership claim to check"),
            _("%(name)s says member %(number)s is them: check their KTP before confirming.", name=p.text("name"),
              number=p.text("number")))


def _claim_confirmed(p: Params) -> tuple[str, str]:
    return (_("Membership confirmed"),
            _("Your membership %(number)s is confirmed: your card, savings and loans are open to you.",
              number=p.text("number")))


def _claim_refused(p: Params) -> tuple[str, str]:
    return (_("Membership not confirmed"),
            _("The koperasi could not confirm that this membership is yours. Reason: %(reason)s",
              reason=p.text("reason")))


def _stall_paid(p: Params) -> tuple[str, str]:
    return (_("Paid %(amount)s at %(store)s", amount=p.amount("amount"), store=p.text("store")),
            _("Receipt %(number)s: %(amount)s from your simpanan sukarela to %(store)s.", number=p.text("number"),
              amount=p.amount("amount"), store=p.text("store")))


def _stall_received(p: Params) -> tuple[str, str]:
    return (_("%(amount)s received at %(store)s", amount=p.amount("amount"), store=p.text("store")),
            _("%(payer)s paid %(amount)s into your simpanan sukarela. Receipt %(number)s.", payer=p.text("payer"),
              amount=p.amount("amount"), number=p.text("number")))


def _stall_refunded(p: Params) -> tuple[str, str]:
    return (_("%(store)s refunded %(amount)s", store=p.text("store"), amount=p.amount("amount")),
            _("Payment %(number)s: %(amount)s is back in your simpanan sukarela. Reason: %(reason)s",
              number=p.text("number"), amount=p.amount("amount"), reason=p.text("reason")))


def _withdrawal_held(p: Params) -> tuple[str, str]:
    return (_("Withdrawal %(number)s: %(amount)s held", number=p.text("number"), amount=p.amount("amount")),
            _("%(amount)s is held from your simpanan sukarela until the koperasi pays it out to %(destination)s.",
              amount=p.amount("amount"), destination=p.text("destination")))


def _withdrawal_paid(p: Params) -> tuple[str, str]:
    return (_("Withdrawal %(number)s paid out", number=p.text("number")),
            _("%(amount)s was sent to %(destination)s. Transfer reference: %(ref)s", amount=p.amount("amount"),
              destination=p.text("destination"), ref=p.text("ref") or "-"))


def _withdrawal_rejected(p: Params) -> tuple[str, str]:
    return (_("Withdrawal %(number)s rejected", number=p.text("number")),
            _("%(amount)s is back in your simpanan sukarela. Reason: %(reason)s", amount=p.amount("amount"),
              reason=p.text("reason")))


def _topup_confirmed(p: Params) -> tuple[str, str]:
    return (_("Top-up of %(amount)s received", amount=p.amount("amount")),
            _("Your transfer %(reference)s is in your simpanan sukarela. Receipt %(ref)s.",
              reference=p.text("reference"), ref=p.text("ref")))


def _topup_rejected(p: Params) -> tuple[str, str]:
    return (_("Top-up %(reference)s not confirmed", reference=p.text("reference")),
            _("The koperasi could not confirm your transfer of %(amount)s. Reason: %(reason)s",
              amount=p.amount("amount"), reason=p.text("reason")))


TEXTS: dict[str, Callable[[Params], tuple[str, str]]] = {
    Kind.APPLICATION_APPROVED: _application_approved,
    Kind.APPLICATION_REJECTED: _application_rejected,
    Kind.POKOK_DUE: _pokok_due,
    Kind.LOAN_APPROVED: _loan_approved,
    Kind.LOAN_REJECTED: _loan_rejected,
    Kind.LOAN_DISBURSED: _loan_disbursed,
    Kind.INSTALMENT_DUE: _instalment_due,
    Kind.INSTALMENT_OVERDUE: _instalment_overdue,
    Kind.ORDER_RECEIVED: _order_received,
    Kind.ORDER_STATUS: _order_status,
    Kind.STORE_APPROVED: _store_approved,
    Kind.RAT_SCHEDULED: _rat_scheduled,
    Kind.VOTING_OPEN: _voting_open,
    Kind.MINUTES_PUBLISHED: _minutes_published,
    Kind.SHU_CREDITED: _shu_credited,
    Kind.ANNOUNCEMENT: _announcement,
    Kind.CLAIM_REQUESTED: _claim_requested,
    Kind.CLAIM_CONFIRMED: _claim_confirmed,
    Kind.CLAIM_REFUSED: _claim_refused,
    Kind.STALL_PAID: _stall_paid,
    Kind.STALL_RECEIVED: _stall_received,
    Kind.STALL_REFUNDED: _stall_refunded,
    Kind.WITHDRAWAL_HELD: _withdrawal_held,
    Kind.WITHDRAWAL_PAID: _withdrawal_paid,
    Kind.WITHDRAWAL_REJECTED: _withdrawal_rejected,
    Kind.TOPUP_CONFIRMED: _topup_confirmed,
    Kind.TOPUP_REJECTED: _topup_rejected,
}


def render(note: Notification) -> Text:
    """The notification's title and body in the current locale (see the module docstring)."""
    koperasi = db.session.get(Koperasi, note.koperasi_id) if note.koperasi_id else None
    words = TEXTS.get(note.kind)
    title, body = words(Params(note.params, koperasi)) if words else (_("Notification"), "")
    return Text(title, body, koperasi.name if koperasi else "")
