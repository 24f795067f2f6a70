"""My data (UU PDP): a copy of it to download, the consents given, and its deletion (``models.personal_data``)."""

from __future__ import annotations

import json

from flask import Blueprint, flash, make_response, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from models import consent, personal_data
from models.documents import KTP_FOLDER
from views.fields import PASSWORD_TYPED, Form
from views.forms import run
from web.media import folder
from web.render import render, see_other
from web.sessions import log_out
from web.spreadsheet import csv_response

bp = Blueprint("privacy", __name__)


class EraseForm(Form):
    password = PasswordField(_l("Your password, to confirm"), [DataRequired(_l("This field is required.")),
                                                                  Length(max=PASSWORD_TYPED)],
                             render_kw={"autocomplete": "current-password"})


@bp.get("/account/data")
@login_required
def data():
    """What Kopz keeps about me: downloads, consents, deletion."""
    return _page()


def _page(form: EraseForm | None = None, status: int = 200):
    return render("privacy/data.html", form=form or EraseForm(formdata=None), status=status,
                  consents=consent.of_user(current_user.id), blockers=personal_data.blockers(current_user))





@bp.get("/account/data.json")
@login_required
def data_json():
    """My data as JSON: only my own."""
    response = make_response(json.dumps(personal_data.collect(current_user), ensure_ascii=False, indent=1))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = 'attachment; filename="kopz-data-saya.json"'
    response.headers["Cache-Control"] = "private, no-store"  # personal data: never kept in a cache
    return response


@bp.get("/account/data.csv")
@login_required
def data_csv():
    """The same as a spreadsheet: one row per value (where, value)."""
    return csv_response("kopz-data-saya.csv", [_("Item"), _("Value")],
                        personal_data.flat(personal_data.collect(current_user)))


@bp.post("/account/data/delete")
@login_required
def delete():
    """Erase my personal data (the books keep the entries, under a pseudonym); then signed out."""
    form = EraseForm()
    if run(form, lambda: personal_data.erase(current_user, form.password.data, folder(KTP_FOLDER))):
        log_out()
        flash(_("Your personal data was deleted and your account closed."), "success")
        response = see_other(url_for("public.home"))
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response
    return _page(form, status=422)
