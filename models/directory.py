"""The directory: verified koperasi by name, type, service and region, or nearest first.

Only verified koperasi are listed. Every query must stay fast with any number of
koperasi (Indonesia has ~130,000), on SQLite and on PostgreSQL alike:

- By name: the (status, search_name, id) index is walked in order and stops after a
  page. A name search of 3 characters or more matches anywhere in the name (on
  PostgreSQL through the pg_trgm GIN index of migration 0028, which LIKE '%q%' uses);
  a shorter one matches the start of a word ("ma" finds "Koperasi Maju"), which the
  trigram index can answer too (word starts are padded trigrams). SQLite, the
  embedded default for one koperasi or a demo, keeps LIKE over the name index: a few
  ms even at 130,000 rows (see README, "Search at national size").
- Nearest first never computes a distance for every row. PostgreSQL walks the GiST
  index on point(lng, lat) in plane-degree order (``ORDER BY … <-> point LIMIT n``,
  a KNN scan) and ranks the fetched rows by the exact haversine distance here: the
  plane-degree distance D of the last fetched row bounds the true distance of every
  row not fetched from below (``lower_bound_km``), so when the page's last row is
  nearer than that bound the page is exact; otherwise it fetches more. SQLite asks
  the (status, lat, lng) index for a bounding box around the position, orders the
  rows in it by the squared equirectangular distance ``dlat² + (dlng·cos lat)²`` (the
  cosine computed here, no SQL trigonometry), and widens the box (×4, at most four
  steps, the last without a box) only while it cannot prove it holds the nearest rows.
  The haversine distance shown to the user is computed here, in Python.
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


# ---------------------------------------------------------------- nearest first on PostgreSQL

# The bound behind the KNN search. Both points lie in Indonesia (LAT_RANGE, LNG_RANGE), so
# cos(lat) ≥ C and each half-difference of latitude or longitude is at most T; as
# sin x ≥ x·sin T/T on [0, T], the haversine distance is at least R·C·(sin T/T)·D, D being
# the plane distance in degrees (as radians) that the index orders by.
_C = math.cos(math.radians(max(abs(LAT_RANGE[0]), abs(LAT_RANGE[1]))))
_T = math.radians(max(LAT_RANGE[1] - LAT_RANGE[0], LNG_RANGE[1] - LNG_RANGE[0]) / 2)
_KM_PER_PLANE_DEGREE = EARTH_RADIUS_KM * _C * math.sin(_T) / _T * math.pi / 180


def lower_bound_km(plane_degrees: float) -> float:
    """The least haversine distance of a point ``plane_degrees`` or more away in (lng, lat) degrees."""
    return plane_degrees * _KM_PER_PLANE_DEGREE


def knn(query: sa.Select, lat: sa.ColumnElement, lng: sa.ColumnElement, position: tuple[float, float],
        skip: int, need: int) -> list[tuple[float, sa.Row]]:
    """Rows ``skip`` to ``skip + need`` of ``query`` by exact distance from ``position``, as
    (km, row), through a KNN index on point(lng, lat) (PostgreSQL). Fetches the rows
    nearest in plane degrees, ranks them by haversine, and fetches more only while the
    last needed row is not provably nearer than every row left out."""
    want = skip + need
    plane = sa.func.point(lng, lat).op("<->")(sa.func.point(position[1], position[0]))
    query = query.add_columns(lat.label("_lat"), lng.label("_lng"), plane.label("_plane")).order_by(plane)
    limit = want + want // 4 + 8
    while True:
        rows = db.session.execute(query.limit(limit)).all()
        ranked = sorted(((haversine_km(position, (row._lat, row._lng)), row) for row in rows),
                        key=lambda pair: (pair[0], pair[1][0].id))
        if len(rows) < limit or ranked[want - 1][0] < lower_bound_km(rows[-1]._plane):
            return ranked[skip:want]
        limit *= 4


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


def nearest_step(c: Criteria, radius_km: float | None, per_page: int = PER_PAGE) -> sa.Select:
    """One step of the nearest query: the rows in a box of half-width ``radius_km``
    (None: no box), by squared equirectangular distance in degrees (``d2``)."""
    lat, lng = c.position
    cos_lat = math.cos(math.radians(lat))
    squared = (Koperasi.lat - lat) * (Koperasi.lat - lat) + \
        (Koperasi.lng - lng) * cos_lat * ((Koperasi.lng - lng) * cos_lat)
    query = _filtered(c).add_columns(squared.label("d2")).order_by(squared, Koperasi.id)
    if radius_km is not None:
        d_lat = radius_km / KM_PER_DEGREE
        d_lng = d_lat / max(cos_lat, 0.01)
        query = query.where(Koperasi.lat.between(lat - d_lat, lat + d_lat),
                            Koperasi.lng.between(lng - d_lng, lng + d_lng))
    return query.offset((c.page - 1) * per_page).limit(per_page + 1)


def nearest(c: Criteria, per_page: int = PER_PAGE) -> Page:
    """Nearest first: a KNN scan on PostgreSQL, else the bounding box on ix_koperasi_status_lat_lng
    (see the module docstring).

    A box of half-width r holds every koperasi within r, so the rows in it are the true
    nearest when the last one needed lies within r; otherwise the box widens.
    """
    lat, lng = c.position
    if db.session.get_bind().dialect.name == "postgresql":
        ranked = knn(_filtered(c), Koperasi.lat, Koperasi.lng, c.position, (c.page - 1) * per_page, per_page + 1)
        return Page([Hit(row[0], km) for km, row in ranked[:per_page]], len(ranked) > per_page, c.page)
    need = per_page + 1
    for radius_km in BOX_STEPS_KM:
        rows = db.session.execute(nearest_step(c, radius_km, per_page)).all()
        if radius_km is None or (len(rows) == need and math.sqrt(rows[-1].d2) * KM_PER_DEGREE <= radius_km):
            break
    hits = [Hit(k, haversine_km((lat, lng), (k.lat, k.lng))) for k, _d2 in rows[:per_page]]
    return Page(hits, len(rows) > per_page, c.page)


def active_member_count(koperasi: Koperasi) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(
        Membership.koperasi_id == koperasi.id, Membership.status == MemberStatus.ACTIVE))
