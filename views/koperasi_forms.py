"""The koperasi profile form, shared by registration and the office's profile edit.

The form only reads what was typed (numbers, Rupiah, choices); every rule about a
profile lives in ``models.koperasi``.
"""

from __future__ import annotations

import io
import re

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField, TelField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput

from models import documents, regions
from models.errors import Checks
from models.images import LOGO_MAX_BYTES
from models.koperasi import (
    DUE_DAYS,
    INTEREST_METHODS,
    JENIS_LABELS,
    NEW_STAFF_ROLE,
    ROLE_LABELS,
    SERVICE_LABELS,
    SETTING_FIELDS,
    check_profile,
)
from views.fields import KEPT_TOKENS, PHONE_TYPED, Form, RupiahField, WholeNumberField, choices, take_pdf, take_pictures
from views.loan_forms import PercentField

REQUIRED = _l("This field is required.")

# Field labels, also used to name the fields in the koperasi's history.
LABELS = {
    "name": _l("Koperasi name"),
    "legal_number": _l("Legal entity number (nomor badan hukum)"),
    "nik_koperasi": _l("Nomor Induk Koperasi (optional)"),
    "jenis": _l("Type"),
    "services": _l("Services"),
    "description": _l("Description"),
    "address": _l("Address"),
    "province_code": _l("Province"),
    "regency_code": _l("Regency / city"),
    "district_code": _l("District (kecamatan)"),
    "lat": _l("Latitude"),
    "lng": _l("Longitude"),
    "whatsapp": _l("WhatsApp number (optional)"),
    "logo": _l("Logo (optional)"),
    "pokok_idr": _l("Simpanan pokok (paid once)"),
    "wajib_idr": _l("Simpanan wajib per month"),
    "member_prefix": _l("Member number prefix"),
    "requirements": _l("Joining requirements"),
    "chair_name": _l("Chair (ketua) (optional)"),
    "treasurer_name": _l("Treasurer (bendahara) (optional)"),
    "single_person_loans": _l("One person may approve a loan and pay it out"),
    "savings_rate_bp": _l("Interest on simpanan sukarela (percent a year)"),
    "interest_method": _l("Interest is worked out on"),
    "interest_tax": _l("Withhold the final tax on interest (PP 15/2009)"),
    "wajib_due_day": _l("Simpanan wajib is due on day"),
    "employees_men": _l("Employees (karyawan), men"),
    "employees_women": _l("Employees (karyawan), women"),
    "transparency_public": _l("Show the public transparency page"),
    "ktp_photo_required": _l("Applicants send a photo of their KTP"),
    "ktp_keep_days": _l("Days the KTP photo is kept after the decision"),
    "staff_second_factor": _l("Staff must log in with a second factor"),
    "withdraw_daily_limit_idr": _l("Most a member may withdraw a day to a bank or e-wallet (Rp)"),
}
SETTINGS = SETTING_FIELDS  # on the office's edit form only, not at registration
REGION_FIELDS = ("province_code", "regency_code", "district_code")
MONEY_FIELDS = ("pokok_idr", "wajib_idr")


class CoordinateField(StringField):
    """A latitude or longitude in decimal degrees (a number input)."""

    widget = NumberInput(step="any")

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            text = valuelist[0].strip().replace(",", ".")
            if not re.fullmatch(r"-?[0-9]{1,3}(?:\.[0-9]{1,15})?", text):  # digits 0–9 only: no "1e3", "nan", "١"
                raise ValueError(_l("Enter a number in decimal degrees, e.g. -6.9147."))
            self.data = float(text)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else repr(self.data)


class ChecklistField(SelectMultipleField):
    """Several choices as checkboxes (one tap each), not a multi-select box."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class KoperasiForm(Form):
    name = StringField(LABELS["name"], [InputRequired(REQUIRED), Length(max=160)])
    legal_number = StringField(LABELS["legal_number"], [InputRequired(REQUIRED), Length(max=80)],
                               description=_l("For example AHU-0001234.AH.01.26."))
    nik_koperasi = StringField(LABELS["nik_koperasi"], [Optional(), Length(max=40)],
                               description=_l("16 digits, if the koperasi has one."),
                               render_kw={"inputmode": "numeric"})
    jenis = SelectField(LABELS["jenis"], validate_choice=False)
    services = ChecklistField(LABELS["services"], validate_choice=False)
    description = TextAreaField(LABELS["description"], [Length(max=2000)])
    address = StringField(LABELS["address"], [InputRequired(REQUIRED), Length(max=300)],
                          render_kw={"autocomplete": "street-address"})
    province_code = SelectField(LABELS["province_code"], validate_choice=False)
    regency_code = SelectField(LABELS["regency_code"], validate_choice=False)
    district_code = SelectField(LABELS["district_code"], validate_choice=False)
    lat = CoordinateField(LABELS["lat"], [InputRequired(REQUIRED)],
                          description=_l("From a map app: press and hold the office's spot, copy the numbers."))
    lng = CoordinateField(LABELS["lng"], [InputRequired(REQUIRED)])
    whatsapp = TelField(LABELS["whatsapp"], [Optional(), Length(max=PHONE_TYPED)], description=_l("For example 0812 3456 7890."),
                        render_kw={"inputmode": "tel"})
    logo = FileField(LABELS["logo"], description=_l("A JPG, PNG or WebP picture up to 2 MB."),
                     render_kw={"accept": "image/jpeg,image/png,image/webp"})
    logo_kept = HiddenField(validators=[Length(max=KEPT_TOKENS)])  # the logo chosen in a submit that failed on other fields
    pokok_idr = RupiahField(LABELS["pokok_idr"], [InputRequired(REQUIRED)], description=_l("In Rupiah, e.g. 100.000."),
                            render_kw={"inputmode": "numeric"})
    wajib_idr = RupiahField(LABELS["wajib_idr"], [InputRequired(REQUIRED)], description=_l("In Rupiah, e.g. 20.000."),
                            render_kw={"inputmode": "numeric"})
    member_prefix = StringField(LABELS["member_prefix"], [InputRequired(REQUIRED), Length(max=8)],
                                description=_l("1 to 6 letters or digits; member numbers look like KSB-00001."))
    chair_name = StringField(LABELS["chair_name"], [Optional(), Length(max=120)],
                             description=_l("Printed under the statements, where the ketua signs."))
    treasurer_name = StringField(LABELS["treasurer_name"], [Optional(), Length(max=120)],
                                 description=_l("Printed under the statements, where the bendahara signs."))
    requirements = TextAreaField(LABELS["requirements"], [Length(max=2000)],
                                 description=_l("What a new member must bring or pay, e.g. KTP and KK."))
    single_person_loans = BooleanField(
        LABELS["single_person_loans"],
        description=_l("For a small koperasi where one person does the office work. Normally the person who "
                       "approved a loan may not pay it out: someone else checks it first. With this on, one "
                       "person may do both, and the disbursement receipt says so."))
    savings_rate_bp = PercentField(
        LABELS["savings_rate_bp"], render_kw={"inputmode": "decimal"},
        description=_l("For example 4,5; 0 or empty: no interest. At most 9 percent a year (Permenkop 8/2023). "
                       "Paid into sukarela at each month's end."))
    interest_method = SelectField(LABELS["interest_method"], validate_choice=False,
                                  choices=choices(INTEREST_METHODS.items()), default="minimum")
    interest_tax = BooleanField(
        LABELS["interest_tax"], default=True,
        description=_l("10 percent of a member's interest for the month, when it is above Rp240.000, is withheld "
                       "for tax payable."))
    wajib_due_day = SelectField(LABELS["wajib_due_day"], validate_choice=False, default="10",
                                choices=choices((day, day) for day in range(DUE_DAYS[0], DUE_DAYS[1] + 1)),
                                description=_l("Each month's bill is due on this day of the month."))
    employees_men = WholeNumberField(LABELS["employees_men"], [Optional()], render_kw={"inputmode": "numeric"},
                                     description=_l("Paid staff, not the pengurus or pengawas: the regulator's report "
                                                    "asks for them. Empty: none."))
    employees_women = WholeNumberField(LABELS["employees_women"], [Optional()], render_kw={"inputmode": "numeric"})
    transparency_public = BooleanField(
        LABELS["transparency_public"],
        description=_l("Anyone may then see, on the koperasi's profile: how many active members it has, its total "
                       "assets as a range (never the figure), when the last RAT was held and the health category it "
                       "published. Nothing about any person."))
    ktp_photo_required = BooleanField(
        LABELS["ktp_photo_required"],
        description=_l("The join form then asks for a photo of the KTP. Only the board sees it, and it is "
                       "deleted automatically some days after the application is decided."))
    ktp_keep_days = WholeNumberField(LABELS["ktp_keep_days"], [Optional()], default=30,
                                     description=_l("From 1 to 365; 30 gives time to check a question about "
                                                    "the decision."), render_kw={"inputmode": "numeric"})
    withdraw_daily_limit_idr = RupiahField(
        LABELS["withdraw_daily_limit_idr"], [Optional()], default=5_000_000, render_kw={"inputmode": "numeric"},
        description=_l("Members ask from their phone; a teller pays it out. 0: withdrawals only at the counter."))
    staff_second_factor = BooleanField(
        LABELS["staff_second_factor"],
        description=_l("Each staff member then types a code from an authenticator app on their phone after the "
                       "password. Staff who have not set it up are sent to do so before any office page."))
    # The legal documents, PDFs (models.documents): required at registration, replaceable later.
    akta = FileField(documents.KINDS[documents.AKTA], render_kw={"accept": "application/pdf,.pdf"},
                     description=_l("A PDF up to %(mb)s MB, e.g. a scan of the notary's deed or the SK "
                                    "from AHU.", mb=documents.DOCUMENT_MAX_BYTES // (1024 * 1024)))
    akta_kept = HiddenField(validators=[Length(max=KEPT_TOKENS)])
    nik_certificate = FileField(documents.KINDS[documents.NIK_CERTIFICATE],
                                render_kw={"accept": "application/pdf,.pdf"},
                                description=_l("A PDF up to %(mb)s MB, the certificate from the ministry's "
                                               "NIK koperasi system.", mb=documents.DOCUMENT_MAX_BYTES // (1024 * 1024)))
    nik_certificate_kept = HiddenField(validators=[Length(max=KEPT_TOKENS)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choose = ("", _l("— choose —"))
        self.jenis.choices = choices([choose, *JENIS_LABELS.items()])
        self.services.choices = choices(SERVICE_LABELS.items())
        self.province_code.choices = choices([choose, *regions.provinces()])
        regencies = regions.children(self.province_code.data or "")
        self.regency_code.choices = choices([("", _l("— choose a province first —") if not regencies else choose[1]),
                                             *regencies])
        regency = self.regency_code.data if self.regency_code.data in dict(regencies) else ""
        districts = regions.children(regency)
        self.district_code.choices = choices([("", _l("— choose a regency first —") if not districts else choose[1]),
                                              *districts])

    @property
    def refreshing(self) -> bool:
        """A "refresh list" submit (or an htmx region change): show the form again, save nothing."""
        return self.is_submitted() and "refresh" in request.form

    def take_logo(self) -> io.BytesIO | None:
        """The logo chosen now, or kept from a failed submit (checked and re-encoded)."""
        logo = take_pictures(self.logo, self.logo_kept, size=(256, 256), max_bytes=LOGO_MAX_BYTES)
        return io.BytesIO(logo[0]) if logo else None

    def take_documents(self) -> dict[str, bytes]:
        """The PDFs chosen now, or kept from a failed submit, each checked (by kind)."""
        found = {}
        for kind in documents.KINDS:
            data = take_pdf(self[kind], self[f"{kind}_kept"],
                            lambda upload, kind=kind: documents.read_document(kind, upload))
            if data:
                found[kind] = data
        return found

    def check(self, koperasi_id: int | None = None, chosen: dict | None = None):
        """The profile's own rules (and, at registration, which of the documents ``chosen`` is
        missing), to show beside the form's errors in the same submit."""
        def both():
            checks = Checks()
            with checks.catching():
                check_profile(self.profile_data(), koperasi_id)
            if chosen is not None:
                with checks.catching():
                    documents.require(chosen)
            checks.done()
        return both

    def profile_data(self) -> dict:
        """The values for ``register_koperasi`` / ``update_profile``."""
        data = {name: self[name].data for name in LABELS if name != "logo" and name in self}
        for name in ("nik_koperasi", "whatsapp", "district_code", "description", "requirements"):
            data[name] = (data[name] or "").strip() or None
        data["description"] = data["description"] or ""
        data["requirements"] = data["requirements"] or ""
        if "savings_rate_bp" in self:
            data["savings_rate_bp"] = data["savings_rate_bp"] or 0  # empty: no interest
            day = (data.get("wajib_due_day") or "").strip()
            data["wajib_due_day"] = int(day) if day.isdigit() and len(day) <= 2 else (None if not day else -1)
            for name in ("employees_men", "employees_women"):
                data[name] = data[name] or 0  # empty: none
        return data


def profile_form(koperasi=None) -> KoperasiForm:
    """The form from the request, or prefilled from the koperasi on a first visit."""
    if koperasi is None or request.method == "POST":
        form = KoperasiForm()
    else:
        data = {name: getattr(koperasi, name) for name in LABELS if name not in ("logo", "services")}
        form = KoperasiForm(formdata=None, data={**data, "services": koperasi.service_codes})
    if koperasi is None:  # registering: the settings come later, in the office
        for name in SETTINGS:
            del form[name]
    return form


class StaffForm(Form):
    mobile = TelField(_l("Mobile number"), [InputRequired(REQUIRED), Length(max=PHONE_TYPED)],
                      description=_l("The number they use to log in to Kopz."),
                      render_kw={"inputmode": "tel", "autocomplete": "off"})
    role = SelectField(_l("Role"), choices=choices(ROLE_LABELS.items()), validate_choice=False,
                       default=NEW_STAFF_ROLE, description=_l("New staff start with reading only; choose more if "
                                                              "their work needs it."))


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=choices(ROLE_LABELS.items()), validate_choice=False)
