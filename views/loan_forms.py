"""Forms for loans: products, the simulator (and its numbers), applying, deciding, paying out and repaying."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from models import loan_simulation
from models import loans as domain
from models.errors import DomainError
from models.loan_simulation import Simulation
from models.loans import FEE_MODE_LABELS, LATE_FEE_LABELS, METHOD_LABELS, REBATE_LABELS
from views.fields import MEANS_CHOICES, Form, KeyedForm, RupiahField, WholeNumberField, choices, coerce_id

REQUIRED = _l("This field is required.")
TENOR_RANGE = NumberRange(1, 120, _l("From 1 to 120 months."))


def parse_percent(text: str) -> int:
    """A percentage as typed in Indonesia or England, in hundredths of a percent:
    "1,5" / "1.5" / "1,5 %" → 150; at most two decimals."""
    cleaned = (text or "").replace("%", "").replace(" ", "").replace(",", ".")
    match = re.fullmatch(r"([0-9]{1,3})(?:\.([0-9]{1,2}))?", cleaned)
    if not match:
        raise ValueError(text)
    return int(match[1]) * 100 + int((match[2] or "").ljust(2, "0"))


def format_percent(hundredths: int | None) -> str:
    """150 → "1,5" (the way Indonesians write it)."""
    if hundredths is None:
        return ""
    whole, part = divmod(hundredths, 100)
    return f"{whole},{part:02d}".rstrip("0").rstrip(",")


class PercentField(StringField):
    """A percentage typed "1,5" or "1.5", kept as hundredths of a percent (150)."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = parse_percent(valuelist[0])
            except ValueError:
                self.data = None
                raise ValueError(_l("Enter a percentage such as 1,5 (at most two decimals).")) from None
        else:
            self.data = None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_percent(self.data) if isinstance(self.data, int) else ""


def _tenor(label):
    return WholeNumberField(label, [InputRequired(REQUIRED), TENOR_RANGE],
                            render_kw={"inputmode": "numeric", "min": 1, "max": 120})


class ProductForm(Form):
    name = StringField(_l("Product name"), [DataRequired(REQUIRED), Length(max=120)],
                       render_kw={"placeholder": _l("e.g. Working capital")})
    method = SelectField(_l("Interest"), validate_choice=False, choices=choices(METHOD_LABELS.items()),
                        default="flat")
    monthly_rate_bp = PercentField(_l("Interest rate, % a month"), [InputRequired(REQUIRED)],
                                   description=_l("e.g. 1,5. At most 2% a month (24% a year)."),
                                   render_kw={"inputmode": "decimal"})
    fee_bp = PercentField(_l("Provisi / admin fee (percent of the loan)"), [InputRequired(REQUIRED)], default=0,
                          render_kw={"inputmode": "decimal"})
    fee_mode = SelectField(_l("The fee is"), validate_choice=False, choices=choices(FEE_MODE_LABELS.items()),
                          default="deducted")
    min_amount_idr = RupiahField(_l("Smallest loan (Rp)"), [InputRequired(REQUIRED)],
                                 default=domain.DEFAULT_MIN_AMOUNT_IDR,
                                 description=_l("At least Rp10.000, so no instalment is Rp0."),
                                 render_kw={"inputmode": "numeric"})
    max_amount_idr = RupiahField(_l("Largest loan (Rp)"), [InputRequired(REQUIRED)],
                                 render_kw={"inputmode": "numeric"})
    min_tenor = _tenor(_l("Shortest tenor (months)"))
    max_tenor = _tenor(_l("Longest tenor (months)"))
    late_fee_mode = SelectField(_l("Late fee (denda)"), validate_choice=False,
                               choices=choices(LATE_FEE_LABELS.items()), default="per_instalment")
    late_fee_idr = RupiahField(_l("Late fee amount (Rp)"), [InputRequired(REQUIRED)], default=0,
                               render_kw={"inputmode": "numeric"})
    late_fee_bp = PercentField(_l("Late fee, percent of the overdue instalment"), [Optional()], default=0,
                               description=_l("Besides the amount above. At most 0,5% a day or 10% per instalment."),
                               render_kw={"inputmode": "decimal"})
    late_fee_cap_idr = RupiahField(_l("Most late fee per instalment (Rp)"), [Optional()], default=0,
                                   description=_l("0: no cap but the instalment itself."),
                                   render_kw={"inputmode": "numeric"})
    rebate_rule = SelectField(_l("Paying a flat loan off early"), validate_choice=False,
                              choices=choices(REBATE_LABELS.items()), default="none",
                              description=_l("Declining loans always pay interest to the day."))
    requires_guarantor = BooleanField(_l("Needs a guarantor"))
    requires_documents = BooleanField(_l("Needs documents"))
    active = BooleanField(_l("Open for applications"), default=True)

    def values(self) -> dict:
        return {name: self[name].data for name in (
            "name", "method", "monthly_rate_bp", "fee_bp", "fee_mode", "min_amount_idr", "max_amount_idr", "min_tenor",
            "max_tenor", "late_fee_mode", "late_fee_idr", "late_fee_bp", "late_fee_cap_idr", "rebate_rule",
            "requires_guarantor", "requires_documents", "active")}


class TermsForm(Form):
    """Product, amount and tenor: the simulator (a GET form) and the start of an application."""

    product = SelectField(_l("Loan product"), coerce=coerce_id, validate_choice=False)
    amount = RupiahField(_l("Amount (Rp)"), [InputRequired(REQUIRED)],
                         render_kw={"inputmode": "numeric", "placeholder": "5.000.000"})
    tenor = WholeNumberField(_l("Tenor (months)"), [InputRequired(REQUIRED), TENOR_RANGE],
                             render_kw={"inputmode": "numeric", "min": 1, "max": 120})

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.product.choices = [SelectChoice(p.id, p.name) for p in products]


class SimulateForm(TermsForm):
    class Meta:
        csrf = False


class ApplyForm(TermsForm):
    purpose = TextAreaField(_l("What is the loan for?"), [DataRequired(REQUIRED), Length(max=300)],
                            description=_l("e.g. working capital to buy stock for my stall."),
                            render_kw={"rows": 3})
    business_name = StringField(_l("Business name"), [Length(max=160)],
                                description=_l("Only if the loan is for your business."))


class ApproveForm(Form):
    amount = RupiahField(_l("Approve a lower amount (Rp)"), [Optional()],
                         description=_l("Leave empty to approve the amount asked for."),
                         render_kw={"inputmode": "numeric"})


class RejectForm(Form):
    reason = TextAreaField(_l("Reason for rejecting"), [DataRequired(REQUIRED), Length(max=1000)],
                           description=_l("The member sees it, so they know what to do next."),
                           render_kw={"rows": 3})


class DisburseForm(KeyedForm):
    means = SelectField(_l("Pay out by"), validate_choice=False,
                       choices=choices(MEANS_CHOICES), default="cash")


class RepayForm(KeyedForm):
    amount = RupiahField(_l("Amount received (Rp)"), [InputRequired(REQUIRED)],
                         render_kw={"inputmode": "numeric"})
    source = SelectField(_l("Paid with"), validate_choice=False, default="cash",
                        choices=choices([*MEANS_CHOICES,
                                          ("sukarela", _l("The member's simpanan sukarela"))]))


class WriteOffForm(KeyedForm):
    reason = TextAreaField(_l("Why is this loan written off?"), [DataRequired(REQUIRED), Length(max=200)],
                           description=_l("The loan leaves the books; the member still owes it."),
                           render_kw={"rows": 2})


class RecoverForm(KeyedForm):
    amount = RupiahField(_l("Amount received (Rp)"), [InputRequired(REQUIRED)], render_kw={"inputmode": "numeric"})
    means = SelectField(_l("Paid with"), validate_choice=False, choices=choices(MEANS_CHOICES), default="cash")


class PayFromSavingsForm(KeyedForm):
    amount = RupiahField(_l("Amount (Rp)"), [InputRequired(REQUIRED)], render_kw={"inputmode": "numeric"})


# ---------------------------------------------------------------- the simulator's numbers

def simulate(form, products, validate: bool = True) -> Simulation | None:
    """The numbers for what was typed, or one message; never an exception."""
    if not any(getattr(form[name], "raw_data", None) for name in ("amount", "tenor")):
        return None
    product = next((p for p in products if p.id == form.product.data), None)
    if validate:
        form.validate()
    for name in ("amount", "tenor"):
        if form[name].errors:
            return Simulation(error=f"{form[name].label.text}: {form[name].errors[0]}")
    if product is None:
        return Simulation(error=_("Choose a loan product from the list."))
    try:
        return loan_simulation.simulate(product, form.amount.data, form.tenor.data)
    except DomainError as error:
        return Simulation(error=str(error.message))
