"""Members: joining a koperasi, the wallet of cards, card verification, resigning."""

from __future__ import annotations

import csv
import io
from datetime import date
from functools import lru_cache

import segno
import sqlalchemy as sa
from flask import Blueprint, flash, make_response, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from werkzeug.exceptions import NotFound
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from models import claims, documents, dues, resignation, savings, shu_posting, topups
from models import membership as members
from models import statement as mutasi
from models.errors import Checks
from models.health import published_category
from models.ledger import SAVINGS_LABELS, balances
from models.membership import Membership, MemberStatus, held_by
from models.zones import zone_of
from views.claims import ClaimForm
from views.fields import KEPT_TOKENS, Form, choices, page_of, take_pictures
from views.forms import run
from web.access import my_card, my_membership, staff_role, visible_koperasi
from web.extensions import db
from web.i18n import local_datetime
from web.media import folder
from web.render import render, see_other

bp = Blueprint("membership", __name__)
REQUIRED = _l("This field is required.")


class JoinForm(Form):
    full_name = StringField(_l("Full name (as on your KTP)"), [DataRequired(REQUIRED), Length(max=120)],
                            render_kw={"autocomplete": "name"})
    nik = StringField(_l("NIK (KTP number)"), [DataRequired(REQUIRED), Length(max=24)],
                      description=_l("16 digits. Only this koperasi's staff can see it in full."),
                      render_kw={"inputmode": "numeric", "autocomplete": "off"})
    address = TextAreaField(_l("Address"), [DataRequired(REQUIRED), Length(max=300)],
                            render_kw={"autocomplete": "street-address", "rows": 3})
    occupation = StringField(_l("Occupation"), [DataRequired(REQUIRED), Length(max=120)])
    is_umkm = BooleanField(_l("I run a business (UMKM)"))
    business_name = StringField(_l("Business name"), [Length(max=160)],
                                description=_l("Only if you run a business."))
    ktp_photo = FileField(_l("Photo of your KTP"), render_kw={"accept": "image/jpeg,image/png,image/webp"})
    ktp_photo_kept = HiddenField(validators=[Length(max=KEPT_TOKENS)])  # chosen in a submit that failed on other fields
    agree = BooleanField(_l("I agree to the koperasi's rules and fees above."))
    consent = BooleanField(_l("I agree that my personal data is used as described above."))

    def for_koperasi(self, koperasi) -> JoinForm:
        """The KTP photo only where the koperasi asks for it."""
        if koperasi.ktp_photo_required:
            self.ktp_photo.description = _(
                "This koperasi asks for it. A clear photo where the NIK and name can be read (JPG, PNG or WebP). "
                "Only the koperasi's board sees it, and it is deleted %(days)s days after your application is "
                "decided.", days=koperasi.ktp_keep_days)
        else:
            del self.ktp_photo, self.ktp_photo_kept
        return self

    def take_ktp(self) -> bytes | None:
        """The photo chosen now, or kept from a failed submit (re-encoded, metadata dropped)."""
        if "ktp_photo" not in self:
            return None
        photo = take_pictures(self.ktp_photo, self.ktp_photo_kept, size=documents.KTP_SIZE,
                              max_bytes=documents.KTP_MAX_BYTES)
        return photo[0] if photo else None


class ConfirmForm(Form):
    """A button and its CSRF token: nothing to type."""


class ResignForm(Form):
    consent = BooleanField(_l("My savings may pay off my loans here (kompensasi); the rest is refunded to me"))


def qr_data_uri(membership: Membership) -> str:
    """The card's QR code, a small SVG data URI encoding the public verification link."""
    return qr_svg(url_for("membership.verify", token=members.card_token(membership), _external=True))


@lru_cache(maxsize=2048)
def qr_svg(url: str) -> str:
    """Drawn once per link and process: a card's token never changes, and drawing the code was
    most of the cards page's time (about 2 KB each, so 2,048 cards keep about 4 MB)."""
    return segno.make(url, error="m").svg_data_uri(scale=1, border=2, light="#fff")


@bp.route("/k/<slug>/join", methods=["GET", "POST"])
@login_required
def join(slug):
    """Apply to become a member of a verified koperasi."""
    koperasi = visible_koperasi(slug)
    form = JoinForm(full_name=current_user.full_name).for_koperasi(koperasi)
    photo = form.take_ktp()

    def save():
        membership = members.apply(current_user, koperasi, full_name=form.full_name.data, nik=form.nik.data,
                                   address=form.address.data, occupation=form.occupation.data,
                                   is_umkm=form.is_umkm.data, business_name=form.business_name.data,
                                   agreed=form.agree.data, consented=form.consent.data,
                                   address_from=request.remote_addr or "")
        documents.keep_ktp(membership, photo, folder(documents.KTP_FOLDER))

    def check():
        checks = Checks()
        with checks.catching():
            members.check_application(
                full_name=form.full_name.data, nik=form.nik.data, address=form.address.data,
                occupation=form.occupation.data, is_umkm=form.is_umkm.data, business_name=form.business_name.data,
                agreed=form.agree.data, consented=form.consent.data)
        with checks.catching():
            documents.check_ktp(koperasi, photo)
        checks.done()

    if run(form, save, check=check):
        flash(_("Your application to %(name)s was sent. You will see the decision here.",
                name=koperasi.name), "success")
        return see_other(url_for("membership.cards"))
    failed = bool(form.errors or form.form_errors)
    existing = None if failed else members.open_membership(current_user, koperasi)
    return render("membership/join.html", koperasi=koperasi, form=form, existing=existing,
                  status=422 if failed else 200)


@bp.get("/cards")
def cards():
    """All of the user's memberships and applications, each a card."""
    if not current_user.is_authenticated:
        # The Cards tab is in every page's menu: explain, rather than bounce to a form.
        return render("membership/cards.html", cards=[], applications=[], qr={}, unclaimed=[])
    rows = db.session.scalars(
        sa.select(Membership).where(held_by(current_user.id))
        .order_by(Membership.applied_at.desc(), Membership.id.desc())).all()
    cards = sorted((m for m in rows if m.is_card), key=lambda m: m.status == MemberStatus.RESIGNED)
    # An application is worth showing until a newer one to the same koperasi replaces it.
    newest = {}
    for m in rows:
        newest.setdefault(m.koperasi_id, m)
    applications = [m for m in rows if not m.is_card and newest[m.koperasi_id] is m]
    qr = {m.id: qr_data_uri(m) for m in cards if m.status != MemberStatus.RESIGNED}
    return render("membership/cards.html", cards=cards, applications=applications, qr=qr,
                  unclaimed=claims.awaiting(current_user), claim_form=ClaimForm(formdata=None))


@bp.get("/v/<token>")
def verify(token):
    """Public check of a card: valid and active or not; nothing personal."""
    membership = members.membership_from_token(token)
    if membership is None or not membership.is_card:
        return render("membership/verify.html", membership=None, status=404)
    staff = staff_role(membership.koperasi)  # the koperasi's own staff may serve the member at once
    return render("membership/verify.html", membership=membership,
                  active=membership.status == MemberStatus.ACTIVE,
                  teller_url=url_for("teller.member", slug=membership.koperasi.slug, membership_id=membership.id)
                  if staff else None)


@bp.get("/k/<slug>/me")
def me(slug):
    """The member's own page in a koperasi: card, savings, dues owed, the statement."""
    try:
        membership = my_membership(slug)
    except NotFound:
        if claims.awaiting_in(current_user, slug):  # an import: theirs once the koperasi confirms them
            return see_other(url_for("membership.cards") + f"#claim-{slug}")
        raise
    qr = qr_data_uri(membership) if membership.is_card and membership.status != MemberStatus.RESIGNED else None
    context = _savings_context(membership) if membership.is_card else {}
    autopay_form = AutopayForm(formdata=None, autopay=membership.wajib_autopay)
    shu_shares, shu_choice = shu_posting.member_shu(membership)
    shu_form = ShuChoiceForm(formdata=None, paid_to=shu_choice) if membership.is_card else None
    return render("membership/me.html", m=membership, qr=qr, autopay_form=autopay_form, shu_form=shu_form,
                  shu_shares=shu_shares, shu_to=shu_posting.TO_LABELS,
                  health=published_category(membership.koperasi) if membership.is_card else None, **context)


class ShuChoiceForm(Form):
    paid_to = SelectField(_l("My SHU share"), choices=choices(shu_posting.TO_LABELS.items()),
                          description=_l("Used for every SHU posted from now on."))


@bp.route("/k/<slug>/me/shu", methods=["POST"])
def shu_choice(slug):
    """The member chooses whether their SHU goes to sukarela or is paid in cash."""
    form = ShuChoiceForm()
    return _my_setting(slug, form, lambda m: shu_posting.set_choice(m, form.paid_to.data),
                       lambda: _("Saved: %(choice)s.", choice=shu_posting.TO_LABELS[form.paid_to.data]), "#shu-h")


def _my_setting(slug, form, change, saved, anchor: str):
    """A card holder changes one of their own settings (a one-field form), then is back on their page."""
    membership = my_card(slug)
    if run(form, lambda: change(membership)):
        flash(saved(), "success")
    else:
        for message in [*form.form_errors, *(error for field in form for error in field.errors)]:
            flash(str(message), "error")
    return see_other(url_for("membership.me", slug=slug) + anchor)


class AutopayForm(Form):
    autopay = BooleanField(_l("Pay my simpanan wajib from my sukarela automatically"),
                           description=_l("At each month's end, what is open on your wajib is paid from your "
                                          "sukarela, if it covers all of it."))


@bp.route("/k/<slug>/me/autopay", methods=["POST"])
def autopay(slug):
    """The member turns automatic payment of wajib from sukarela on or off."""
    form = AutopayForm()
    return _my_setting(slug, form, lambda m: dues.set_autopay(m, form.autopay.data),
                       lambda: _("Automatic payment is on.") if form.autopay.data else _("Automatic payment is off."),
                       "#dues-h")


def _month() -> str | None:
    month = request.args.get("month", "")
    return month if mutasi.month_range(month) else None


def _savings_context(membership: Membership) -> dict:
    held = balances(membership.id)
    month, zone = _month(), zone_of(membership.koperasi)
    page, pages = page_of(mutasi.count(membership.id, month, zone), mutasi.PER_PAGE)
    return {"held": held, "total": sum(held.values()), "kind_labels": SAVINGS_LABELS,
            "topups": topups.of_member(membership.id, limit=5),
            "entry_labels": mutasi.ENTRY_LABELS,
            "pokok_due": savings.pokok_due(membership) if membership.status == MemberStatus.APPROVED else 0,
            "dues": dues.member_dues(membership, wajib_paid=held["wajib"]),
            "lines": mutasi.page(membership.id, page, month, zone=zone), "page": page, "pages": pages,
            "month": month, "months": [(m, _month_label(m)) for m in mutasi.months(membership.id, zone)]}


def _month_label(month: str) -> str:
    year, number = month.split("-")
    return format_date(date(int(year), int(number), 1), "MMMM yyyy")


@bp.get("/k/<slug>/me/statement.csv")
def statement_csv(slug):
    """The savings statement as a spreadsheet, oldest first, with the running balance."""
    membership = my_card(slug)
    month = _month()
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet apps read the words as UTF-8
    writer = csv.writer(out)
    writer.writerow([_("Date"), _("Receipt"), _("Description"), _("Savings"), _("In"), _("Out"), _("Balance")])
    zone = zone_of(membership.koperasi)
    for line in mutasi.oldest_first(membership.id, month, zone):
        writer.writerow([local_datetime(line.posted_at, "yyyy-MM-dd HH:mm", zone), line.ref,
                         str(mutasi.ENTRY_LABELS.get(line.entry_kind, line.entry_kind)),
                         str(SAVINGS_LABELS[line.kind]), line.money_in or "", line.money_out or "", line.balance])
    response = make_response(out.getvalue())
    response.mimetype = "text/csv"
    name = "-".join(part for part in ("mutasi", slug, membership.member_number, month) if part)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response.headers["Cache-Control"] = "private, no-store"  # personal data: never kept in a cache
    return response


@bp.route("/k/<slug>/me/resign", methods=["GET", "POST"])
def resign(slug):
    """Ask to resign: a confirmation page, then the request (staff confirm it)."""
    membership = my_membership(slug)
    form = ResignForm()
    if run(form, lambda: resignation.request(membership, consent=form.consent.data)):
        flash(_("Your resignation request was sent. The koperasi will confirm it and refund your savings."),
              "success")
        return see_other(url_for("membership.me", slug=slug))
    failed = bool(form.errors or form.form_errors)
    repaying = resignation.offset_quote(membership)[0] if membership.status == "active" else 0
    return render("membership/resign.html", m=membership, form=form, repaying=repaying,
                  status=422 if failed else 200)
