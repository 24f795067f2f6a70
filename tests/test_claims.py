"""Claiming an imported membership: the placeholder taken over by registering, nothing of the
membership shown until the koperasi confirms the person, the claim request, confirm, refuse,
correcting the number; the office's access."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import claims, loans, meetings, orders
from models.accounts import User, authenticate, register_user
from models.koperasi import KoperasiEvent
from models.membership import Membership
from models.notifications import Kind, Notification
from tests.conftest import PASSWORD, board, fund, login
from tests.imported import make_imported

NUMBER = "081299990001"
E164 = "+6281299990001"
PRODUCT = {"name": "Modal Usaha", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 0, "fee_mode": "deducted",
           "max_amount_idr": 10_000_000, "min_tenor": 3, "max_tenor": 24, "late_fee_mode": "per_instalment",
           "late_fee_idr": 5_000, "requires_guarantor": False, "requires_documents": False, "active": True}


def _register(client, mobile=NUMBER, **overrides):
    """Register, then log in as the page after it asks (its answer does not tell a taken number from a
    new one): the answer of the log-in."""
    data = {"full_name": "Rudi Hartono", "mobile": mobile, "email": "", "password": PASSWORD, **overrides}
    registered = client.post("/register", data=data)
    assert registered.status_code == 303 and registered.headers["Location"] == "/login"
    return client.post("/login", data={"login": mobile, "password": data["password"]})


def _notes(db, user_id, kind=None) -> list[Notification]:
    query = sa.select(Notification).where(Notification.user_id == user_id)
    if kind:
        query = query.where(Notification.kind == str(kind))
    return db.session.scalars(query).all()


@pytest.fixture
def k(make_koperasi):
    return fund(make_koperasi(name="Koperasi Tani Makmur", member_prefix="KTM"))


@pytest.fixture
def imported(db, k, make_staff):
    """Rudi's imported membership with 750.000 sukarela and a loan paid out, under his number."""
    teller = make_staff(k, "teller")
    membership = make_imported(k, NUMBER, number="KTM-L0042", sukarela=750_000, by=teller)
    loan = loans.apply(membership, loans.save_product(k, dict(PRODUCT)), 2_000_000, 12, "Pupuk dan bibit")
    loans.approve(loan, board(k))
    loans.disburse(loan, teller, "cash")
    db.session.commit()
    return membership


# ---------------------------------------------------------------- registration

def test_a_placeholder_cannot_log_in_and_its_owner_takes_it_over_by_registering(client, db, imported):
    placeholder = imported.user
    assert placeholder.placeholder and authenticate(NUMBER, "!") is None and authenticate(NUMBER, "") is None
    assert client.post("/login", data={"login": NUMBER, "password": "!"}).status_code != 303
    response = _register(client, full_name="Rudi Hartono Putra", email="rudi@contoh.id")
    assert response.status_code == 303 and response.headers["Location"].endswith("/cards")
    db.session.expire_all()
    user = db.session.get(User, placeholder.id)
    assert (user.full_name, user.email, user.placeholder) == ("Rudi Hartono Putra", "rudi@contoh.id", False)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.mobile == E164)) == 1
    assert client.get("/account").status_code == 200  # logged in
    assert authenticate(NUMBER, PASSWORD).id == placeholder.id
    assert db.session.get(Membership, imported.id).awaiting_claim  # taking the account over confirms nothing


def test_a_real_accounts_number_is_not_taken_over(client, db, make_user):
    make_user(mobile=NUMBER)
    response = _register(client, password="sandi-lain-sekali")  # answered as a new number, but nothing made
    assert response.status_code == 422 and client.get("/account").status_code == 303  # the log-in fails
    assert authenticate(NUMBER, PASSWORD).full_name == "Dewi Lestari"


# ---------------------------------------------------------------- hidden until confirmed

def _member_pages(slug, loan_id):
    return [f"/k/{slug}/me/statement.csv", f"/k/{slug}/me/loans", f"/k/{slug}/me/loans/{loan_id}",
            f"/k/{slug}/me/loans/new", f"/k/{slug}/me/resign", f"/k/{slug}/rat", f"/k/{slug}/announcements"]


@pytest.mark.parametrize("existing", [False, True], ids=["registered-later", "already-had-an-account"])
def test_before_confirmation_the_person_sees_nothing_of_the_membership(app, db, k, make_user, make_staff, existing):
    owner = make_user(full_name="Rudi Lama", mobile=NUMBER) if existing else None
    membership = make_imported(k, NUMBER, number="KTM-L0042", sukarela=750_000, by=make_staff(k, "teller"))
    client = app.test_client()
    if existing:
        assert membership.user_id == owner.id  # the import found his account
        login(client, owner)
    else:
        assert _register(client).status_code == 303
    slug = k.slug
    cards = client.get("/cards").text
    assert 'id="claim-' + slug + '"' in cards and "Koperasi Tani Makmur" in cards
    assert "KTM-L0042" not in cards and "kcard-qr" not in cards and "750.000" not in cards
    assert "Ajukan klaim" in cards
    for headers in ({}, {"HX-Request": "true", "HX-Target": "main"}):
        me = client.get(f"/k/{slug}/me", headers=headers)  # a fragment too: htmx loads the cards instead
        assert me.status_code in (303, 204) and "750.000" not in me.text
        assert (me.headers.get("Location") or me.headers["HX-Redirect"]).endswith(f"/cards#claim-{slug}")
    loan = db.session.scalar(sa.select(loans.Loan).where(loans.Loan.membership_id == membership.id))
    for url in _member_pages(slug, loan.id if loan else 1):
        assert client.get(url).status_code == 404, url
    for url in (f"/k/{slug}/me/autopay", f"/k/{slug}/me/shu"):
        assert client.post(url, data={"autopay": "y", "paid_to": "cash"}).status_code == 404, url
    home = client.get("/").text
    assert "750.000" not in home and "KTM-L0042" not in home
    user = db.session.get(User, membership.user_id)
    assert orders.active_memberships(user) == {}  # no member prices, no paying from savings
    assert user.id not in meetings.active_member_users(k.id)  # no RAT, voting or announcement notices


def test_no_notification_about_an_unclaimed_loan(db, imported):
    assert _notes(db, imported.user_id) == []  # the loan was approved and paid out: nobody was told


# ---------------------------------------------------------------- the claim

def test_claiming_tells_the_approvers_once_and_confirming_opens_everything(app, db, k, imported, make_staff):
    pengawas, teller_of = make_staff(k, "pengawas"), imported.koperasi
    client = app.test_client()
    _register(client)
    response = client.post(f"/k/{k.slug}/claim", data={"consent": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Membership, imported.id).claim_requested_at is not None
    admin = board(teller_of)
    [note] = _notes(db, admin.id, Kind.CLAIM_REQUESTED)
    assert note.url == f"/k/{k.slug}/office/claims/{imported.id}"
    assert _notes(db, pengawas.id, Kind.CLAIM_REQUESTED) == []  # reading is not deciding
    client.post(f"/k/{k.slug}/claim", data={"consent": "y"})
    assert len(_notes(db, admin.id, Kind.CLAIM_REQUESTED)) == 1  # asking twice tells no one twice
    assert "Klaim dikirim" in client.get("/cards").text and "Ajukan klaim" not in client.get("/cards").text

    office = login(app.test_client(), admin)
    queue = office.get(f"/k/{k.slug}/office/claims").text
    assert "KTM-L0042" in queue and "Rudi Hartono" in queue
    page = office.get(f"/k/{k.slug}/office/claims/{imported.id}").text
    assert "3273••••••••0007" in page and "3273011508900007" not in page and "15 Agu 1990" in page
    assert office.post(f"/k/{k.slug}/office/claims/{imported.id}", data={"form": "confirm"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Membership, imported.id).claimed_at is not None
    assert db.session.scalar(sa.select(KoperasiEvent.action).order_by(KoperasiEvent.id.desc())) == "claim_confirmed"
    assert len(_notes(db, imported.user_id, Kind.CLAIM_CONFIRMED)) == 1
    assert f"/claims/{imported.id}" not in office.get(f"/k/{k.slug}/office/claims").text  # decided: off the queue

    me = client.get(f"/k/{k.slug}/me")
    assert me.status_code == 200 and "750.000" in me.text
    cards = client.get("/cards").text
    assert "KTM-L0042" in cards and "kcard-qr" in cards and "Ajukan klaim" not in cards
    loan = db.session.scalar(sa.select(loans.Loan.id).where(loans.Loan.membership_id == imported.id))
    for url in (f"/k/{k.slug}/me/statement.csv", f"/k/{k.slug}/me/loans", f"/k/{k.slug}/me/loans/{loan}",
                f"/k/{k.slug}/rat", f"/k/{k.slug}/announcements"):
        assert client.get(url).status_code == 200, url
    assert orders.active_memberships(db.session.get(User, imported.user_id)) == {k.id: imported.id}


def test_staff_confirm_at_the_counter_without_a_request(app, db, k, imported):
    client = app.test_client()
    _register(client)
    office = login(app.test_client(), board(k))
    member_page = office.get(f"/k/{k.slug}/office/members/{imported.id}").text
    assert f"/k/{k.slug}/office/claims/{imported.id}" in member_page
    assert office.post(f"/k/{k.slug}/office/claims/{imported.id}/confirm").status_code == 303
    assert client.get(f"/k/{k.slug}/me").status_code == 200


def test_nobody_registered_yet_nobody_to_confirm(app, db, k, imported):
    office = login(app.test_client(), board(k))
    response = office.post(f"/k/{k.slug}/office/claims/{imported.id}", data={"form": "confirm"})
    assert response.status_code == 422 and "Belum ada yang mendaftar" in response.text
    db.session.expire_all()
    assert db.session.get(Membership, imported.id).awaiting_claim


def test_refused_the_person_sees_the_reason_and_cannot_ask_again(app, db, k, imported):
    client = app.test_client()
    _register(client)
    client.post(f"/k/{k.slug}/claim", data={"consent": "y"})
    office = login(app.test_client(), board(k))
    url = f"/k/{k.slug}/office/claims/{imported.id}"
    short = office.post(url, data={"form": "refuse", "reason": "no"})
    assert short.status_code == 422 and "no</textarea>" in short.text
    assert office.post(url, data={"form": "refuse", "reason": "Nama di KTP berbeda"}).status_code == 303
    db.session.expire_all()
    refused = db.session.get(Membership, imported.id)
    assert refused.awaiting_claim and refused.claim_requested_at is None
    assert len(_notes(db, imported.user_id, Kind.CLAIM_REFUSED)) == 1
    cards = client.get("/cards").text
    assert "Nama di KTP berbeda" in cards and "Ajukan klaim" not in cards and "750.000" not in cards
    before = len(_notes(db, board(k).id, Kind.CLAIM_REQUESTED))
    client.post(f"/k/{k.slug}/claim", data={"consent": "y"})
    db.session.expire_all()
    assert db.session.get(Membership, imported.id).claim_requested_at is None
    assert len(_notes(db, board(k).id, Kind.CLAIM_REQUESTED)) == before


def test_correcting_the_number_moves_the_membership_to_its_owner(app, db, k, imported, make_user, make_member):
    wrong = app.test_client()
    _register(wrong, full_name="Bukan Rudi")
    office = login(app.test_client(), board(k))
    url = f"/k/{k.slug}/office/claims/{imported.id}"
    bad = office.post(url, data={"form": "number", "mobile": "12345"})
    assert bad.status_code == 422 and 'value="12345"' in bad.text
    assert office.post(url, data={"form": "number", "mobile": NUMBER}).status_code == 422  # the same number
    taken = make_member(k, user=make_user(full_name="Sudah Anggota", mobile="081288880000"))
    clash = office.post(url, data={"form": "number", "mobile": "081288880000"})
    assert clash.status_code == 422 and taken.user.full_name not in clash.text.split("<main")[0]
    assert office.post(url, data={"form": "number", "mobile": "0812 7777 0000"}).status_code == 303
    db.session.expire_all()
    moved = db.session.get(Membership, imported.id)
    assert moved.user.mobile == "+6281277770000" and moved.user.placeholder and moved.awaiting_claim
    assert 'id="claim-' not in wrong.get("/cards").text  # the wrong person's card is gone
    right = app.test_client()
    _register(right, mobile="081277770000", full_name="Rudi Hartono")
    assert f'id="claim-{k.slug}"' in right.get("/cards").text


# ---------------------------------------------------------------- access

def test_a_person_cannot_claim_someone_elses_membership(app, db, k, imported, make_user, make_koperasi):
    other = login(app.test_client(), make_user(full_name="Penebak"))
    assert other.post(f"/k/{k.slug}/claim", data={"consent": "y"}).status_code == 404
    assert other.post(f"/k/{k.slug}/claim?membership_id={imported.id}", data={"membership_id": imported.id}).status_code == 404
    assert other.get(f"/k/{k.slug}/office/claims/{imported.id}").status_code == 404
    assert other.post(f"/k/{k.slug}/office/claims/{imported.id}/confirm").status_code == 404
    db.session.expire_all()
    assert db.session.get(Membership, imported.id).claim_requested_at is None


def test_another_koperasis_staff_and_a_joined_member_are_not_claims(app, db, k, imported, make_koperasi, make_member):
    stranger = make_koperasi(name="Koperasi Tetangga", member_prefix="KTG")
    staff = login(app.test_client(), board(stranger))
    for url in (f"/k/{k.slug}/office/claims", f"/k/{k.slug}/office/claims/{imported.id}"):
        assert staff.get(url).status_code == 404
    assert staff.post(f"/k/{k.slug}/office/claims/{imported.id}/confirm").status_code == 404
    joined = make_member(k)
    office = login(app.test_client(), board(k))
    assert office.get(f"/k/{k.slug}/office/claims/{joined.id}").status_code == 404  # only imports are claimed


def test_the_rule_in_sql_and_in_python_agree(db, imported):
    assert imported.awaiting_claim
    assert db.session.scalar(sa.select(Membership.id).where(Membership.awaiting_claim)) == imported.id
    assert claims.awaiting(imported.user) == [imported]


def test_six_people_registering_the_imported_number_at_once_one_takes_it_over(app, db, imported):
    from tests.test_ledger_concurrency import race

    placeholder_id = imported.user_id

    def work(i):
        return lambda: register_user(f"Orang Ke {i}", NUMBER, PASSWORD).id

    outcome = race(app, 6, work)
    assert outcome.crashed == [] and outcome.done == [placeholder_id] and len(outcome.refused) == 5
    assert all("sudah terdaftar" in message or "already registered" in message for message in outcome.refused)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.mobile == E164)) == 1
    assert not db.session.get(User, placeholder_id).placeholder
