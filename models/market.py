"""The UMKM marketplace: stores under koperasi, products and stock.

Rules kept here:
- A store belongs to one koperasi; its owner is a member there (or it is the
  koperasi's own store). Staff of that koperasi approve or suspend it; only approved
  stores sell. The owner is notified when their store is approved.
- Prices are whole Rupiah; stock is a whole number that never goes below zero. Every
  stock change is one conditional UPDATE (race-safe on SQLite and PostgreSQL) and,
  when it carries a key, is applied once however often it is sent (offline replay);
  the key sent again by someone else, for another product or another change, is refused.
- A product's photos are public files named by their content (``models.storage``, which says
  why public is acceptable): a new set replaces the old, and an old file no photo uses any
  more is removed after the commit, unless it was written within the last hour.
"""

from __future__ import annotations

import enum
import io
import re
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts import User, normalize_mobile
from models.base import db, utcnow
from models.errors import Checks, DomainError
from models.images import reencode
from models.keys import fingerprint, same
from models.koperasi import LAT_RANGE, LNG_RANGE, Koperasi, unique_slug
from models.membership import Membership, MemberStatus, held_by
from models.notifications import Kind, notify
from models.storage import Storage

MAX_PRICE = 1_000_000_000
PAY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read off a printed sign
PAY_CODE_LENGTH = 7


def new_pay_code() -> str:
    """A store's short pay code: 31^7 (27 billion) codes, drawn at random."""
    return "".join(secrets.choice(PAY_CODE_ALPHABET) for _ in range(PAY_CODE_LENGTH))

MAX_STOCK = 1_000_000


class StoreStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SUSPENDED = "suspended"
    CLOSED = "closed"  # its owner left the koperasi


STORE_STATUS_LABELS = {
    StoreStatus.PENDING: _l("Awaiting approval"),
    StoreStatus.APPROVED: _l("Open"),
    StoreStatus.CLOSED: _l("Closed: the owner left the koperasi"),
    StoreStatus.SUSPENDED: _l("Suspended"),
}

CATEGORIES = {
    "food": _l("Food & drink"),
    "agriculture": _l("Agriculture"),
    "fashion": _l("Fashion"),
    "crafts": _l("Crafts"),
    "household": _l("Household"),
    "health": _l("Health & beauty"),
    "electronics": _l("Phones & electronics"),
    "services": _l("Services"),
    "other": _l("Other"),
}


class Store(db.Model):
    __table_args__ = (sa.Index("ix_store_status_lat_lng", "status", "lat", "lng"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    membership_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))  # None: toko koperasi
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    nib: Mapped[str | None] = mapped_column(sa.String(20))  # Nomor Induk Berusaha
    address: Mapped[str] = mapped_column(sa.String(300))
    lat: Mapped[float] = mapped_column(sa.Float)
    lng: Mapped[float] = mapped_column(sa.Float)
    pickup: Mapped[bool] = mapped_column(default=True)
    delivery_km: Mapped[int | None]  # seller delivers within this distance
    delivery_fee_idr: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cod: Mapped[bool] = mapped_column(default=False)
    whatsapp: Mapped[str | None] = mapped_column(sa.String(16))
    opening_hours: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(10), default=StoreStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # what the store's payment QR encodes and a buyer can type (``models.stall``)
    pay_code: Mapped[str] = mapped_column(sa.String(16), unique=True, default=lambda: new_pay_code())

    koperasi: Mapped[Koperasi] = relationship(lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.status == StoreStatus.APPROVED

    @property
    def status_label(self):
        return STORE_STATUS_LABELS.get(self.status, self.status)


class Product(db.Model):
    __table_args__ = (
        sa.CheckConstraint("stock >= 0", name="stock_not_negative"),
        sa.CheckConstraint("price_idr > 0", name="price_positive"),
        # Price order with and without a category, walked either way and stopped after a page.
        sa.Index("ix_product_listing", "active", "category", "price_idr", "id"),
        sa.Index("ix_product_price", "active", "price_idr", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id", ondelete="CASCADE"), index=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[str] = mapped_column(sa.String(20))
    unit: Mapped[str] = mapped_column(sa.String(20), default="pcs")
    price_idr: Mapped[int] = mapped_column(sa.BigInteger)
    member_price_idr: Mapped[int | None] = mapped_column(sa.BigInteger)  # for members of the store's koperasi
    stock: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)  # hidden products are not listed
    photo_version: Mapped[str | None] = mapped_column(sa.String(16))  # the first photo, for listings
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    store: Mapped[Store] = relationship(lazy="joined")

    @property
    def category_label(self):
        return CATEGORIES.get(self.category, self.category)


class ProductPhoto(db.Model):
    """A photo, re-encoded on upload: a small thumbnail and a detail size, no metadata. The
    images are public files (``models.storage``, content-addressed); the row names them."""

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[str] = mapped_column(sa.String(16))
    thumb: Mapped[str] = mapped_column(sa.String(72))  # "<sha256>.webp" in the public photo store
    detail: Mapped[str] = mapped_column(sa.String(72))


PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_SIZES = {"thumb": (320, 320), "detail": (1080, 1080)}
PHOTO_GRACE_SECONDS = 3600  # a file written this recently is never removed (an upload may be on its way)


def set_photos(product: Product, pictures: list[bytes], files: Storage) -> list[str]:
    """Make ``pictures`` (already checked, see ``views.fields.take_pictures``) the product's photos,
    in order: each as a thumbnail and a detail size, written to ``files``. No pictures: no change.
    Returns the names the old photos used, for ``prune_photos`` once this is committed."""
    if not pictures:
        return []
    rows = []
    for position, picture in enumerate(pictures):
        thumb, detail = (files.put(reencode(io.BytesIO(picture), PHOTO_MAX_BYTES, size, "photos"), "webp")
                         for size in PHOTO_SIZES.values())
        rows.append(ProductPhoto(product_id=product.id, position=position, version=detail[:12], thumb=thumb,
                                 detail=detail))
    old = db.session.execute(sa.select(ProductPhoto.thumb, ProductPhoto.detail)
                             .where(ProductPhoto.product_id == product.id)).all()
    db.session.execute(sa.delete(ProductPhoto).where(ProductPhoto.product_id == product.id))
    db.session.add_all(rows)
    product.photo_version = rows[0].version
    return sorted({name for row in old for name in row} - {n for row in rows for n in (row.thumb, row.detail)})


def prune_photos(names: list[str], files: Storage, grace_seconds: int = PHOTO_GRACE_SECONDS) -> list[str]:
    """Remove the files among ``names`` that no photo refers to any more (call after the commit that
    dropped them). The same image may be another product's photo, so the rows decide; and a file
    written in the last ``grace_seconds`` is kept, since an upload of the same bytes may not have
    committed yet. What is kept is merely unused. Returns the names removed."""
    if not names:
        return []
    used = set(db.session.scalars(sa.select(ProductPhoto.thumb).where(ProductPhoto.thumb.in_(names)))) | set(
        db.session.scalars(sa.select(ProductPhoto.detail).where(ProductPhoto.detail.in_(names))))
    removed = []
    for name in names:
        age = None if name in used else files.age(name)
        if age is not None and age > grace_seconds and files.delete(name):
            removed.append(name)
    return removed


class StockChange(db.Model):
    """One applied stock change with its key: a replayed change is recognised here."""

    __table_args__ = (sa.UniqueConstraint("store_id", "key", name="uq_stock_change_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    delta: Mapped[int]
    stock_after: Mapped[int]
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    idempotency_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))  # models.keys.fingerprint
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- stores

def _clean_store(data: dict) -> dict:
    """Check a store's details; raise one DomainError listing every bad field."""
    checks = Checks()
    out = dict(data)
    out["name"] = " ".join((data.get("name") or "").split())
    if len(out["name"]) < 3:
        checks.fail(_l("Enter the store's name."), "name")
    if len((data.get("address") or "").strip()) < 5:
        checks.fail(_l("Enter the pickup address."), "address")
    for name, (low, high) in (("lat", LAT_RANGE), ("lng", LNG_RANGE)):
        if data.get(name) is None or not low <= data[name] <= high:
            checks.fail(_l("The map position must be in Indonesia (latitude -11 to 6, longitude 95 to 141)."), name)
    nib = (data.get("nib") or "").strip() or None
    if nib and not re.fullmatch(r"\d{13}", nib):
        checks.fail(_l("The NIB has 13 digits."), "nib")
    out["nib"] = nib
    with checks.catching():
        out["whatsapp"] = normalize_mobile(data["whatsapp"], field="whatsapp") if data.get("whatsapp") else None
    if not (data.get("pickup") or data.get("delivery_km") or data.get("cod")):
        checks.fail(_l("Offer at least one way to get the goods."), "pickup")
    km, fee = data.get("delivery_km"), data.get("delivery_fee_idr") or 0
    if km is not None and not 1 <= km <= 100:
        checks.fail(_l("Deliver within 1 to 100 km."), "delivery_km")
    if not 0 <= fee <= 1_000_000:
        checks.fail(_l("Enter a delivery fee from Rp0 to Rp1.000.000."), "delivery_fee_idr")
    out["delivery_fee_idr"] = fee
    checks.done()
    return out


def check_store(data: dict) -> None:
    """Every rule of a store's details, for a form that also has other errors: raise them all."""
    _clean_store(data)


STORE_FIELDS = ("name", "description", "nib", "address", "lat", "lng", "pickup", "delivery_km",
                "delivery_fee_idr", "cod", "whatsapp", "opening_hours")


def open_store(user: User, koperasi: Koperasi, data: dict, own_store: bool = False) -> Store:
    """A member who runs a business opens a store under their koperasi (the koperasi's
    staff approve it); ``own_store``: the koperasi's own toko, opened by its staff."""
    membership = None
    if not own_store:
        membership = db.session.scalar(sa.select(Membership).where(
            held_by(user.id), Membership.koperasi_id == koperasi.id,
            Membership.status == MemberStatus.ACTIVE))
        if membership is None:
            raise DomainError(_l("Only an active member of this koperasi can open a store under it."))
    clean = _clean_store(data)
    store = Store(**{k: clean.get(k) for k in STORE_FIELDS}, slug=unique_slug(Store, clean["name"]),
                  koperasi_id=koperasi.id, owner_id=user.id, membership_id=membership.id if membership else None,
                  status=StoreStatus.APPROVED if own_store else StoreStatus.PENDING)
    db.session.add(store)
    db.session.flush()
    return store


def update_store(store: Store, data: dict) -> None:
    clean = _clean_store(data)
    for key in STORE_FIELDS:
        setattr(store, key, clean.get(key))


def set_store_status(store: Store, status: str) -> None:
    """Koperasi staff approve or suspend a store under them."""
    if status not in set(StoreStatus):
        raise DomainError(_l("Choose a status from the list."))
    if status == StoreStatus.APPROVED and store.status != StoreStatus.APPROVED:
        notify(store.owner_id, Kind.STORE_APPROVED, koperasi_id=store.koperasi_id, params={"store": store.name},
               url="/seller")
    store.status = status


# ---------------------------------------------------------------- products and stock

def _clean_product(data: dict) -> dict:
    """Check a product; raise one DomainError listing every bad field."""
    checks = Checks()
    out = dict(data)
    out["name"] = " ".join((data.get("name") or "").split())
    if len(out["name"]) < 2:
        checks.fail(_l("Enter the product's name."), "name")
    if data.get("category") not in CATEGORIES:
        checks.fail(_l("Choose a category."), "category")
    price = data.get("price_idr")
    if not isinstance(price, int) or not 0 < price <= MAX_PRICE:
        checks.fail(_l("Enter a price above Rp0."), "price_idr")
        price = MAX_PRICE
    member_price = data.get("member_price_idr")
    if member_price is not None and not 0 < member_price <= price:
        checks.fail(_l("The member price is above Rp0 and not above the price."), "member_price_idr")
    stock = data.get("stock", 0)
    if not isinstance(stock, int) or not 0 <= stock <= MAX_STOCK:
        checks.fail(_l("Stock is a whole number from 0."), "stock")
    out["unit"] = (data.get("unit") or "pcs").strip()[:20] or "pcs"
    checks.done()
    return out


def check_product(data: dict) -> None:
    """Every rule of a product, for a form that also has other errors: raise them all."""
    _clean_product({"stock": 0, **data})


PRODUCT_FIELDS = ("name", "description", "category", "unit", "price_idr", "member_price_idr", "stock", "active")


def add_product(store: Store, data: dict) -> Product:
    clean = _clean_product({"active": True, **data})
    product = Product(store_id=store.id, koperasi_id=store.koperasi_id,
                      **{k: clean.get(k) for k in PRODUCT_FIELDS})
    db.session.add(product)
    db.session.flush()
    return product


def update_product(product: Product, data: dict) -> None:
    """Edit name, price, category…; stock moves only through ``change_stock``."""
    clean = _clean_product({**data, "stock": product.stock})
    for key in PRODUCT_FIELDS:
        if key != "stock" and key in data:
            setattr(product, key, clean.get(key))


def set_price(product: Product, price: int | None) -> None:
    update_product(product, {"name": product.name, "category": product.category, "unit": product.unit,
                             "price_idr": price, "member_price_idr": product.member_price_idr
                             if product.member_price_idr and price and product.member_price_idr <= price else None})


def change_stock(product: Product, *, delta: int | None = None, set_to: int | None = None,
                 key: str | None = None, by: User | None = None) -> int:
    """Add ``delta`` (or set the stock to ``set_to``) in one conditional UPDATE that
    never lets stock go below zero. With a key, a change already applied is not
    applied again (the first result is returned); the key is bound to who sent it, the
    product and the change. Returns the stock after."""
    once = fingerprint("stock", by, product=product.id, delta=None if set_to is not None else delta, set_to=set_to)
    if key and (seen := _applied(product.store_id, key)) is not None:
        same(seen.idempotency_fingerprint, once)
        return seen.stock_after
    if set_to is not None:
        if not isinstance(set_to, int) or not 0 <= set_to <= MAX_STOCK:
            raise DomainError(_l("Stock is a whole number from 0."), field="stock")
        values, where = {"stock": set_to}, sa.true()
        delta = None
    else:
        if not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_STOCK:
            raise DomainError(_l("Stock is a whole number from 0."), field="stock")
        values, where = {"stock": Product.stock + delta}, (Product.stock + delta >= 0)
    try:
        with db.session.begin_nested():  # the change and its key together: a lost race undoes ours, only ours
            after = db.session.execute(
                sa.update(Product).where(Product.id == product.id, where).values(**values).returning(Product.stock)
            ).scalar_one_or_none()
            if after is None:
                raise DomainError(_l("Not enough stock for that."), field="stock")
            if key:
                db.session.add(StockChange(store_id=product.store_id, product_id=product.id, key=key,
                                           delta=delta or 0, stock_after=after, by_id=by.id if by else None,
                                           idempotency_fingerprint=once))
    except (sa.exc.IntegrityError, DomainError):  # the same key arrived twice at once, or its first took the stock
        if not key or (seen := _applied(product.store_id, key)) is None:
            raise
        same(seen.idempotency_fingerprint, once)
        return seen.stock_after
    db.session.expire(product, ["stock"])
    return after


def _applied(store_id: int, key: str) -> StockChange | None:
    return db.session.scalar(sa.select(StockChange).where(StockChange.store_id == store_id, StockChange.key == key))
