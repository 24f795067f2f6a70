"""The seller's side of the market: open a store, the stock page made for a phone at
the stall (price in place, big − and + buttons), products with photos."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import catalogue, market
from models.errors import DomainError
from models.koperasi import Staff
from models.market import Product, Store
from models.membership import Membership, MemberStatus, held_by
from models.orders import new_orders_count
from views.fields import new_key, page_of, parse_whole, query_int, take_pictures
from views.forms import failed, run
from views.market import photo_url
from views.seller_forms import PriceForm, ProductForm, StoreForm
from web.access import visible_koperasi
from web.extensions import db
from web.media import public_store
from web.render import htmx_target, render, see_other

bp = Blueprint("seller", __name__)

PHOTO_MAX_BYTES = market.PHOTO_MAX_BYTES
MAX_PHOTOS = 4
LOW_STOCK = 3
PER_PAGE = 20  # products a page: a phone's screenful or two, whatever the size of the catalogue


def _own_product(product_id: int) -> Product:
    """The current user's product, else 404 (someone else's does not exist here)."""
    product = db.session.get(Product, product_id)
    if product is None or product.store.owner_id != current_user.id:
        abort(404)
    return product


def own_store(store_id) -> Store:
    """The current user's own store, else 404."""
    store = db.session.get(Store, store_id) if store_id else None
    if store is None or store.owner_id != current_user.id:
        abort(404)
    return store


def _row(product: Product, status: int = 200, **extra):
    """One product row alone, for htmx."""
    return make_response(render_template("seller/_row.html", p=product, new_key=new_key, low=LOW_STOCK,
                                         back=_back(), **extra), status)


# ---------------------------------------------------------------- open a store

@bp.route("/seller/open/<slug>", methods=["GET", "POST"])
@login_required
def open_store(slug):
    koperasi = visible_koperasi(slug)
    member = db.session.scalar(sa.select(Membership.id).where(
        held_by(current_user.id), Membership.koperasi_id == koperasi.id,
        Membership.status == MemberStatus.ACTIVE))
    staff = db.session.scalar(sa.select(Staff).where(Staff.koperasi_id == koperasi.id,
                                                     Staff.user_id == current_user.id))
    is_admin = bool(staff and staff.can("approve_store"))  # the koperasi's own store
    if member is None and not is_admin:
        abort(404)
    form = StoreForm()
    if not is_admin:
        del form.own_store
    if request.method == "POST":
        own = is_admin and (member is None or form.own_store.data)
        done = run(form, lambda: market.open_store(current_user, koperasi, form.data_for_domain(), own_store=own),
                   check=lambda: market.check_store(form.data_for_domain()))
        if done:
            store = done.value
            if store.is_open:
                flash(_("The store is open."), "success")
            else:
                flash(_("Store sent. The koperasi will check it; you can add products meanwhile."), "success")
            return see_other(url_for("seller.index", store=store.id))
        return render("seller/open.html", form=form, koperasi=koperasi, status=422)
    return render("seller/open.html", form=form, koperasi=koperasi)


@bp.route("/seller/stores/<int:store_id>", methods=["GET", "POST"])
@login_required
def edit_store(store_id):
    """The seller edits their store's details (address, delivery, hours…)."""
    store = db.session.get(Store, store_id)
    if store is None or store.owner_id != current_user.id:
        abort(404)
    form = StoreForm(obj=store)
    del form.own_store
    if request.method == "POST" and run(form, lambda: market.update_store(store, form.data_for_domain()),
                                        check=lambda: market.check_store(form.data_for_domain())):
        flash(_("Store saved."), "success")
        return see_other(url_for("seller.index", store=store.id))
    return render("seller/open.html", form=form, koperasi=store.koperasi, heading=_("Edit the store"),
                  action=url_for("seller.edit_store", store_id=store.id), status=422 if failed(form) else 200)


# ---------------------------------------------------------------- the seller page

def _index_page(store_id=None, status: int = 200, errors: dict | None = None):
    stores = db.session.scalars(sa.select(Store).where(Store.owner_id == current_user.id)
                                .order_by(Store.created_at, Store.id)).all()
    store = None
    if stores:
        store = next((s for s in stores if str(s.id) == str(store_id)), None) if store_id else stores[0]
        if store is None:
            abort(404)
    q = request.args.get("q", "").strip()[:80]
    products, total, page, pages = [], 0, 1, 1
    if store:
        mine = sa.select(Product).where(Product.store_id == store.id)
        if q:
            mine = mine.where(Product.name.icontains(q, autoescape=True))
        total = db.session.scalar(sa.select(sa.func.count()).select_from(mine.subquery()))
        page, pages = page_of(total, PER_PAGE)
        products = db.session.scalars(mine.order_by(Product.name, Product.id).limit(PER_PAGE)
                                      .offset((page - 1) * PER_PAGE)).all()
    return render("seller/index.html", stores=stores, store=store, products=products, new_key=new_key,
                  low=LOW_STOCK, errors=errors or {}, status=status, q=q, total=total, page=page, pages=pages,
                  per_page=PER_PAGE, back=_back(), new_orders=new_orders_count(current_user.id) if store else 0)


def _back() -> dict:
    """The page and search of the seller page a row's form came from, to go back to after it."""
    back = {"page": request.args.get("page", type=query_int), "q": request.args.get("q", "").strip()[:80]}
    return {k: v for k, v in back.items() if v}


@bp.get("/seller")
@login_required
def index():
    return _index_page(request.args.get("store"))


def _whole(text):
    try:
        return parse_whole(text)
    except ValueError:
        return None


@bp.post("/seller/products/<int:product_id>/stock")
@login_required
def stock(product_id):
    """+1 / −1 or set the stock; a keyed change is applied once however often it arrives."""
    product = _own_product(product_id)
    key = (request.form.get("key") or "").strip()[:64] or None
    try:
        if "set" in request.form or (request.form.get("set_to") or "").strip() or "delta" not in request.form:
            set_to = _whole(request.form.get("set_to"))
            market.change_stock(product, set_to=-1 if set_to is None else set_to, key=key, by=current_user)
        else:
            delta = _whole(request.form.get("delta"))
            market.change_stock(product, delta=delta, key=key, by=current_user)
    except DomainError as error:
        db.session.rollback()
        message = error.message
        if htmx_target():
            return _row(product, 422, message=message)
        return _index_page(product.store_id, 422, {product.id: message})
    db.session.commit()
    if htmx_target():
        return _row(product)
    return see_other(url_for("seller.index", store=product.store_id, **_back()))


@bp.route("/seller/products/<int:product_id>/price", methods=["GET", "POST"])
@login_required
def price(product_id):
    """The price edited in place: htmx swaps the row for a small form and back."""
    product = _own_product(product_id)
    form = PriceForm(formdata=None if request.method == "GET" else request.form, price_idr=product.price_idr)
    if request.method == "POST":
        if run(form, lambda: market.set_price(product, form.price_idr.data)):
            if htmx_target():
                return _row(product)
            flash(_("Price saved."), "success")
            return see_other(url_for("seller.index", store=product.store_id, **_back()))
        db.session.refresh(product)
        status = 422
    else:
        status = 200
    if htmx_target():
        return _row(product, status, price_form=form)
    return render("seller/price.html", p=product, price_form=form, new_key=new_key, low=LOW_STOCK, status=status,
                  back=_back())


# ---------------------------------------------------------------- products

def _pictures(form) -> list[bytes]:
    return take_pictures(form.photos, form.photos_kept, size=(1080, 1080), max_bytes=PHOTO_MAX_BYTES,
                         limit=MAX_PHOTOS)


def _product_data(form, with_stock: bool) -> dict:
    data = {k: form[k].data for k in ("name", "description", "category", "unit", "price_idr",
                                      "member_price_idr", "active")}
    data["description"] = data["description"] or ""
    if with_stock:
        data["stock"] = form.stock.data or 0
    return data


@bp.route("/seller/products/new", methods=["GET", "POST"])
@login_required
def new_product():
    store = own_store(request.args.get("store", type=query_int))
    form = ProductForm()
    if request.method == "POST":
        pictures = _pictures(form)

        def op():
            product = market.add_product(store, _product_data(form, True))
            market.set_photos(product, pictures, public_store())
            return product

        if run(form, op, check=lambda: market.check_product(_product_data(form, True))):
            flash(_("Product added."), "success")
            return see_other(url_for("seller.index", store=store.id))
        return render("seller/product.html", form=form, store=store, product=None, status=422)
    return render("seller/product.html", form=form, store=store, product=None)


@bp.route("/seller/products/<int:product_id>", methods=["GET", "POST"])
@login_required
def product(product_id):
    product = _own_product(product_id)
    form = ProductForm(obj=product if request.method == "GET" else None)
    del form.stock
    photos = catalogue.photos(product)
    if request.method == "POST":
        pictures = _pictures(form)

        def op():
            market.update_product(product, _product_data(form, False))
            return market.set_photos(product, pictures, public_store())

        if done := run(form, op, check=lambda: market.check_product(_product_data(form, False))):
            market.prune_photos(done.value, public_store())  # the replaced photos' files, once committed
            flash(_("Product saved."), "success")
            return see_other(url_for("seller.index", store=product.store_id))
        return render("seller/product.html", form=form, store=product.store, product=product, photos=photos,
                      photo_url=photo_url, status=422)
    return render("seller/product.html", form=form, store=product.store, product=product, photos=photos,
                  photo_url=photo_url)
