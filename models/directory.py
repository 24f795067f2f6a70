"""The directory: verified koperasi by name, type, service and region, or nearest first.

Only verified koperasi are listed. Every query must stay fast with any number of
koperasi (Indonesia has ~130,000), on SQLite and on PostgreSQL alike:

- By name: the (status, search_name, id) index is walked in order and stops after a
  page. A name search of 3 characters or more matches anywhere in the name (on
  PostgreSQL through the pg_trgm GIN index of migration 0028, which LIKE '%q%' uses);
  a shorter one matches the start of a word ("ma" finds "Koperasi Maju"), which the
  trigram index can answer too (word starts are padded trigrams). SQLite, the
  embedded default for one koperasi or a demo, keeps LIKE over the name index: a
  common word stops after a page; a rare one reads every name, ~1 ms per 2,000
  (60 ms at a national 130,000, which SQLite is not meant for).
- Nearest first never computes a distance for every row, and ranks by the exact
  (haversine) distance, computed here in Python, the one shown to the user. PostgreSQL
  walks the GiST index on point(lng, lat) in plane-degree order (``ORDER BY … <->
  point LIMIT n``, a KNN scan, fast from a city and from a remote island alike);
  SQLite asks the (status, lat, lng) index for a bounding box around the position and
  orders the rows in it by the squared equirectangular distance (the cosine computed
  here, no SQL trigonometry), widening the box (×4, at most four steps, the last
  without a box). Either way the rows left out are provably farther than a bound
  (``lower_bound_km``), and more are fetched only while the page's last row is not
  nearer than that bound (``nearest_rows``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import raiseload

from models import regions
from models.base import db
from models.errors import DomainError
from models.koperasi import JENIS_LABELS, LAT_RANGE, LNG_RANGE, SERVICE_LABELS, Koperasi, KoperasiService, Status
from models.membership import Membership, MemberStatus

PER_PAGE = 20
SHORT_QUERY = 3  # below this many characters a name search matches word starts (no trigram in it)
MAX_PAGE = 100  # deeper than anyone scrolls; keeps OFFSET small
KM_PER_DEGREE = 111.32
EARTH_RADIUS_KM = 6371.0088
BOX_STEPS_KM = (25, 100, 400, None)  # ×4 each step; the last step has no box


@dataclass(frozen=True)
class Criteria:
    """What the user asked for; unknown codes are already dropped."""

    q: str = ""
    jenis: str = ""
    service: str = ""
    province: str = ""
    regency: str = ""
    position: tuple[float, float] | None = None
    page: int = 1


@dataclass
class Hit:
    koperasi: Koperasi
    distance_km: float | None = None


@dataclass
class Page:
    hits: list[Hit]
    has_more: bool
    page: int


def criteria(q: str | None = "", jenis: str | None = "", service: str | None = "", province: str | None = "",
             regency: str | None = "", page: int | str | None = 1,
             position: tuple[float, float] | None = None) -> Criteria:
    """Clean search input: codes that do not exist (or a regency outside the province) are ignored."""
    jenis = jenis if jenis in JENIS_LABELS else ""
    service = service if service in SERVICE_LABELS else ""
    province = province if province in dict(regions.provinces()) else ""
    regency = regency if province and regency in dict(regions.children(province)) else ""
    try:
        page = min(max(int(str(page or 1)) if str(page or 1).isascii() else 1, 1), MAX_PAGE)
    except (TypeError, ValueError):
        page = 1
    return Criteria(q=" ".join((q or "").split()).lower()[:100], jenis=jenis, service=service,
                    province=province, regency=regency, position=position, page=page)


def parse_position(lat: str | None, lng: str | None) -> tuple[float, float] | None:
    """A position in Indonesia, or None when none was given; DomainError when it is unusable."""
    if not (lat or "").strip() and not (lng or "").strip():
        return None
    try:
        y, x = float(lat), float(lng)
    except (TypeError, ValueError):
        raise DomainError(_l("That location could not be read, so results are not sorted by distance.")) from None
    if not (math.isfinite(y) and math.isfinite(x)):
        raise DomainError(_l("That location could not be read, so results are not sorted by distance.")) from None
    if not (LAT_RANGE[0] <= y <= LAT_RANGE[1] and LNG_RANGE[0] <= x <= LNG_RANGE[1]):
        raise DomainError(_l("That location is outside Indonesia, so results are not sorted by distance."))
    return y, x


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def name_matches(q: str) -> sa.ColumnElement[bool]:
    """Names holding ``q`` (already lower case), or for a 1–2 character ``q`` names with a
    word starting with it; ``%``, ``_`` and ``\\`` are plain text."""
    if len(q) >= SHORT_QUERY:
        return Koperasi.search_name.contains(q, autoescape=True)
    return sa.or_(Koperasi.search_name.startswith(q, autoescape=True),
                  Koperasi.search_name.contains(" " + q, autoescape=True))


# ---------------------------------------------------------------- nearest first

# The bound behind ``nearest_rows``. Both points lie in Indonesia (LAT_RANGE, LNG_RANGE), so
# cos(lat) ≥ C and each half-difference of latitude or longitude is at most T; as
# sin x ≥ x·sin T/T on [0, T], the haversine distance is at least R·C·(sin T/T)·D, D being
# the plane distance in degrees (as radians) that the index orders by.
_C = math.cos(math.radians(max(abs(LAT_RANGE[0]), abs(LAT_RANGE[1]))))
_T = math.radians(max(LAT_RANGE[1] - LAT_RANGE[0], LNG_RANGE[1] - LNG_RANGE[0]) / 2)
_KM_PER_PLANE_DEGREE = EARTH_RADIUS_KM * _C * math.sin(_T) / _T * math.pi / 180


def lower_bound_km(plane_degrees: float) -> float:
    """The least haversine distance of a point ``plane_degrees`` or more away in (lng, lat) degrees."""
    return plane_degrees * _KM_PER_PLANE_DEGREE


def nearest_rows(query: sa.Select, lat: sa.ColumnElement, lng: sa.ColumnElement, position: tuple[float, float],
                 skip: int, need: int) -> list[tuple[float, sa.Row]]:
    """Rows ``skip`` to ``skip + need`` of ``query`` by exact (haversine) distance from
    ``position``, as (km, row), ties by id.

    The database returns rows in an order its index gives cheaply, each with a distance
    ``far`` in degrees that is never more than the plane distance: on PostgreSQL the
    plane distance itself (KNN on point(lng, lat)); on SQLite the equirectangular one,
    inside a bounding box (everything outside a box of half-height d lies at least d
    away). Every row not fetched is then at least ``far`` of the last one (or the box's
    d) away, so at least ``lower_bound_km`` of it in km: when the last row needed is
    nearer than that, the page is exact; otherwise more rows, or a wider box, are fetched.
    """
    want = skip + need
    limit = 2 * want + 8
    if db.session.get_bind().dialect.name == "postgresql":
        far = sa.func.point(lng, lat).op("<->")(sa.func.point(position[1], position[0]))
        steps: tuple[float | None, ...] = (None,)
    else:
        cos_lat = math.cos(math.radians(position[0]))
        far = (lat - position[0]) * (lat - position[0]) + (lng - position[1]) * cos_lat * ((lng - position[1]) * cos_lat)
        steps = BOX_STEPS_KM
    ordered = query.add_columns(lat.label("_lat"), lng.label("_lng"), far.label("_far")).order_by(far)
    for radius_km in steps:
        boxed, beyond = ordered, math.inf
        if radius_km is not None:
            d_lat = radius_km / KM_PER_DEGREE
            d_lng = d_lat / max(math.cos(math.radians(position[0])), 0.01)
            boxed = ordered.where(lat.between(position[0] - d_lat, position[0] + d_lat),
                                  lng.between(position[1] - d_lng, position[1] + d_lng))
            beyond = d_lat
        while True:
            rows = db.session.execute(boxed.limit(limit)).all()
            ranked = sorted(((haversine_km(position, (row._lat, row._lng)), row) for row in rows),
                            key=lambda pair: (pair[0], pair[1][0].id))
            full = len(rows) == limit
            if full:
                last = rows[-1]._far if steps[0] is None else math.sqrt(rows[-1]._far)
                bound = min(beyond, last)
            else:
                bound = beyond
            if bound == math.inf or (len(ranked) >= want and ranked[want - 1][0] < lower_bound_km(bound)):
                return ranked[skip:want]
            if not full:
                break  # the box holds too few rows, or not provably the nearest: widen it
            limit *= 4
    return ranked[skip:want]  # not reached: the last step has no box


def _filtered(c: Criteria) -> sa.Select:
    query = sa.select(Koperasi).where(Koperasi.status == Status.VERIFIED).options(raiseload(Koperasi.services))
    if c.q:
        query = query.where(name_matches(c.q))
    if c.jenis:
        query = query.where(Koperasi.jenis == c.jenis)
    if c.service:
        query = query.where(Koperasi.id.in_(
            sa.select(KoperasiService.koperasi_id).where(KoperasiService.service == c.service)))
    if c.regency:
        query = query.where(Koperasi.regency_code == c.regency)
    elif c.province:
        query = query.where(Koperasi.province_code == c.province)
    return query


def search(c: Criteria, per_page: int = PER_PAGE) -> Page:
    """One page of results: nearest first when there is a position, else by name."""
    if c.position:
        return nearest(c, per_page)
    offset = (c.page - 1) * per_page
    rows = list(db.session.scalars(
        _filtered(c).order_by(Koperasi.search_name, Koperasi.id).offset(offset).limit(per_page + 1)))
    return Page([Hit(k) for k in rows[:per_page]], len(rows) > per_page, c.page)


def nearest(c: Criteria, per_page: int = PER_PAGE) -> Page:
    """Nearest first, by exact distance (see the module docstring and ``nearest_rows``)."""
    ranked = nearest_rows(_filtered(c), Koperasi.lat, Koperasi.lng, c.position, (c.page - 1) * per_page,
                          per_page + 1)
    return Page([Hit(row[0], km) for km, row in ranked[:per_page]], len(ranked) > per_page, c.page)


def active_member_count(koperasi: Koperasi) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(
        Membership.koperasi_id == koperasi.id, Membership.status == MemberStatus.ACTIVE))
