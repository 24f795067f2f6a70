"""Koperasi office: the stores under the koperasi, approved or suspended by its staff."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, url_for
from flask_babel import gettext as _

from models import market
from models.accounts import User
from models.market import STORE_STATUS_LABELS, Store, StoreStatus
from views.fields import Form
from views.forms import run
from web.access import office
from web.extensions import db
from web.render import render, see_other

bp = Blueprint("office_stores", __name__, url_prefix="/k/<slug>/office/stores")
ORDER = (StoreStatus.PENDING, StoreStatus.APPROVED, StoreStatus.SUSPENDED)


class StatusForm(Form):
    """Approve or suspend: a button and its CSRF token."""


@bp.get("")
def index(slug):
    o = office(slug, "read")
    rows = db.session.execute(
        sa.select(Store, User.full_name).join(User, Store.owner_id == User.id)
        .where(Store.koperasi_id == o.koperasi.id).order_by(Store.created_at.desc(), Store.id.desc())).all()
    groups = {status: [] for status in ORDER}
    for store, owner in rows:
        groups.setdefault(store.status, []).append((store, owner))
    return render("office_stores/index.html", o=o, groups=groups, labels=STORE_STATUS_LABELS)


def _set(slug, store_id, status, message):
    o = office(slug, "approve_store")
    store = o.get(Store, store_id)
    if run(StatusForm(), lambda: market.set_store_status(store, status)):
        flash(message, "success")
    else:
        flash(_("Could not change the store. Try again."), "error")
    return see_other(url_for("office_stores.index", slug=slug))


@bp.post("/<int:store_id>/approve")
def approve(slug, store_id):
    return _set(slug, store_id, StoreStatus.APPROVED, _("Store approved: buyers can see it now."))


@bp.post("/<int:store_id>/suspend")
def suspend(slug, store_id):
    return _set(slug, store_id, StoreStatus.SUSPENDED, _("Store suspended: buyers no longer see it."))
