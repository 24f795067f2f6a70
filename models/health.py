"""The health score (penilaian kesehatan) of a savings-and-loans koperasi, as the ministry rates
KSP, KSPPS and simpan-pinjam units: Peraturan Deputi Bidang Pengawasan Kementerian Koperasi dan UKM
No. 06/Per/Dep.6/IV/2016 (Pedoman Penilaian Kesehatan KSP dan USP Koperasi).

Rules kept here:
- Seven aspects, weights out of 100: permodalan 15, kualitas aktiva produktif 25, manajemen 15,
  efisiensi 10, likuiditas 15, kemandirian dan pertumbuhan 10, jatidiri koperasi 10.
- Each ratio is read FROM THE BOOKS of one book year: the balance sheet at the end of 31 December
  (``books.neraca``), the year's income statement (``books.hasil_usaha``, without the closing entry),
  the loans' collectability at the year's end (``collectability.classify_at_month_end``) and the
  year's disbursements. The current year is rated to date (loans classed today).
- A ratio's "nilai" (0–100) comes from the row of its table the ratio falls in (``models.health_tables``); its score is
  nilai × the ratio's weight / 100. Scores are kept in hundredths of a point (integers), and
  ratios as exact fractions, so a boundary (79,99 against 80) is never a rounding accident.
- Management (manajemen) is the pengurus' questionnaire, one per koperasi and book year
  (``models.health_questionnaire``): five components of 3 points each, every "yes" earning the component's
  share (12 questions × 0,25; 6 × 0,5; 5 × 0,6; 10 × 0,3; 5 × 0,6).
- The category by the total: sehat 80–100, cukup sehat 66 to under 80, dalam pengawasan 51 to
  under 66, dalam pengawasan khusus under 51.
- The rating applies to KSP and KSPPS and to a koperasi running a simpan-pinjam unit (its
  services include loans); another koperasi gets no rating.
- Publishing freezes one closed year's rating on the koperasi (year, score, category) and turns
  ``Koperasi.health_published`` on; members then see the category, never the details
  (``published_category``). The questionnaire must be filled for that year first.

Source of the tables. The regulation's lampiran was not reachable in full here; the tables are
the ones commonly published from it (e.g. the 2016–2018 studies of KSP Mitra Sukses Lestari
Malang, Universitas Brawijaya, and of Koperasi Gurindam, UMRAH 2020, both applying Perdep
06/2016; the cash-ratio and provision tables carried over from Permen KUKM 14/Per/M.KUKM/XII/2009).
Where Kopz's books cannot give an input the regulation names, the reading taken is stated on
the ratio itself (``Ratio.note``):
- "pinjaman berisiko" are loans without adequate collateral: Kopz records no collateral, so every
  loan outstanding counts as at risk (the prudent reading);
- Kopz lends to members only, so loans to members are all loans disbursed;
- "risiko pinjaman bermasalah" = 50 % of kurang lancar + 75 % of diragukan + 100 % of macet;
- "cadangan risiko" is the loan-loss allowance (PPAP, 1309) on the books;
- "kewajiban lancar" are all liabilities but external borrowings (2501, taken as long-term);
- "dana yang diterima" = simpanan pokok, wajib, sukarela, hibah, cadangan and external borrowings;
- "partisipasi bruto" is what members pay for the loans (jasa, provisi, denda); store sales and
  other income count as business with non-members; "beban pokok" is interest on savings and the
  cost of goods sold; "beban usaha" every other expense;
- "SHU bagian anggota" is the SHU times the year's jasa modal + jasa usaha share (the RAT's split
  when set, else the usual 40 %); "promosi ekonomi anggota" is that plus the interest paid on
  savings (Kopz does not know the market's loan rate, so the members' saving on loans is left out);
- capital adequacy: modal tertimbang = pokok, wajib, cadangan, hibah at 100 % and SHU at 50 %;
  ATMR = cash 0 %, bank 20 %, loans and receivables 100 %, inventory and fixed assets (net) 70 %.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import collectability, health_cache, periods
from models.accounts import User
from models.base import db
from models.books import neraca_and_hasil_usaha, utc_bounds
from models.errors import DomainError
from models.health_questionnaire import (  # noqa: F401  (the health area's one door: views and tests use these)
    COMPONENT_LABELS,
    QUESTION_CODES,
    QUESTIONS,
    HealthQuestionnaire,
    check_year,
    questionnaire_of,
    save_questionnaire,
)
from models.health_tables import TABLES, Band, band_of  # noqa: F401
from models.koperasi import Jenis, Koperasi, record
from models.ledger import Account, Entry, Line, Purpose, round_idr
from models.shu import plan_of
from models.zones import zone_of

SEHAT, CUKUP, PENGAWASAN, KHUSUS = "sehat", "cukup_sehat", "dalam_pengawasan", "pengawasan_khusus"
CATEGORY_LABELS = {
    SEHAT: _l("Sehat (healthy)"),
    CUKUP: _l("Cukup sehat (fairly healthy)"),
    PENGAWASAN: _l("Dalam pengawasan (under supervision)"),
    KHUSUS: _l("Dalam pengawasan khusus (under special supervision)"),
}
# (lowest total in hundredths of a point, category), best first
CATEGORIES = ((8000, SEHAT), (6600, CUKUP), (5100, PENGAWASAN), (0, KHUSUS))
CATEGORY_RULES = {SEHAT: "80 ≤ x ≤ 100", CUKUP: "66 ≤ x < 80", PENGAWASAN: "51 ≤ x < 66", KHUSUS: "x < 51"}
SAVINGS_AND_LOANS = frozenset({Jenis.SIMPAN_PINJAM, Jenis.SYARIAH})
USUAL_MEMBERS_SHARE_BP = 4000  # jasa modal + jasa usaha of the usual split (models.shu.DEFAULT_SPLIT)

ASPECT_LABELS = {
    "permodalan": _l("Permodalan (capital)"),
    "kap": _l("Kualitas aktiva produktif (earning assets)"),
    "manajemen": _l("Manajemen (management)"),
    "efisiensi": _l("Efisiensi (efficiency)"),
    "likuiditas": _l("Likuiditas (liquidity)"),
    "kemandirian": _l("Kemandirian dan pertumbuhan (independence and growth)"),
    "jatidiri": _l("Jatidiri koperasi (cooperative identity)"),
}
ASPECT_WEIGHTS = {"permodalan": 15, "kap": 25, "manajemen": 15, "efisiensi": 10, "likuiditas": 15,
                  "kemandirian": 10, "jatidiri": 10}


def category_of(total_centi: int) -> str:
    """The category of a total score given in hundredths of a point (8000 = 80,00: sehat)."""
    for lowest, name in CATEGORIES:
        if total_centi >= lowest:
            return name
    return KHUSUS


# ---------------------------------------------------------------- the rating

@dataclass
class Ratio:
    """One ratio: its named inputs (Rupiah), the ratio, the table row that scored it, the score."""

    key: str
    label: object
    numerator: tuple[object, int]  # (label, Rupiah)
    denominator: tuple[object, int]
    inputs: list[tuple[object, int]]  # every amount that went into the two, named
    weight: int  # points out of 100
    value: Fraction | None  # in percent; None: the denominator is zero
    band: Band
    note: object = ""

    @property
    def nilai(self) -> int:
        return self.band.nilai

    @property
    def score_centi(self) -> int:
        """nilai × weight / 100, in hundredths of a point."""
        return self.nilai * self.weight

    @property
    def percent(self) -> float | None:
        return None if self.value is None else float(self.value)


@dataclass
class Component:
    """A management component: its questions answered yes, and its score."""

    key: str
    label: object
    points_centi: int  # per yes
    questions: tuple
    yes: list[str]

    @property
    def weight(self) -> int:
        return 3

    @property
    def score_centi(self) -> int:
        return self.points_centi * len(self.yes)


@dataclass
class Aspect:
    key: str
    ratios: list[Ratio] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)

    @property
    def label(self):
        return ASPECT_LABELS[self.key]

    @property
    def weight(self) -> int:
        return ASPECT_WEIGHTS[self.key]

    @property
    def score_centi(self) -> int:
        return sum(r.score_centi for r in self.ratios) + sum(c.score_centi for c in self.components)


class Categorised:
    """A total score (``total_centi``) and the category it falls in."""

    total_centi: int

    @property
    def category(self) -> str:
        return category_of(self.total_centi)

    @property
    def category_label(self):
        return CATEGORY_LABELS[self.category]


@dataclass
class Rating(Categorised):
    year: int
    at: date  # the balance-sheet day
    to_date: bool  # the current year, rated to date
    aspects: list[Aspect]
    questionnaire: HealthQuestionnaire | None
    members_share_bp: int = USUAL_MEMBERS_SHARE_BP  # of the year's SHU split (a kept rating notes it)

    @property
    def total_centi(self) -> int:
        return sum(a.score_centi for a in self.aspects)

    @property
    def total(self) -> float:
        return self.total_centi / 100

    def ratio(self, key: str) -> Ratio:
        return next(r for a in self.aspects for r in a.ratios if r.key == key)


def applies(koperasi: Koperasi) -> bool:
    """The rating is for KSP and KSPPS, and for a koperasi with a simpan-pinjam unit (it lends)."""
    return koperasi.jenis in SAVINGS_AND_LOANS or "loans" in koperasi.service_codes


def _ratio(key, label, weight, numerator, denominator, inputs, note="", empty: Fraction | None = None) -> Ratio:
    """``empty``: the ratio taken when the denominator is zero (None: the table's worst row for 0)."""
    if denominator[1]:
        value = Fraction(numerator[1] * 100, denominator[1])
        band = band_of(key, value)
    else:
        value = None
        band = band_of(key, empty if empty is not None else Fraction(0))
    return Ratio(key, label, numerator, denominator, inputs, weight, value, band, note)


def disbursed(koperasi: Koperasi, start: date, end: date) -> int:
    """Loans paid out over the koperasi's days ``start``..``end``: the disbursements' debits to loans."""
    since, until = utc_bounds(koperasi, start, end)
    return int(db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Line.amount), 0)).join(Entry, Entry.id == Line.entry_id)
        .join(Account, Account.id == Line.account_id)
        .where(Entry.koperasi_id == koperasi.id, Entry.kind == "disbursement", Account.purpose == Purpose.LOANS,
               Line.amount > 0, Entry.posted_at >= since, Entry.posted_at < until)))


def _classes(koperasi: Koperasi, year: int, to_date: bool) -> collectability.Summary:
    if not to_date:
        return collectability.classify_at_month_end(koperasi, date(year, 12, 1))
    return collectability.summarize(koperasi, collectability.classify(koperasi.id, zone_of(koperasi).today()))


def _members_share_bp(koperasi: Koperasi, year: int) -> int:
    plan = plan_of(koperasi, year)
    return plan.jm_bp + plan.ju_bp if plan is not None else USUAL_MEMBERS_SHARE_BP


def rate(koperasi: Koperasi, year: int) -> Rating:
    """The rating of a book year (closed, or the current one to date) from the books and the questionnaire."""
    today = zone_of(koperasi).today()
    to_date = year >= today.year
    at = today if to_date else date(year, 12, 31)
    sheet, statement = neraca_and_hasil_usaha(koperasi, date(year, 1, 1), at)
    bal = {}
    for group in (sheet.assets, sheet.liabilities, sheet.equity):
        for row in group.rows:
            bal[row.purpose] = bal.get(row.purpose, 0) + row.own_balance
    inc = {}
    for group in (statement.income, statement.expenses):
        for row in group.rows:
            inc[row.purpose] = inc.get(row.purpose, 0) + row.amount
    b = lambda p: bal.get(p, 0)  # noqa: E731
    i = lambda p: inc.get(p, 0)  # noqa: E731
    L = ASSET_LABELS

    total_assets = sheet.assets.total
    own_capital = sheet.equity.total
    loans = b(Purpose.LOANS)
    classes = _classes(koperasi, year, to_date)
    out = classes.outstanding
    lent = disbursed(koperasi, date(year, 1, 1), at)

    # permodalan
    capital = Aspect("permodalan")
    capital.ratios.append(_ratio("modal_aset", _l("Own capital to total assets"), 6,
                                 (L["own_capital"], own_capital), (L["total_assets"], total_assets),
                                 [(L["own_capital"], own_capital), (L["total_assets"], total_assets)]))
    capital.ratios.append(_ratio("modal_berisiko", _l("Own capital to loans at risk"), 6,
                                 (L["own_capital"], own_capital), (L["loans_at_risk"], loans),
                                 [(L["own_capital"], own_capital), (L["loans_at_risk"], loans)],
                                 note=_l("Kopz records no collateral: every loan outstanding counts as at risk."),
                                 empty=Fraction(100)))
    weighted = (b(Purpose.POKOK) + b(Purpose.WAJIB) + b(Purpose.RESERVE) + b(Purpose.GRANTS)
                + (b(Purpose.SHU_CURRENT) + b(Purpose.SHU_RETAINED)) // 2)
    atmr_parts = [(L["bank20"], b(Purpose.BANK) * 20 // 100),
                  (L["loans100"], loans + b(Purpose.RECEIVABLE) - b(Purpose.ALLOWANCE)),
                  (L["other70"], (b(Purpose.INVENTORY) + b(Purpose.FIXED_ASSETS) - b(Purpose.DEPRECIATION_ACC)) * 70 // 100)]
    atmr = sum(amount for _label, amount in atmr_parts)
    capital.ratios.append(_ratio("kecukupan_modal", _l("Capital adequacy (modal tertimbang to ATMR)"), 3,
                                 (L["weighted_capital"], weighted), (L["atmr"], atmr),
                                 [(L["pokok_wajib"], b(Purpose.POKOK) + b(Purpose.WAJIB)),
                                  (L["reserve_grants"], b(Purpose.RESERVE) + b(Purpose.GRANTS)),
                                  (L["shu50"], (b(Purpose.SHU_CURRENT) + b(Purpose.SHU_RETAINED)) // 2),
                                  *atmr_parts],
                                 note=_l("Weights: pokok, wajib, reserve and grants 100 %, SHU 50 %; cash 0 %, bank 20 %, "
                                         "loans 100 %, other assets 70 %."), empty=Fraction(100)))

    # kualitas aktiva produktif
    kap = Aspect("kap")
    kap.ratios.append(_ratio("pinjaman_anggota", _l("Loans to members to all loans disbursed"), 10,
                             (L["lent_members"], lent), (L["lent"], lent), [(L["lent"], lent)],
                             note=_l("Kopz lends to members only.")))
    risk = round_idr(Fraction(out["kurang_lancar"], 2) + Fraction(out["diragukan"] * 3, 4)
                                    + out["macet"])
    kap.ratios.append(_ratio("npl", _l("Non-performing loan risk to loans outstanding"), 5,
                             (L["npl_risk"], risk), (L["outstanding"], classes.total),
                             [(L["kurang_lancar"], out["kurang_lancar"]), (L["diragukan"], out["diragukan"]),
                              (L["macet"], out["macet"]), (L["outstanding"], classes.total)],
                             note=_l("Risk = half of kurang lancar + three quarters of diragukan + all of macet.")))
    allowance = b(Purpose.ALLOWANCE)
    kap.ratios.append(_ratio("cadangan", _l("Loan-loss allowance (PPAP) to non-performing loan risk"), 5,
                             (L["allowance"], allowance), (L["npl_risk"], risk),
                             [(L["allowance"], allowance), (L["npl_risk"], risk)],
                             note=_l("No loan is non-performing: the risk is fully covered."), empty=Fraction(100)))
    kap.ratios.append(_ratio("berisiko", _l("Loans at risk to loans outstanding"), 5,
                             (L["loans_at_risk"], loans), (L["loans"], loans), [(L["loans"], loans)],
                             note=_l("Kopz records no collateral: every loan outstanding counts as at risk.")))

    # efisiensi
    participation = i(Purpose.INTEREST) + i(Purpose.FEES) + i(Purpose.PENALTIES)
    base_cost = i(Purpose.SAVINGS_INTEREST) + i(Purpose.COGS)
    operating = statement.expenses.total - base_cost
    gross_shu = statement.income.total - base_cost
    member_cost = i(Purpose.SAVINGS_INTEREST) + operating
    efficiency = Aspect("efisiensi")
    efficiency.ratios.append(_ratio("beban_partisipasi", _l("Members' operating costs to gross participation"), 4,
                                    (L["member_cost"], member_cost), (L["participation"], participation),
                                    [(L["savings_interest"], i(Purpose.SAVINGS_INTEREST)), (L["operating"], operating),
                                     (L["participation"], participation)], empty=Fraction(100)))
    efficiency.ratios.append(_ratio("beban_shu_kotor", _l("Operating costs to gross SHU"), 4,
                                    (L["operating"], operating), (L["gross_shu"], gross_shu),
                                    [(L["operating"], operating), (L["income"], statement.income.total),
                                     (L["base_cost"], base_cost)], empty=Fraction(100)))
    efficiency.ratios.append(_ratio("efisiensi_pelayanan", _l("Staff costs to loans disbursed"), 2,
                                    (L["salaries"], i(Purpose.SALARIES)), (L["lent"], lent),
                                    [(L["salaries"], i(Purpose.SALARIES)), (L["lent"], lent)], empty=Fraction(100)))

    # likuiditas
    cash = b(Purpose.CASH) + b(Purpose.BANK)
    current = sheet.liabilities.total - b(Purpose.BORROWINGS)
    funds = (b(Purpose.POKOK) + b(Purpose.WAJIB) + b(Purpose.SUKARELA) + b(Purpose.GRANTS) + b(Purpose.RESERVE)
             + b(Purpose.BORROWINGS))
    liquidity = Aspect("likuiditas")
    liquidity.ratios.append(_ratio("kas", _l("Cash and bank to current liabilities"), 10,
                                   (L["cash_bank"], cash), (L["current"], current),
                                   [(L["cash"], b(Purpose.CASH)), (L["bank"], b(Purpose.BANK)), (L["current"], current)],
                                   note=_l("Current liabilities: every liability but external borrowings."),
                                   empty=Fraction(100)))
    liquidity.ratios.append(_ratio("pinjaman_dana", _l("Loans outstanding to funds received"), 5,
                                   (L["loans"], loans), (L["funds"], funds),
                                   [(L["loans"], loans), (L["pokok_wajib"], b(Purpose.POKOK) + b(Purpose.WAJIB)),
                                    (L["sukarela"], b(Purpose.SUKARELA)),
                                    (L["reserve_grants"], b(Purpose.RESERVE) + b(Purpose.GRANTS)),
                                    (L["borrowings"], b(Purpose.BORROWINGS))]))

    # kemandirian dan pertumbuhan
    surplus = statement.surplus
    members_share_bp = _members_share_bp(koperasi, year)
    members_shu = max(surplus, 0) * members_share_bp // 10000
    growth = Aspect("kemandirian")
    growth.ratios.append(_ratio("rentabilitas_aset", _l("Return on assets (SHU before tax to total assets)"), 3,
                                (L["shu"], surplus), (L["total_assets"], total_assets),
                                [(L["shu"], surplus), (L["total_assets"], total_assets)]))
    growth.ratios.append(_ratio("rentabilitas_modal", _l("Return on equity (members' SHU to own capital)"), 3,
                                (L["members_shu"], members_shu), (L["own_capital"], own_capital),
                                [(L["shu"], max(surplus, 0)), (L["members_shu"], members_shu),
                                 (L["own_capital"], own_capital)],
                                note=_l("Members' SHU: the jasa modal and jasa usaha share of the year's split "
                                        "(40 % when none is set).")))
    net_participation = participation - i(Purpose.SAVINGS_INTEREST)
    growth.ratios.append(_ratio("kemandirian", _l("Operating independence (net participation to operating costs)"), 4,
                                (L["net_participation"], net_participation), (L["operating"], operating),
                                [(L["participation"], participation), (L["savings_interest"], i(Purpose.SAVINGS_INTEREST)),
                                 (L["operating"], operating)], empty=Fraction(1000)))

    # jatidiri koperasi
    other_income = statement.income.total - participation
    identity = Aspect("jatidiri")
    identity.ratios.append(_ratio("partisipasi_bruto", _l("Gross participation to all income"), 7,
                                  (L["participation"], participation), (L["income"], participation + other_income),
                                  [(L["participation"], participation), (L["other_income"], other_income)]))
    promotion = members_shu + i(Purpose.SAVINGS_INTEREST)
    identity.ratios.append(_ratio("promosi", _l("Members' economic promotion to simpanan pokok and wajib"), 3,
                                  (L["promotion"], promotion), (L["pokok_wajib"], b(Purpose.POKOK) + b(Purpose.WAJIB)),
                                  [(L["members_shu"], members_shu), (L["savings_interest"], i(Purpose.SAVINGS_INTEREST)),
                                   (L["pokok_wajib"], b(Purpose.POKOK) + b(Purpose.WAJIB))],
                                  note=_l("Promotion: the members' SHU and the interest paid on their savings.")))

    answers = questionnaire_of(koperasi, year)
    yes = set(answers.answers) if answers is not None else set()
    management = Aspect("manajemen", components=[
        Component(key, COMPONENT_LABELS[key], points, questions, [c for c, _t in questions if c in yes])
        for key, (points, questions) in QUESTIONS.items()])
    aspects = [capital, kap, management, efficiency, liquidity, growth, identity]
    return Rating(year, at, to_date, aspects, answers, members_share_bp)


ASSET_LABELS = {
    "own_capital": _l("Own capital (equity)"), "total_assets": _l("Total assets"),
    "loans_at_risk": _l("Loans at risk"), "loans": _l("Loans outstanding"),
    "weighted_capital": _l("Weighted capital"), "atmr": _l("Risk-weighted assets (ATMR)"),
    "pokok_wajib": _l("Simpanan pokok and wajib"), "reserve_grants": _l("Reserve and grants"),
    "shu50": _l("SHU at 50 %"), "bank20": _l("Bank at 20 %"), "loans100": _l("Loans and receivables, net, at 100 %"),
    "other70": _l("Inventory and fixed assets (net) at 70 %"),
    "lent_members": _l("Loans disbursed to members"), "lent": _l("Loans disbursed in the year"),
    "npl_risk": _l("Non-performing loan risk"), "outstanding": _l("Principal outstanding"),
    "kurang_lancar": _l("Kurang lancar"), "diragukan": _l("Diragukan"), "macet": _l("Macet"),
    "allowance": _l("Loan-loss allowance (PPAP)"),
    "member_cost": _l("Members' operating costs"), "participation": _l("Gross participation (jasa, provisi, denda)"),
    "savings_interest": _l("Interest on savings"), "operating": _l("Operating costs (beban usaha)"),
    "gross_shu": _l("Gross SHU"), "income": _l("All income"), "base_cost": _l("Interest on savings and cost of goods sold"),
    "salaries": _l("Salaries"), "cash_bank": _l("Cash and bank"), "cash": _l("Cash on hand"), "bank": _l("Bank"),
    "current": _l("Current liabilities"), "funds": _l("Funds received"), "sukarela": _l("Simpanan sukarela"),
    "borrowings": _l("External borrowings"), "shu": _l("SHU before tax"), "members_shu": _l("Members' SHU"),
    "net_participation": _l("Net participation"), "other_income": _l("Income from non-member business"),
    "promotion": _l("Members' economic promotion"),
}


# ---------------------------------------------------------------- years, trend, publishing

def standing_closes(koperasi: Koperasi) -> dict[int, int]:
    """{book year: the id of its close} for the years whose close stands."""
    last = {}
    for event in periods.events(koperasi):
        if event.scope == periods.YEAR:
            last[event.start.year] = event
    return {year: event.id for year, event in last.items() if event.closed}


def closed_years(koperasi: Koperasi) -> list[int]:
    """The book years whose close stands, newest first."""
    return sorted(standing_closes(koperasi), reverse=True)


def years_of(koperasi: Koperasi, closed: list[int] | None = None) -> list[int]:
    """The years a rating can be shown for: the current one (to date) and every closed one, newest first."""
    current = zone_of(koperasi).today().year
    return [current, *[y for y in (closed_years(koperasi) if closed is None else closed) if y != current]]


@dataclass
class TrendPoint(Categorised):
    """One closed year in the trend: its total and category."""

    year: int
    total_centi: int


def trend(koperasi: Koperasi, computed: Rating | None = None, closes: dict[int, int] | None = None) -> list[TrendPoint]:
    """Every closed book year's total, oldest first, in two queries however many years are closed:
    each closed year's rating is kept once computed (``models.health_cache``); a year rated for the
    first time, or whose questionnaire or SHU split changed since, is rated again. ``computed``: a
    rating the caller has already; ``closes``: ``standing_closes`` when the caller has it."""
    closes = standing_closes(koperasi) if closes is None else closes
    kept = health_cache.kept(koperasi.id, USUAL_MEMBERS_SHARE_BP)
    points = []
    for year in sorted(closes):
        row, now = kept.get(year, (None, None))
        if row is not None and row.closed_event_id == closes[year] and row.inputs == now:
            points.append(TrendPoint(year, row.total_centi))
            continue
        rating = computed if computed is not None and computed.year == year else rate(koperasi, year)
        answered = rating.questionnaire.answered_at if rating.questionnaire is not None else None
        health_cache.keep(koperasi.id, year, closes[year], health_cache.inputs(answered, rating.members_share_bp),
                          rating.total_centi, row)
        points.append(TrendPoint(year, rating.total_centi))
    return points


def publish(koperasi: Koperasi, year: int, by: User | None) -> Rating:
    """Show members the category of a closed year's rating: the rating is frozen on the koperasi."""
    if not applies(koperasi):
        raise DomainError(_l("The health rating applies to savings-and-loans koperasi (KSP, KSPPS) and "
                             "simpan-pinjam units."))
    if year not in closed_years(koperasi):
        raise DomainError(_l("Publish the rating of a closed book year (close the year in the books first)."),
                          field="year")
    if questionnaire_of(koperasi, year) is None:
        raise DomainError(_l("Fill in the management questionnaire for %(year)s first.", year=year), field="year")
    rating = rate(koperasi, year)
    koperasi.health_published, koperasi.health_year = True, year
    koperasi.health_score_centi, koperasi.health_category = rating.total_centi, rating.category
    record(koperasi, by, "health_published", {"year": year, "score": rating.total, "category": rating.category})
    return rating


def unpublish(koperasi: Koperasi, by: User | None) -> None:
    """Members no longer see the category."""
    if not koperasi.health_published:
        raise DomainError(_l("The health category is not published."))
    koperasi.health_published = False
    record(koperasi, by, "health_unpublished", {"year": koperasi.health_year})


def published_category(koperasi: Koperasi) -> tuple[int, object] | None:
    """What members and the public may see: (book year, category label), or None when not published.
    No query: the published rating sits on the koperasi's row."""
    if not koperasi.health_published or koperasi.health_category not in CATEGORY_LABELS or koperasi.health_year is None:
        return None
    return koperasi.health_year, CATEGORY_LABELS[koperasi.health_category]
