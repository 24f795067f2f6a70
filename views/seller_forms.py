"""Forms of the seller area: open a store, add or edit a product, edit a price in place."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from models.market import CATEGORIES
from views.fields import KEPT_TOKENS, PHONE_TYPED, Form, RupiahField, WholeNumberField, choices
from views.koperasi_forms import CoordinateField

REQUIRED = _l("This field is required.")


class StoreForm(Form):
    name = StringField(_l("Store name"), [InputRequired(REQUIRED), Length(max=120)])
    description = TextAreaField(_l("What you sell"), [Length(max=2000)], render_kw={"rows": 3})
    nib = StringField(_l("NIB (optional)"), [Length(max=20)], description=_l("Nomor Induk Berusaha, 13 digits."),
                      render_kw={"inputmode": "numeric"})
    address = StringField(_l("Pickup address"), [InputRequired(REQUIRED), Length(max=300)])
    lat = CoordinateField(_l("Latitude"), [InputRequired(REQUIRED)])
    lng = CoordinateField(_l("Longitude"), [InputRequired(REQUIRED)])
    pickup = BooleanField(_l("Buyers may pick up"), default=True)
    delivery_km = WholeNumberField(_l("I deliver within (km)"), [Optional(), NumberRange(min=0, max=1000)],
                                   description=_l("Leave empty if you do not deliver."),
                                   render_kw={"inputmode": "numeric"})
    delivery_fee_idr = RupiahField(_l("Delivery fee (Rp)"), render_kw={"inputmode": "numeric"})
    cod = BooleanField(_l("Cash on delivery"))
    whatsapp = StringField(_l("WhatsApp number"), [Length(max=PHONE_TYPED)], render_kw={"inputmode": "tel"})
    opening_hours = StringField(_l("Opening hours"), [Length(max=200)],
                                description=_l("For example: Mon–Sat 08.00–20.00"))
    own_store = BooleanField(_l("This is the koperasi's own store"))

    def data_for_domain(self) -> dict:
        from models.market import STORE_FIELDS
        return {k: self[k].data for k in STORE_FIELDS}


class PriceForm(Form):
    price_idr = RupiahField(_l("Price (Rp)"), [InputRequired(REQUIRED)], render_kw={"inputmode": "numeric"})


class ProductForm(Form):
    name = StringField(_l("Product name"), [InputRequired(REQUIRED), Length(max=120)])
    description = TextAreaField(_l("Description"), [Length(max=4000)], render_kw={"rows": 3})
    category = SelectField(_l("Category"), choices=choices(CATEGORIES.items()))
    unit = StringField(_l("Unit"), [Length(max=20)], default="pcs", description=_l("For example: pcs, kg, pack"))
    price_idr = RupiahField(_l("Price (Rp)"), [InputRequired(REQUIRED)], render_kw={"inputmode": "numeric"})
    member_price_idr = RupiahField(_l("Member price (Rp, optional)"), render_kw={"inputmode": "numeric"})
    stock = WholeNumberField(_l("Stock"), [Optional(), NumberRange(min=0, max=1_000_000, message=_l(
        "Stock is a whole number from 0."))], default=0, render_kw={"inputmode": "numeric"})
    active = BooleanField(_l("Show in the market"), default=True)
    photos = MultipleFileField(_l("Photos (up to 4)"), render_kw={"accept": "image/*", "capture": "environment"})
    photos_kept = HiddenField(validators=[Length(max=KEPT_TOKENS)])  # the photos chosen in a submit that failed on other fields
