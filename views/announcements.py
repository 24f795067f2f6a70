"""Announcements: the board posts them in the office, members read them in their koperasi."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from models import announcements
from models.announcements import BODY_MAX, BODY_TOO_LONG, TITLE_MAX, TITLE_TOO_LONG
from models.membership import MemberStatus
from views.fields import KeyedForm, query_int
from views.forms import failed, run
from web.access import my_membership, office
from web.render import render, see_other

bp = Blueprint("announcements", __name__, url_prefix="/k/<slug>")
PER_PAGE = 20


class AnnouncementForm(KeyedForm):
    title = StringField(_l("Title"), [Length(max=TITLE_MAX, message=TITLE_TOO_LONG)],
                        render_kw={"maxlength": TITLE_MAX, "autocomplete": "off"},
                        description=_l("For example: Rapat anggota tahunan 20 Maret"))
    body = TextAreaField(_l("Announcement text"), [Length(max=BODY_MAX, message=BODY_TOO_LONG)],
                         render_kw={"rows": 6, "maxlength": BODY_MAX},
                         description=_l("Every active member is notified."))


def _older(rows: list) -> int | None:
    return rows[PER_PAGE - 1].id if len(rows) > PER_PAGE else None


@bp.route("/office/announcements", methods=["GET", "POST"])
def office_list(slug):
    """The koperasi's announcements; the board posts a new one here."""
    if request.method == "POST":
        return post(slug)
    here = office(slug, "read")
    return _page(here, AnnouncementForm(formdata=None) if here.can("announce") else None)


def post(slug):
    """Post an announcement to every active member (pengurus; a double tap posts once)."""
    here = office(slug, "announce")
    form = AnnouncementForm()
    done = run(form, lambda: announcements.post(here.koperasi, current_user, form.title.data, form.body.data,
                                                key=form.key.data),
               check=lambda: announcements.check(form.title.data, form.body.data))
    if done:
        flash(_("Announcement posted to the members."), "success")
        return see_other(url_for("announcements.office_list", slug=slug))
    return _page(here, form)


def _page(here, form):
    before = request.args.get("before", type=query_int)
    rows = announcements.latest(here.koperasi, before, PER_PAGE + 1)
    return render("announcements/office.html", here=here, koperasi=here.koperasi, form=form, rows=rows[:PER_PAGE],
                  older=_older(rows), status=422 if form is not None and failed(form) else 200)


@bp.get("/announcements")
def member_list(slug):
    """The koperasi's announcements, for its members."""
    membership = my_membership(slug)
    before = request.args.get("before", type=query_int)
    shown = membership.status in (MemberStatus.APPROVED, MemberStatus.ACTIVE, MemberStatus.RESIGNING)
    rows = announcements.latest(membership.koperasi, before, PER_PAGE + 1) if shown else []
    return render("announcements/member.html", m=membership, koperasi=membership.koperasi, rows=rows[:PER_PAGE],
                  older=_older(rows), shown=shown)
