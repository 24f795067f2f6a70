"""The marketplace for buyers: the catalogue, a product, a store."""

from __future__ import annotations

from flask import Blueprint, abort, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, SearchField, SelectField
from wtforms.validators import Length

from models import catalogue, directory
from models.errors import DomainError
from models.koperasi import Status
from models.market import CATEGORIES, StoreStatus
from models.orders import active_memberships, price_for
from views.fields import SEARCH_TYPED, Form
from views.forms import attach
from web.media import public_store
from web.public_pages import public
from web.render import render

bp = Blueprint("market", __name__)

PRICE_SORTS = [("cheap", _l("Price: low to high")), ("dear", _l("Price: high to low"))]


class SearchForm(Form):
    """The catalogue's GET form; unknown values are dropped by ``catalogue.criteria``."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search products"), [Length(max=SEARCH_TYPED)], render_kw={"placeholder": _l("e.g. beras, kopi, batik"),
                                                      "autocomplete": "off", "enterkeyhint": "search",
                                                      "maxlength": 100})
    category = SelectField(_l("Category"), validate_choice=False)
    sort = SelectField(_l("Sort"), validate_choice=False)
    koperasi = HiddenField(validators=[Length(max=80)])
    lat = HiddenField(validators=[Length(max=32)])
    lng = HiddenField(validators=[Length(max=32)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [("", _l("All categories")), *CATEGORIES.items()]
        self.sort.choices = [("", _l("Newest")), *PRICE_SORTS]

    def with_position(self) -> None:
        """With a position the default order is nearest first; newest becomes a choice."""
        self.sort.choices = [("", _l("Nearest to me")), ("newest", _l("Newest")), *PRICE_SORTS]


def photo_url(photo: catalogue.PhotoNames, size: str = "detail") -> str:
    """The address of a product photo: a public file named by its content, cached for good (web/media.py)."""
    return public_store().url(getattr(photo, size))


def _link(endpoint: str, **changes) -> str:
    """This URL with some query parameters changed (None removes one)."""
    args = {k: v for k, v in request.args.items() if v}
    args.update(changes)
    return url_for(endpoint, **request.view_args, **{k: v for k, v in args.items() if v not in (None, "")})


def _listing(results: catalogue.Page) -> dict:
    """What a page of cards needs besides the hits: prices for this viewer and photos."""
    member_of = active_memberships(current_user)
    return {"results": results, "member_of": member_of, "price_for": price_for, "photo_url": photo_url,
            "first_photos": catalogue.first_photos([hit.product for hit in results.hits])}


@bp.get("/market")
@public
def index():
    """The catalogue: search, filter, sort (nearest first when a position is given), page."""
    form = SearchForm(request.args)
    try:
        position = directory.parse_position(form.lat.data, form.lng.data)
    except DomainError as error:
        attach(form, error)
        position = form.lat.data = form.lng.data = None
    criteria = catalogue.criteria(form.q.data, form.category.data, form.koperasi.data, form.sort.data,
                                  request.args.get("page"), position)
    form.category.data = criteria.category
    if position:
        form.with_position()
    if form.sort.data not in dict(form.sort.choices):
        form.sort.data = ""
    results = catalogue.search(criteria)
    return render("market/index.html", form=form, criteria=criteria, link=lambda **c: _link("market.index", **c),
                  **_listing(results))


@bp.get("/market/<int:product_id>")
@public
def product(product_id: int):
    """One product: photos, price for this viewer, stock, its store, add to cart."""
    item = catalogue.listed_product(product_id)
    if item is None:
        abort(404)
    member_of = active_memberships(current_user)
    return render("market/product.html", product=item, photos=catalogue.photos(item), photo_url=photo_url,
                  price=price_for(item, member_of), member_of=member_of)


@bp.get("/toko/<slug>")
@public
def store(slug: str):
    """A store: where and when, how the goods reach you, and its products."""
    shop = catalogue.store_by_slug(slug)
    is_owner = shop is not None and current_user.is_authenticated and shop.owner_id == current_user.id
    if shop is None or not (is_owner or (shop.status == StoreStatus.APPROVED
                                         and shop.koperasi.status == Status.VERIFIED)):
        abort(404)
    criteria = catalogue.criteria(page=request.args.get("page"), store_id=shop.id)
    results = catalogue.search(criteria, preview=is_owner)
    whatsapp = "".join(ch for ch in shop.whatsapp or "" if ch.isdigit())
    return render("market/store.html", store=shop, is_owner=is_owner, whatsapp=whatsapp,
                  link=lambda **c: _link("market.store", **c), **_listing(results))
