"""The catalogue: products on sale in approved stores, searched, filtered, sorted.

Rules kept here:
- Only active products of approved stores of verified koperasi are listed; sold-out
  products are listed (and shown as sold out).
- Full-text search uses an index on both databases: on PostgreSQL the stored column
  ``product.search_tsv`` (generated as ``to_tsvector('simple', name || ' ' ||
  description)``, migration 0028) and its GIN index, so a candidate is checked by
  reading the column, not by tokenising its text again; on SQLite the FTS5 table
  ``product_fts`` kept in sync by triggers (migration 0005). Every word the user types
  is matched as a prefix ("ber" finds "beras"); the user's text never reaches the
  query syntax (only letters and digits survive, each word quoted).
- Every order walks an index and stops after a page: newest by the primary key,
  price by (active, price_idr, id) or (active, category, price_idr, id), either way.
- Nearest first never computes a distance for every row: the same KNN scan (PostgreSQL,
  GiST on the store's point(lng, lat)) or growing bounding box (SQLite, the store's
  (status, lat, lng) index) as the koperasi directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from models.base import db
from models.directory import nearest_rows
from models.koperasi import Koperasi, Status
from models.market import CATEGORIES, Product, ProductPhoto, Store, StoreStatus

PER_PAGE = 24
MAX_PAGE = 100  # deeper than anyone scrolls; keeps OFFSET small
MAX_WORDS = 8
# Several words on PostgreSQL: the newest products looked at first (see ``_newest_window``).
WINDOW = 4_000
SORTS = ("newest", "cheap", "dear", "near")
# The raw-SQL search objects of migrations 0005 and 0028 (FTS5 tables on SQLite; on
# PostgreSQL the stored tsvector and the GIN, trigram and GiST indexes): not in the
# models, so the models-vs-migrations comparison must not report them.
SEARCH_OBJECTS = {"product_fts", "product_fts_data", "product_fts_idx", "product_fts_docsize",
                  "product_fts_config", "ix_product_search", "search_tsv", "ix_product_search_tsv",
                  "ix_koperasi_search_trgm", "ix_koperasi_position", "ix_store_position"}
TSVECTOR = sa.literal_column("product.search_tsv")


def include_name(name, type_, parent_names) -> bool:
    """Alembic's ``include_name`` hook: leave the search index and FTS tables alone."""
    return name not in SEARCH_OBJECTS


@dataclass(frozen=True)
class Criteria:
    """What the user asked for; unknown values are already dropped."""

    q: str = ""
    category: str = ""
    koperasi: str = ""  # slug
    sort: str = "newest"
    position: tuple[float, float] | None = None
    page: int = 1
    store_id: int | None = None


@dataclass
class Hit:
    product: Product
    distance_km: float | None = None


@dataclass
class Page:
    hits: list[Hit]
    has_more: bool
    page: int


def criteria(q: str | None = "", category: str | None = "", koperasi: str | None = "", sort: str | None = "",
             page: int | str | None = 1, position: tuple[float, float] | None = None,
             store_id: int | None = None) -> Criteria:
    """Clean catalogue input: an unknown category or sort is ignored; "near" needs a position."""
    try:
        page = min(max(int(str(page or 1)) if str(page or 1).isascii() else 1, 1), MAX_PAGE)
    except (TypeError, ValueError):
        page = 1
    sort = sort if sort in SORTS else ""
    if not sort or (sort == "near" and not position):
        sort = "near" if position else "newest"
    return Criteria(q=" ".join((q or "").split())[:100], category=category if category in CATEGORIES else "",
                    koperasi=re.sub(r"[^a-z0-9-]", "", (koperasi or "").lower())[:80], sort=sort,
                    position=position, page=page, store_id=store_id)


def words(q: str) -> list[str]:
    """The searchable words of the user's text: letters and digits only."""
    return re.findall(r"[^\W_]+", q.lower())[:MAX_WORDS]


def matches(q: str) -> sa.ColumnElement[bool]:
    """Products whose name or description has every word (as a prefix), through the index."""
    tokens = words(q)
    if not tokens:
        return sa.true()
    if db.engine.dialect.name == "postgresql":
        return TSVECTOR.bool_op("@@")(sa.func.to_tsquery(sa.literal_column("'simple'"), _tsquery(q)))
    query = " AND ".join(f'"{token}"*' for token in tokens)
    return Product.id.in_(sa.text("SELECT rowid FROM product_fts WHERE product_fts MATCH :fts")
                          .bindparams(fts=query))


def _tsquery(q: str) -> str:
    """PostgreSQL's query text: every word as a prefix, all of them (``words`` keeps letters and digits only)."""
    return " & ".join(f"{token}:*" for token in words(q))


def _filtered(c: Criteria, preview: bool = False) -> sa.Select:
    """``preview``: a store's owner sees their products before the store is approved."""
    query = (sa.select(Product)
             .join(Store, Store.id == Product.store_id)
             .join(Koperasi, Koperasi.id == Store.koperasi_id)
             .options(contains_eager(Product.store).contains_eager(Store.koperasi))
             .where(Product.active.is_(True)))
    if not (preview and c.store_id):
        query = query.where(Store.status == StoreStatus.APPROVED, Koperasi.status == Status.VERIFIED)
    if c.q:
        query = query.where(matches(c.q))
    if c.category:
        query = query.where(Product.category == c.category)
    if c.koperasi:
        query = query.where(Koperasi.slug == c.koperasi)
    if c.store_id:
        query = query.where(Product.store_id == c.store_id)
    return query


# Ids grow with time, so the primary key is the "newest first" index: the first page
# walks it backwards and stops after one page instead of sorting every product. Price
# orders walk ix_product_price (or ix_product_listing within a category): the same way
# for cheap, backwards for dear, so equal prices go by id in the index's direction.
ORDERS = {
    "newest": (Product.id.desc(),),
    "cheap": (Product.price_idr, Product.id),
    "dear": (Product.price_idr.desc(), Product.id.desc()),
}


def search(c: Criteria, per_page: int = PER_PAGE, preview: bool = False) -> Page:
    """One page of the catalogue (``per_page`` + 1 rows fetched to know if there is more)."""
    if c.sort == "near" and c.position:
        return nearest(c, per_page)
    rows = _newest_window(c, per_page, preview) if c.sort == "newest" and len(words(c.q)) > 1 else None
    if rows is None:
        rows = list(db.session.scalars(_filtered(c, preview).order_by(*ORDERS[c.sort])
                                       .offset((c.page - 1) * per_page).limit(per_page + 1)).unique())
    return Page([Hit(p) for p in rows[:per_page]], len(rows) > per_page, c.page)


def _newest_window(c: Criteria, per_page: int, preview: bool) -> list[Product] | None:
    """Several words, newest first, on PostgreSQL: PostgreSQL takes words that go together
    ("kopi gayo arabika") as independent, so as rare, and would read every match through
    the GIN index to sort them. First walk the newest ``WINDOW`` products instead, matching
    the stored column without its index (``|| ''`` hides it): if they hold the whole page,
    it is exact (every product outside is older); otherwise None, and the index query runs,
    for words rare among the newest ``WINDOW`` products, so rare overall too."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    unindexed = (TSVECTOR.op("||")(sa.literal_column("''::tsvector"))).bool_op("@@")(
        sa.func.to_tsquery(sa.literal_column("'simple'"), _tsquery(c.q)))
    # The newest id as a value, not a subquery, so the planner sees a window of WINDOW rows.
    newest = db.session.scalar(sa.select(sa.func.max(Product.id))) or 0
    rows = list(db.session.scalars(_filtered(replace(c, q=""), preview).where(unindexed, Product.id > newest - WINDOW)
                                   .order_by(*ORDERS["newest"]).offset((c.page - 1) * per_page)
                                   .limit(per_page + 1)).unique())
    return rows if len(rows) == per_page + 1 else None


def nearest(c: Criteria, per_page: int = PER_PAGE) -> Page:
    """Products by their store's exact distance: a KNN scan on PostgreSQL, else a bounding
    box that widens only while it cannot prove it holds the nearest rows (see models/directory.py)."""
    ranked = nearest_rows(_filtered(c), Store.lat, Store.lng, c.position, (c.page - 1) * per_page, per_page + 1)
    return Page([Hit(row[0], km) for km, row in ranked[:per_page]], len(ranked) > per_page, c.page)


class PhotoNames(NamedTuple):
    """The stored names of one photo's two sizes (``models.storage``; a view turns them into URLs)."""

    thumb: str
    detail: str


def first_photos(products: list[Product]) -> dict[int, PhotoNames]:
    """{product id: its first photo's names}, in one query."""
    ids = [p.id for p in products if p.photo_version]
    if not ids:
        return {}
    rows = db.session.execute(sa.select(ProductPhoto.product_id, ProductPhoto.thumb, ProductPhoto.detail)
                              .where(ProductPhoto.product_id.in_(ids))
                              .order_by(ProductPhoto.product_id, ProductPhoto.position.desc(),
                                        ProductPhoto.id.desc())).all()
    return {product_id: PhotoNames(thumb, detail) for product_id, thumb, detail in rows}  # last wins: the first


def photos(product: Product) -> list[PhotoNames]:
    """A product's photos in order."""
    return [PhotoNames(*row) for row in db.session.execute(
        sa.select(ProductPhoto.thumb, ProductPhoto.detail).where(ProductPhoto.product_id == product.id)
        .order_by(ProductPhoto.position, ProductPhoto.id)).all()]


def listed_query() -> sa.Select:
    """THE rule of what the public sees, and so what can be bought: active products in
    approved stores of verified koperasi (pages, cart and checkout all ask this)."""
    return _filtered(Criteria())


@lru_cache(maxsize=1)
def _listed_by_id() -> sa.Select:
    """Built once: putting the statement together took a third of the product page's time."""
    return listed_query().where(Product.id == sa.bindparam("product_id"))


def listed_product(product_id: int) -> Product | None:
    """A product as the public sees it: active, in an approved store of a verified koperasi."""
    return db.session.scalars(_listed_by_id(), {"product_id": product_id}).unique().first()


def store_by_slug(slug: str) -> Store | None:
    return db.session.scalar(sa.select(Store).where(Store.slug == slug))
