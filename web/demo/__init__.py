"""Demo data a koperasi would believe: ``flask --app wsgi demo-data`` calls :func:`load`.

- people.py: the demo logins (README "Demo logins") and members with everyday names;
- gateway.py: 49 koperasi in seven cities (founded 1985–2022, each with a logo), the first
  Bandung koperasi's staff in every role, memberships;
- books.py: opening balances, a few months of the cash book and depreciation, a cash count
  waiting for the board;
- money.py: simpanan pokok, a year of wajib and sukarela, loans in every state, and the
  past book year closed in the first Bandung koperasi;
- meetings.py: last year's RAT, held in March (attendance, published minutes), and the meeting on
  next year's plan and budget in ten days;
- catalogue.py, market.py: stores of a kind each (warung sembako, jamu, phone…) selling only
  what that kind sells, with drawn photos (pictures.py), and orders in every state;
- capital.py: Warung Bu Siti's six months of sales, its working-capital loan applied for with
  that record, paid out and partly repaid from sales;
- voting.py: the past RAT's published votes and the coming RAT's open ones;
- shu.py: last year's SHU, approved at the past RAT and posted;
- notifications.py: the first Bandung koperasi's announcements, older notifications read;
- regulator.py: the first Bandung koperasi's employees, its public transparency page on;
- documents.py: every koperasi's deed and NIK certificate (PDFs); the second Bandung koperasi
  asks applicants for a KTP photo, and one applicant waits with theirs;
- health.py: last year's health rating, its management questionnaire filled and its category published;
- imported.py: Koperasi Simpan Pinjam Sumber Rejeki (Bandung), brought in through the import of a
  filled template (60 members, their savings, loans being repaid) and its opening cash;
- claims.py: two of the imported koperasi's members registered: one confirmed, one claim waiting;
- topups.py: the first Bandung koperasi's bank account for top-ups by transfer; members' requests
  waiting for the teller, one confirmed;
- audit.py: the first Bandung koperasi's audit log shows the teller's deposits from the counter phone
  and a NIK looked at from the office laptop, with where each came from.

Idempotent: each record is looked up by a natural key first (mobile number, legal number,
open membership, store and product name, loan purpose), and every posting carries a fixed
idempotency key (``money.demo_key``: derived from the secret key, never from a form), so a
second run adds nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from models.accounts import User
from models.koperasi import Koperasi
from models.membership import WIB
from web.demo import books, voting
from web.demo.audit import audit_trail
from web.demo.capital import working_capital
from web.demo.claims import imported_claims
from web.demo.documents import ktp_rule, legal_documents
from web.demo.gateway import CITIES, KINDS, NAMES, PENDING, koperasi, member, staff
from web.demo.health import health_of_last_year
from web.demo.imported import imported_koperasi
from web.demo.market import market
from web.demo.meetings import demo_meetings, publish_minutes, rat
from web.demo.money import close_last_year, money
from web.demo.notifications import notifications
from web.demo.people import DEMO_PASSWORD, MEMBERS, MOBILES, PEOPLE, STAFF, person
from web.demo.regulator import regulator_settings
from web.demo.shu import shu_of_last_year
from web.demo.stall import stall_payments
from web.demo.topups import topup_requests
from web.demo.withdrawals import withdrawals
from web.extensions import db

__all__ = ["DEMO_PASSWORD", "load"]


def load() -> Counter:
    """Add whatever demo data is missing; returns counts of what was added."""
    added: Counter = Counter()
    platform, siti, budi, made = (person(added, name, mobile, email, admin) for name, mobile, email, admin, _g in PEOPLE)
    by_city: dict[str, list[Koperasi]] = {}
    for c, (city, (*_where, board_name)) in enumerate(CITIES.items()):
        board = person(added, board_name, f"08130000{c:02d}01")
        by_city[city] = [koperasi(added, board, platform, city, n, name, kind)
                         for n, (name, kind) in enumerate(zip(NAMES[city], KINDS, strict=True))]
    bandung = by_city["Bandung"]
    first = bandung[0]
    crew = {role: person(added, name, mobile) for role, name, mobile in STAFF}
    for role, user in crew.items():
        staff(added, first, user, role)
    board = db.session.get(User, first.created_by_id)

    def board_of(k: Koperasi) -> User:
        return db.session.get(User, k.created_by_id)

    # Members with cards in more than one koperasi, and a few open applications.
    member(added, bandung[0], siti, crew["pengurus"])
    member(added, bandung[1], siti, board, home=first)
    member(added, by_city["Jakarta"][0], siti, board_of(by_city["Jakarta"][0]), home=first)
    member(added, bandung[0], budi, crew["pengurus"])
    member(added, by_city["Yogyakarta"][1], budi, board_of(by_city["Yogyakarta"][1]), home=first)
    member(added, by_city["Denpasar"][0], made, board_of(by_city["Denpasar"][0]))
    member(added, bandung[0], made, crew["pengurus"], status="applied", home=by_city["Denpasar"][0])
    member(added, bandung[2], budi, board, status="rejected", home=first)
    for i, (name, *_rest) in enumerate(MEMBERS):  # a member list worth paging through
        user = person(added, name, MOBILES[name])
        member(added, first, user, crew["pengurus"], status="applied" if i >= 20 else "active")
    # Registrations waiting for the platform admin.
    for city, n, name, kind in PENDING:
        koperasi(added, budi, platform, city, n, name, KINDS[kind], verified=False)
    others = [bandung[1], by_city["Jakarta"][0], by_city["Yogyakarta"][1], by_city["Denpasar"][0]]
    today = datetime.now(WIB).date()
    if first.chair_name is None:  # who signs its printed statements
        first.chair_name, first.treasurer_name = "Asep Hidayat", crew["pengurus"].full_name
    for k in (first, *others):  # the balance sheet each brought from paper, before any member paid in
        books.opening(added, k, crew["pengurus"] if k is first else board_of(k), today)
    money(added, first, others, crew["teller"], crew["pengurus"])
    books.cash_book(added, first, crew["teller"], crew["pengurus"], today)
    market(added, by_city)
    working_capital(added, first, crew["pengurus"], crew["teller"])  # Siti's warung borrows on its sales
    stall_payments(added, first, crew["teller"])  # members paid at Siti's stall from their sukarela
    withdrawals(added, first, crew["teller"])  # Budi's withdrawals to his bank: one paid out, one awaiting
    topup_requests(added, first, crew["teller"])  # members asked to top up by bank transfer; one confirmed
    close_last_year(added, first, crew["pengurus"])  # last: after every posting of the demo
    rat(added, first, crew["pengurus"], crew["teller"], today)  # the RAT reads the closed year's books
    voting.votes(added, first, *demo_meetings(first, today))  # the RAT's meetings: votes closed and open
    publish_minutes(added, first, today)  # drafted from the votes
    shu_of_last_year(added, first, crew["pengurus"])  # of the year just closed
    health_of_last_year(added, first, crew["pengurus"])  # its books closed, its SHU split set
    notifications(added, first, crew["pengurus"])  # after every flow that notifies
    regulator_settings(added, first)
    sumber_rejeki = imported_koperasi(added, platform)  # through the real import: template, preview, job
    imported_claims(added, sumber_rejeki, db.session.get(User, sumber_rejeki.created_by_id))
    legal_documents(added)  # every koperasi's, the imported one's too
    ktp_rule(added, bandung[1])
    audit_trail(added, first, crew["teller"].id, crew["pengurus"].id)
    return added
