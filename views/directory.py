"""Finding a koperasi: the directory, nearest first, and each koperasi's profile."""

from __future__ import annotations

from functools import lru_cache

from babel.numbers import format_decimal
from flask import Blueprint, abort, make_response, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, SearchField, SelectField
from wtforms.validators import Length

from models import directory, regions
from models.errors import DomainError
from models.health import published_category
from models.images import shrink
from models.koperasi import JENIS_LABELS, SERVICE_LABELS, KoperasiLogo
from models.membership import open_membership
from views.fields import SEARCH_TYPED, Form
from views.forms import attach
from web.access import staff_role, visible_koperasi
from web.extensions import db
from web.public_pages import public
from web.render import render

bp = Blueprint("directory", __name__)
LOGO_MAX_AGE = 365 * 24 * 3600  # the URL carries the logo's version
# Logos are kept at 256 px; lists show them at 40 CSS px, the profile at 72: twice that for sharp
# screens (templates/_ui/logo.html asks for ?s=). Any other size gets the stored logo.
LOGO_SIZES = (80, 144)


@lru_cache(maxsize=512)
def _small_logo(koperasi_id: int, version: str, side: int, data: bytes) -> bytes:
    return shrink(data, side)  # once per process and version: a few ms of Pillow


class SearchForm(Form):
    """The directory's GET form; unknown codes are dropped by ``directory.criteria``."""

    class Meta:
        csrf = False

    q = SearchField(_l("Name"), [Length(max=SEARCH_TYPED)], render_kw={"placeholder": _l("e.g. Sejahtera"), "autocomplete": "off",
                                           "enterkeyhint": "search", "maxlength": 100})
    jenis = SelectField(_l("Type"), validate_choice=False)
    service = SelectField(_l("Service"), validate_choice=False)
    province = SelectField(_l("Province"), validate_choice=False)
    regency = SelectField(_l("Regency / city"), validate_choice=False)
    lat = HiddenField(validators=[Length(max=32)])
    lng = HiddenField(validators=[Length(max=32)])
    view = HiddenField(validators=[Length(max=10)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.jenis.choices = [("", _l("All types")), *JENIS_LABELS.items()]
        self.service.choices = [("", _l("All services")), *SERVICE_LABELS.items()]
        self.province.choices = [("", _l("All provinces")), *regions.provinces()]
        self.regency.choices = [("", _l("All regencies and cities")), *regions.children(self.province.data or "")]


@bp.app_template_filter("distance")
def distance(km: float | None) -> str:
    """850 m under a kilometre; 1,2 km (id) / 1.2 km (en); whole km from 100 km."""
    if km is None:
        return ""
    if km < 1:
        return f"{format_decimal(max(10, round(km * 1000, -1)), format='#,##0', locale=get_locale())} m"
    return f"{format_decimal(km, format='#,##0.0' if km < 100 else '#,##0', locale=get_locale())} km"


def _link(**changes) -> str:
    """This directory URL with some parameters changed (None removes one)."""
    args = {k: v for k, v in request.args.items() if v}
    args.update(changes)
    return url_for("directory.index", **{k: v for k, v in args.items() if v not in (None, "")})


@bp.get("/koperasi")
@public
def index():
    """Search and filter koperasi; nearest first when a position is given."""
    form = SearchForm(request.args)
    if not form.regency.data or form.regency.data not in dict(form.regency.choices):
        form.regency.data = ""
    try:
        position = directory.parse_position(form.lat.data, form.lng.data)
    except DomainError as error:
        attach(form, error)
        position = form.lat.data = form.lng.data = None
    criteria = directory.criteria(form.q.data, form.jenis.data, form.service.data, form.province.data,
                                  form.regency.data, request.args.get("page"), position)
    results = directory.search(criteria)
    is_map = form.view.data == "map"
    markers = [{"name": hit.koperasi.name, "lat": hit.koperasi.lat, "lng": hit.koperasi.lng,
                "url": url_for("directory.profile", slug=hit.koperasi.slug)} for hit in results.hits] if is_map else []
    return render("directory/index.html", form=form, criteria=criteria, results=results, is_map=is_map,
                  markers=markers, link=_link)


@bp.get("/k/<slug>")
@public
def profile(slug: str):
    """A koperasi's public profile: what it offers, what joining costs, where it is."""
    koperasi = visible_koperasi(slug)
    membership = open_membership(current_user, koperasi) if current_user.is_authenticated else None
    whatsapp = "".join(ch for ch in koperasi.whatsapp or "" if ch.isdigit())
    return render("directory/profile.html", koperasi=koperasi, membership=membership, staff=staff_role(koperasi),
                  member_count=directory.active_member_count(koperasi), whatsapp=whatsapp,
                  service_labels=SERVICE_LABELS,
                  health=published_category(koperasi) if membership is not None and membership.is_card else None)


@bp.get("/k/<slug>/logo.webp")
def logo(slug: str):
    """The koperasi's logo, cached for a year (a new logo gets a new ?v=)."""
    koperasi = visible_koperasi(slug)
    row = db.session.get(KoperasiLogo, koperasi.id) if koperasi.logo_version else None
    if row is None:
        abort(404)
    side = request.args.get("s", type=int)
    data = _small_logo(koperasi.id, koperasi.logo_version, side, row.data) if side in LOGO_SIZES else row.data
    response = make_response(data)
    response.mimetype = row.mimetype
    response.headers["Cache-Control"] = f"public, max-age={LOGO_MAX_AGE}, immutable"
    return response
