"""Forms for working capital: the seller's application, the pledge from sales, the koperasi's rule."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from models.capital import MAX_PLEDGE, RECORD_MONTHS
from views.fields import Form, WholeNumberField, choices
from views.loan_forms import REQUIRED, ApplyForm

PLEDGE_RANGE = NumberRange(0, MAX_PLEDGE, _l("Choose a share from 1 to 50 percent, or 0 for none."))


def _pledge():
    return WholeNumberField(_l("Share of each sale paid through Kopz to the loan (%)"), [Optional(), PLEDGE_RANGE],
                            description=_l("0 to 50. When a buyer's order paid from savings is completed, this share "
                                           "of it goes to your next instalments. 0: none. You can change it later."),
                            render_kw={"inputmode": "numeric", "min": 0, "max": MAX_PLEDGE})


class CapitalForm(ApplyForm):
    pledge = _pledge()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.business_name  # the store's name is the business


class PledgeForm(Form):
    pledge = _pledge()


class RuleForm(Form):
    percent = WholeNumberField(_l("Suggested ceiling, percent of the average monthly sales"),
                               [InputRequired(REQUIRED), NumberRange(10, 500, _l("Enter a percentage from 10 to 500."))],
                               description=_l("e.g. 150: a seller selling Rp10.000.000 a month may borrow Rp15.000.000, "
                                              "less what they still owe."),
                               render_kw={"inputmode": "numeric", "min": 10, "max": 500})
    months = SelectField(_l("Months that count"), coerce=int, validate_choice=False,
                         choices=choices((n, _l("The last %(n)s full months", n=n)) for n in range(RECORD_MONTHS, 0, -1)),
                         description=_l("The average is taken over these months of the sales record."))
