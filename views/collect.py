"""The offline teller: the collection page a teller opens once online (the service worker keeps it), and
the batch its script sends when the signal returns (models/offline.py keeps the rules).

POST …/teller/offline/send takes {"items": [{"key", "provisional", "member": id, "what": "pokok" | "wajib" |
"sukarela" | "repayment", "loan": id | null, "amount": n, "at": ms since 1970 | null}]} (at most ``MAX_ITEMS``)
and answers {"results": [{"key", "provisional", "status": "posted", "receipt", "url"} | {"key", "provisional",
"status": "refused", "reason"}]}, one per item, in order; each item is its own transaction. CSRF: the
X-CSRFToken header (the page holds the token). A session that ended answers as any office request does (to
the login page): the page keeps its queue and asks the teller to sign in again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from models import offline
from models.errors import DomainError
from models.ledger import SAVINGS_LABELS
from models.membership import Membership
from models.offline import OfflineCollection
from views.fields import KEY_SHAPE, MAX_INT, KeyedForm, RupiahField, choices, parse_whole
from views.forms import run
from web.access import office
from web.extensions import db
from web.i18n import idr
from web.render import render, see_other

bp = Blueprint("collect", __name__, url_prefix="/k/<slug>/office")
REQUIRED = _l("This field is required.")
MAX_ITEMS = 50
WHAT_LABELS = {**SAVINGS_LABELS, "repayment": _l("Loan repayment")}


class CollectForm(KeyedForm):
    member = StringField(_l("Member number"), [DataRequired(REQUIRED), Length(max=32)],
                         description=_l("Type the number or the name, then choose"),
                         render_kw={"autocomplete": "off", "list": "collect-members", "spellcheck": "false"})
    what = SelectField(_l("What is paid"), choices=choices(WHAT_LABELS.items()), default="wajib")
    loan = SelectField(_l("Loan (for a repayment)"), validate_choice=False, description=_l("Due now / all still owed"))
    amount = RupiahField(_l("Amount in cash (Rp)"), [InputRequired(REQUIRED)], description=_l("For example 50.000"),
                         render_kw={"inputmode": "numeric", "autocomplete": "off"})


@bp.route("/teller/offline", methods=["GET", "POST"])
def page(slug):
    """Collect cash deposits and repayments, online or (with JavaScript) offline; without it, one at a time."""
    if request.method == "POST":
        return _post_one(slug)
    o = office(slug, "collect_offline")
    return _page(o, CollectForm(formdata=None))


def _page(o, form: CollectForm, status: int = 200):
    members = offline.collecting(o.koperasi)
    # As the script lists them once a member is typed: what is due now / all still owed (two loans of one
    # product tell apart).
    form.loan.choices = [("", "—")] + [(str(loan["id"]), f"{m['number']} · {m['name']} · {loan['name']} · "
                                        f"{idr(loan['due'])} / {idr(loan['owed'])}")
                                       for m in members for loan in m["loans"]]
    latest = offline.latest(o.koperasi, current_user)
    return render("teller/offline.html", o=o, form=form, members=members, latest=latest, labels=WHAT_LABELS,
                  status=status)


def _post_one(slug):
    """Without JavaScript (or without storage on the phone): one collection, posted at once like the counter's."""
    o = office(slug, "post_money")
    form = CollectForm()
    form.loan.choices = []  # checked by the domain: a loan of this member
    valid = form.validate()
    typed = (form.member.data or "").strip()
    membership_id = db.session.scalar(sa.select(Membership.id).where(
        Membership.koperasi_id == o.koperasi.id, Membership.member_number == typed)) if typed else None
    if typed and membership_id is None:
        form.member.errors = [*form.member.errors, _("No member has this number. Check the card.")]
    loan_id = _loan_id(form.loan.data)
    if valid and membership_id and (done := run(form, lambda: offline.collect(
            o.koperasi, current_user, key=form.key.data, membership_id=membership_id, what=form.what.data,
            amount=form.amount.data, loan_id=loan_id, keep_refusal=False), validate=False)):
        return see_other(url_for("teller.receipt", slug=slug, ref=offline.receipt_of(done.value)))
    return _page(o, form, status=422)


def _loan_id(text: str | None) -> int | None:
    try:
        return parse_whole(text or "", 1, MAX_INT)
    except ValueError:
        return None


# ---------------------------------------------------------------- the batch from the phone

def _whole(value, low: int = 0, high: int = MAX_INT) -> int | None:
    """A JSON whole number in [low, high] (not a boolean, not a float), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high else None


def _parse(body) -> list[dict] | None:
    """The items, or None when the body is not the agreed shape."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        return None
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not KEY_SHAPE.fullmatch(item["key"]):
            return None
        if _whole(item.get("member")) is None or item.get("what") not in offline.WHAT:
            return None
        if _whole(item.get("amount"), -10**15, 10**15) is None:
            return None
        if item.get("loan") is not None and _whole(item["loan"]) is None:
            return None
        if not isinstance(item.get("provisional", ""), str):
            return None
        if item.get("at") is not None and _whole(item["at"], 0, 10**14) is None:
            return None
    return items


@bp.post("/teller/offline/send")
def send(slug):
    """Post what the phone collected offline: each item once by its key, in order (models/offline.py)."""
    o = office(slug, "collect_offline")
    items = _parse(request.get_json(silent=True))
    if items is None:
        return jsonify({"error": _("Send the collections as JSON: {\"items\": [...]}, 1 to %(n)s at a time.",
                                   n=MAX_ITEMS)}), 400
    results = []
    for item in items:
        at = datetime.fromtimestamp(item["at"] / 1000, UTC).replace(tzinfo=None) if item.get("at") else None
        try:
            row = offline.collect(o.koperasi, current_user, key=item["key"], membership_id=item["member"],
                                  what=item["what"], amount=item["amount"], loan_id=item.get("loan"),
                                  provisional=item.get("provisional", ""), collected_at=at)
        except DomainError as error:  # the key was answered for another collection: that answer stands
            db.session.rollback()
            results.append({"key": item["key"], "provisional": item.get("provisional", ""), "status": "refused",
                            "reason": str(error.message)})
            continue
        db.session.commit()
        results.append(_answer(slug, row))
    return jsonify({"results": results})


def _answer(slug: str, row: OfflineCollection) -> dict:
    answer = {"key": row.key, "provisional": row.provisional}
    if row.entry_id is None:
        return {**answer, "status": "refused", "reason": row.refusal or ""}
    ref = offline.receipt_of(row)
    return {**answer, "status": "posted", "receipt": ref, "url": url_for("teller.receipt", slug=slug, ref=ref)}
