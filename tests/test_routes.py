"""Access control as a table: every route of the app (``app.url_map``: pages, forms, downloads, htmx
fragments, the service worker and manifest, the platform's admin) with the answer each role gets.

The roles: the anonymous visitor, a user with no membership, a member of koperasi K, a seller (a member
with a store), K's teller, pengawas, pengurus and admin pengurus, another koperasi's admin, and the
platform's admin. The office's answers come from the duty each route needs (``office(duty)`` reads
models/duties.py, the one table of who may do what), so this table and the duties table cannot drift.

One world (tests/test_duties.py's koperasi, plus a seller, an order, a cart, a notification, a RAT paper,
a closed vote, a logo) is built once and put back for each test. A route with no line here fails
``test_every_route_of_the_app_has_a_line_in_the_table``: a new route must say who may use it.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage

from models import market, meeting_documents, meetings, notifications, sales_record, savings, stall, voting
from models.accounts import User
from models.base import utcnow
from models.documents import KoperasiDocument, KtpPhoto
from models.duties import Duty, Role, may
from models.koperasi import Koperasi, set_logo
from models.loans import LoanProduct
from models.market import ProductPhoto
from models.meetings import Meeting
from models.membership import Membership, card_token
from models.orders import Choice, add_to_cart, checkout
from tests import test_duties
from tests.conftest import keep, login, put_back
from tests.pdf_files import AKTA_PDF
from web.extensions import db as _db
from web.media import public_store

ROLES = ("anonymous", "user", "member", "seller", "teller", "pengawas", "pengurus", "admin", "other", "platform")
ANSWERS = {"200", "login", "see", "form", "acts", "403", "404"}
_WORLD: dict = {}


@pytest.fixture
def world(app, db, make_koperasi, make_member, make_user, make_staff, make_store, make_product):
    """tests/test_duties.py's office world (put back if it was built already) with this module's additions,
    kept once; one client per role."""
    if not _WORLD:
        office = test_duties.office_world(app, db, make_koperasi, make_member, make_user, make_staff, make_store)
        ids = dict(office["ids"])
        ids.update(_more(app, db.session.get(Koperasi, office["k"]), ids, make_user, make_store, make_product))
        users = {role: office[role] for role in STAFF}
        users.update(other=office["other_koperasi"], user=ids["plain"], member=ids.pop("member_user"),
                     seller=ids.pop("seller_user"),
                     platform=db.session.scalar(sa.select(User.id).where(User.is_platform_admin)))
        _WORLD.update(users=users, ids=ids, kept=keep(app))
    else:
        put_back(app, _WORLD["kept"])
    clients = {role: login(app.test_client(), db.session.get(User, uid)) for role, uid in _WORLD["users"].items()}
    return dict(ids=dict(_WORLD["ids"]), clients={"anonymous": app.test_client(), **clients})


def _more(app, k, ids, make_user, make_store, make_product) -> dict:
    """What the office world lacks for the member's, the seller's and the platform's routes."""
    member = _db.session.get(Membership, ids["member"])
    board = _db.session.get(User, k.created_by_id)
    plain = make_user(full_name="Tamu Biasa")
    owner = make_user(full_name="Budi Penjual")
    store = make_store(k, owner=owner, name="Toko Budi")
    goods = make_product(store, name="Kopi Bubuk 250 g", price_idr=25_000, stock=50)
    capital = sales_record.apply_for_capital(store, owner, _db.session.get(LoanProduct, ids["product"]), 1_000_000, 6,
                                             "Tambah stok kopi", 10)
    add_to_cart(member.user, goods, 1)
    order = checkout(member.user, {store.id: Choice(payment="cash")}, key="routes-order-1").orders[0]
    item = add_to_cart(member.user, goods, 2)
    note = notifications.notify(member.user_id, notifications.Kind.ANNOUNCEMENT, koperasi_id=k.id,
                                params={"title": "Rapat"}, url="/")
    rat = _db.session.get(Meeting, ids["rat"])
    paper = meeting_documents.add(rat, "Laporan Pengurus", FileStorage(io.BytesIO(AKTA_PDF), "l.pdf",
                                                                        content_type="application/pdf"),
                                  app.config["MEDIA_DIR"] + "/meetings", board)
    picture = io.BytesIO()
    Image.new("RGB", (64, 64), "green").save(picture, "PNG")
    picture.seek(0)
    set_logo(k, board, picture)
    market.set_photos(goods, [picture.getvalue()], public_store())
    photo = _db.session.scalar(sa.select(ProductPhoto).where(ProductPhoto.product_id == goods.id))
    ktp = _db.session.get(KtpPhoto, ids["app"])
    deed = _db.session.get(KoperasiDocument, ids["kdoc"])
    k.transparency_public = True  # the public transparency page, on
    held = _db.session.get(Meeting, ids["held"])
    meetings.publish_minutes(held, "Rapat dibuka pukul 09.00, laporan diterima.")
    closed = voting.create(rat, voting.ProposalData(
        kind="motion", topic="statements", title="Laporan keuangan", opens_at=utcnow() + timedelta(days=1),
        closes_at=utcnow() + timedelta(days=2)), board)
    closed.opens_at, closed.closes_at = utcnow() - timedelta(days=2), utcnow() - timedelta(days=1)  # voted, closed
    savings.deposit(member, "sukarela", 50_000, "cash", board)
    paid = stall.pay(store, member.user, 10_000, "routes-stall-1")  # the member paid at Budi's stall
    _db.session.commit()
    return dict(member_user=member.user_id, seller_user=store.owner_id, shop=store.id,
                shop_slug=store.slug, goods=goods.id, capital=capital.id, order=order.id, cart_item=item.id, note=note.id,
                mdoc=paper.id, token=card_token(member), kid=k.id, plain=plain.id, closed=closed.id,
                photo=public_store().url(photo.thumb), static=next(iter(app.extensions["kopz_assets"].values())),
                ktp=ktp.sha256, deed=deed.sha256, paper=paper.sha256, pay_code=store.pay_code, payment=paid.id)


# ---------------------------------------------------------------- the table

OK, LOGIN, SEE, FORM, ACTS = "200", "login", "see", "form", "acts"
NOT_FOUND, FORBIDDEN = "404", "403"
STAFF = (Role.TELLER, Role.PENGAWAS, Role.PENGURUS, Role.ADMIN)
MEMBERS = ("member", "seller")  # both hold a card of the koperasi
INSIDERS = (*MEMBERS, *STAFF)  # its members and its staff (the RAT's papers, the votes)
STORE_OPENERS = tuple(role for role in STAFF if may(role, Duty.APPROVE_STORE))  # open the koperasi's own store


class Spec(dict):
    """The answer each role gets; ``duty``: the office duty it comes from (models/duties.py)."""

    duty: Duty | None = None


def spec(default: str, **roles: str) -> Spec:
    return Spec({role: roles.get(role, default) for role in ROLES})


def public(**roles) -> Spec:
    """Anyone, logged in or not."""
    return spec(OK, **roles)


def signed_in(answer: str = OK, **roles) -> Spec:
    """Anyone logged in; the anonymous visitor is sent to log in."""
    return spec(answer, anonymous=LOGIN, **roles)


def only(*allowed: str, answer: str = OK) -> Spec:
    """Those roles; anyone else logged in finds nothing (404), the anonymous visitor is sent to log in."""
    return spec(NOT_FOUND, anonymous=LOGIN, **dict.fromkeys(allowed, answer))


def office(duty: Duty, answer: str = OK) -> Spec:
    """K's office: each staff role by the duties table (403 without the duty), anyone else 404."""
    table = only(*[role for role in STAFF if may(role, duty)], answer=answer)
    table.update({role: FORBIDDEN for role in STAFF if not may(role, duty)})
    table.duty = duty
    return table


BAD_KEY = {"key": "not-a-key"}  # a money or stock form with a key not of the server's shape: refused, nothing runs
K, ME, OFF, SELL = "/k/{slug}", "/k/{slug}/me", "/k/{slug}/office", "/seller"
# (endpoint, method, url, answers[, form posted]). The answers: 200; "login" (303 to the login page; for htmx 401
# and HX-Redirect); "see" (303 elsewhere: a page for the logged-out only, or nothing to do here); 403 (K's staff
# without the duty); 404 (not theirs: another koperasi's office, another member's loan or order); "form" (the
# allowed role's POST with a refused form: the form back, 200/400/409/422, or back to its page, nothing saved);
# "acts" (the allowed role's POST does what it says with any form: approve, remove, mark read, log out): not
# posted here, but done in their own tests: tests/test_duties.py for every office action and role (checked
# below), tests/test_sessions.py, test_admin_sessions.py and test_devices.py (log out, disable an account, log out its
# devices, sign out my other devices),
# test_i18n.py (language), test_orders_views.py (cancel), test_notifications_views.py and test_push.py (read,
# settings), test_capital_views.py (pledge).
ROUTES = [
    ("public.home", "GET", "/", public()),
    ("public.healthz", "GET", "/healthz", public()),
    ("public.offline", "GET", "/offline", public()),
    ("pwa.manifest", "GET", "/manifest.webmanifest", public()),
    ("pwa.service_worker", "GET", "/sw.js", public()),
    ("accounts.register", "GET", "/register", spec(SEE, anonymous=OK)),
    ("accounts.register", "POST", "/register", spec(SEE, anonymous=FORM)),
    ("accounts.login", "GET", "/login", spec(SEE, anonymous=OK)),
    ("accounts.login", "POST", "/login", spec(SEE, anonymous=FORM)),
    ("accounts.logout", "POST", "/logout", spec(ACTS)),
    ("accounts.language", "POST", "/language", spec(ACTS, anonymous=SEE), {"lang": "id"}),  # saved on the account
    ("accounts.account", "GET", "/account", signed_in()),
    ("accounts.account", "POST", "/account", signed_in(FORM)),
    ("accounts.password", "POST", "/account/password", signed_in(FORM)),
    ("accounts.choose_password", "GET", "/account/new-password", signed_in(SEE)),  # only after a temporary password
    ("accounts.choose_password", "POST", "/account/new-password", signed_in(SEE)),
    ("privacy.data", "GET", "/account/data", signed_in()),  # my data: only ever my own
    ("privacy.data_json", "GET", "/account/data.json", signed_in()),
    ("privacy.data_csv", "GET", "/account/data.csv", signed_in()),
    ("privacy.delete", "POST", "/account/data/delete", signed_in(FORM)),  # the password first
    ("security.login_code", "GET", "/login/code", spec(LOGIN)),  # no password typed just now: back to log in
    ("security.login_code", "POST", "/login/code", spec(LOGIN)),
    ("security.two_factor", "GET", "/account/two-factor", signed_in()),
    ("security.two_factor", "POST", "/account/two-factor", signed_in(FORM)),
    ("security.two_factor_off", "POST", "/account/two-factor/off", signed_in(FORM)),  # not on: nothing to turn off
    ("security.end_device", "POST", "/account/devices/999999/end", only()),  # not one of your own devices
    ("security.end_other_devices", "POST", "/account/devices/end-others", signed_in(ACTS)),
    ("accounts.forgot_password", "GET", "/password/forgot", public()),
    ("accounts.forgot_password", "POST", "/password/forgot", spec(FORM)),
    ("accounts.reset_password", "GET", "/password/reset", public()),
    ("accounts.reset_password", "POST", "/password/reset", spec(FORM)),
    # the platform's admin
    ("admin.accounts_find", "GET", "/admin/accounts", only("platform")),
    ("admin.account_disable", "POST", "/admin/accounts/{plain}/disable", only("platform", answer=ACTS)),
    ("admin.account_enable", "POST", "/admin/accounts/{plain}/enable", only("platform", answer=FORM)),
    ("admin.account_log_out", "POST", "/admin/accounts/{plain}/log-out", only("platform", answer=ACTS)),
    ("admin.koperasi_queue", "GET", "/admin/koperasi", only("platform")),
    ("admin.koperasi_detail", "GET", "/admin/koperasi/{kid}", only("platform")),
    ("admin.koperasi_detail", "POST", "/admin/koperasi/{kid}", only("platform", answer=FORM), {"form": "reject"}),
    ("admin.koperasi_document", "GET", "/admin/koperasi/{kid}/documents/{kdoc}", only("platform")),
    ("admin.koperasi_logo", "GET", "/admin/koperasi/{kid}/logo", only("platform")),
    ("admin.koperasi_reject", "POST", "/admin/koperasi/{kid}/reject", only("platform", answer=FORM)),
    ("admin.koperasi_verify", "POST", "/admin/koperasi/{kid}/verify", only("platform", answer=FORM)),  # verified
    # the directory, joining, the member's own pages
    ("directory.index", "GET", "/koperasi", public()),
    ("directory.profile", "GET", K, public()),
    ("directory.logo", "GET", K + "/logo.webp", public()),
    ("loans.simulator", "GET", K + "/simulator", public()),
    ("regulator.transparency", "GET", K + "/transparansi", public()),
    ("office.register", "GET", "/koperasi/new", signed_in()),
    ("office.register", "POST", "/koperasi/new", signed_in(FORM)),
    ("membership.join", "GET", K + "/join", signed_in()),
    ("membership.join", "POST", K + "/join", signed_in(FORM)),
    ("claims.request_claim", "POST", K + "/claim", only()),  # for an imported number's owner (tests/test_claims.py)
    ("membership.cards", "GET", "/cards", public()),  # the anonymous visitor is told what cards are
    ("membership.verify", "GET", "/v/{token}", public()),
    ("membership.me", "GET", ME, only(*MEMBERS)),
    ("membership.autopay", "POST", ME + "/autopay", only(*MEMBERS, answer=FORM)),
    ("membership.shu_choice", "POST", ME + "/shu", only(*MEMBERS, answer=FORM)),
    ("membership.statement_csv", "GET", ME + "/statement.csv", only(*MEMBERS)),
    ("membership.resign", "GET", ME + "/resign", only(*MEMBERS)),
    ("membership.resign", "POST", ME + "/resign", only(*MEMBERS, answer=FORM)),
    ("withdrawals.page", "GET", ME + "/withdraw", only(*MEMBERS)),  # to my own bank account or e-wallet
    ("withdrawals.page", "POST", ME + "/withdraw", only(*MEMBERS, answer=FORM), {"form": "withdraw", **BAD_KEY}),
    ("withdrawals.receipt", "GET", ME + "/withdrawals/{withdrawal}", only("member")),  # the member's; not the seller's
    ("loans.my_loans", "GET", ME + "/loans", only(*MEMBERS)),
    ("loans.my_loan", "GET", ME + "/loans/{active}", only("member")),  # the member's loan; the seller's is another
    ("loans.my_loan", "POST", ME + "/loans/{active}", only("member", answer=FORM), {"form": "pay", **BAD_KEY}),
    ("loans.pay", "POST", ME + "/loans/{active}/pay", only("member", answer=FORM), BAD_KEY),
    ("loans.apply", "GET", ME + "/loans/new", only(*MEMBERS)),
    ("loans.apply", "POST", ME + "/loans/new", only(*MEMBERS, answer=FORM)),
    ("announcements.member_list", "GET", K + "/announcements", only(*MEMBERS)),
    # the RAT and its votes, for members (its staff read them too)
    ("rat.index", "GET", K + "/rat", only(*MEMBERS)),
    ("rat.show", "GET", K + "/rat/{rat}", only(*MEMBERS)),
    ("rat.document", "GET", K + "/rat/{rat}/documents/{mdoc}", only(*INSIDERS)),
    ("rat.join", "POST", K + "/rat/{rat}/join", only(*MEMBERS, answer=FORM)),  # not the meeting's day
    ("rat.minutes", "GET", K + "/rat/{held}/minutes", only(*INSIDERS)),
    ("rat.report", "GET", K + "/rat/{rat}/report", only(*INSIDERS)),
    ("voting.index", "GET", K + "/rat/{rat}/vote", only(*INSIDERS)),
    ("voting.ballot", "GET", K + "/rat/{rat}/vote/{proposal}", only(*INSIDERS)),
    ("voting.ballot", "POST", K + "/rat/{rat}/vote/{proposal}", only(*INSIDERS, answer=FORM)),  # staff: not a member
    ("voting.ballots", "GET", K + "/rat/{rat}/vote/{closed}/ballots", only(*INSIDERS)),
    ("voting.ballots_csv", "GET", K + "/rat/{rat}/vote/{closed}/ballots.csv", only(*INSIDERS)),
    # the market, the cart, orders
    ("market.index", "GET", "/market", public()),
    ("market.product", "GET", "/market/{goods}", public()),
    ("market.store", "GET", "/toko/{shop_slug}", public()),
    ("orders.cart", "GET", "/cart", signed_in()),
    ("orders.cart", "POST", "/cart", signed_in(FORM), {"form": "checkout", **BAD_KEY}),
    ("orders.add", "POST", "/cart/add", signed_in(FORM), {"product_id": "{goods}", "quantity": "0"}),
    ("orders.update", "POST", "/cart/items/{cart_item}", only("member", answer=FORM)),
    ("orders.checkout", "POST", "/cart/checkout", signed_in(FORM), BAD_KEY),
    ("orders.index", "GET", "/orders", signed_in()),
    ("orders.detail", "GET", "/orders/{order}", only("member")),  # the buyer's; the seller's page is below
    ("orders.detail", "POST", "/orders/{order}", only("member", answer=ACTS), {"form": "cancel"}),
    ("orders.cancel", "POST", "/orders/{order}/cancel", only("member", answer=ACTS)),
    # notifications
    ("notifications.index", "GET", "/notifications", signed_in()),
    ("notifications.open_one", "POST", "/notifications/{note}/open", only("member", answer=ACTS)),
    ("notifications.read_all", "POST", "/notifications/read", signed_in(ACTS)),
    ("push.settings", "GET", "/notifications/settings", signed_in()),
    ("push.settings", "POST", "/notifications/settings", signed_in(ACTS)),
    ("push.subscribe", "POST", "/notifications/settings/subscribe", signed_in(FORM)),
    ("push.unsubscribe", "POST", "/notifications/settings/unsubscribe", signed_in(FORM)),
    # the seller (anyone logged in may look at opening a store; the board opens the koperasi's own)
    ("seller.index", "GET", SELL, signed_in()),
    ("stall.store_qr", "GET", SELL + "/stores/{shop}/pay", only("seller")),  # the stall's payment QR
    ("stall.store_print", "GET", SELL + "/stores/{shop}/pay/print", only("seller")),
    ("stall.start", "GET", "/pay", signed_in()),
    # paying at Budi's stall: his koperasi's members only (anyone else, and Budi himself, told why: 403)
    ("stall.pay", "GET", "/pay/{pay_code}", spec(FORBIDDEN, anonymous=LOGIN, member=OK)),
    ("stall.pay", "POST", "/pay/{pay_code}", spec(FORBIDDEN, anonymous=LOGIN, member=FORM)),
    ("stall.receipt", "GET", "/pay/receipts/{payment}", only("member", "seller")),  # its payer and the seller
    ("stall.receipt", "POST", "/pay/receipts/{payment}", only("seller", answer=FORM)),  # the seller alone refunds
    ("seller.open_store", "GET", SELL + "/open/{slug}", only(*MEMBERS, *STORE_OPENERS)),
    ("seller.open_store", "POST", SELL + "/open/{slug}", only(*MEMBERS, *STORE_OPENERS, answer=FORM)),
    ("seller.edit_store", "GET", SELL + "/stores/{shop}", only("seller")),
    ("seller.edit_store", "POST", SELL + "/stores/{shop}", only("seller", answer=FORM)),
    ("seller.new_product", "GET", SELL + "/products/new?store={shop}", only("seller")),
    ("seller.new_product", "POST", SELL + "/products/new?store={shop}", only("seller", answer=FORM)),
    ("seller.product", "GET", SELL + "/products/{goods}", only("seller")),
    ("seller.product", "POST", SELL + "/products/{goods}", only("seller", answer=FORM)),
    ("seller.price", "GET", SELL + "/products/{goods}/price", only("seller")),
    ("seller.price", "POST", SELL + "/products/{goods}/price", only("seller", answer=FORM)),
    ("seller.stock", "POST", SELL + "/products/{goods}/stock", only("seller", answer=FORM)),
    ("stock_sync.sync", "POST", SELL + "/stock-sync", signed_in(FORM)),  # each change names a product of one's own
    ("orders.seller_orders", "GET", SELL + "/orders", signed_in()),  # one's own stores' orders: none for most
    ("orders.badge", "GET", SELL + "/orders/badge", signed_in()),  # an htmx fragment
    ("orders.seller_order", "GET", SELL + "/orders/{order}", only("seller")),
    ("orders.seller_order", "POST", SELL + "/orders/{order}", only("seller", answer=FORM), {"form": "move"}),
    ("orders.seller_move", "POST", SELL + "/orders/{order}/move", only("seller", answer=FORM)),
    ("orders.seller_paid", "POST", SELL + "/orders/{order}/paid", only("seller", answer=FORM)),
    ("orders.seller_refund", "POST", SELL + "/orders/{order}/refund", only("seller", answer=FORM)),
    ("capital.apply", "GET", SELL + "/capital", only("seller")),
    ("capital.apply", "POST", SELL + "/capital", only("seller", answer=FORM)),
    ("capital.loan", "GET", SELL + "/capital/{capital}", only("seller")),
    ("capital.pledge", "POST", SELL + "/capital/{capital}/pledge", only("seller", answer=ACTS)),
    # K's office: every answer from the duty the route needs (models/duties.py)
    ("office.dashboard", "GET", OFF, office(Duty.READ)),
    ("office.profile", "GET", OFF + "/profile", office(Duty.READ)),
    ("office.profile", "POST", OFF + "/profile", office(Duty.MANAGE_SETTINGS, FORM)),
    ("office.resubmit", "POST", OFF + "/resubmit", office(Duty.MANAGE_SETTINGS, FORM)),  # K is verified: nothing to do
    ("office.history", "GET", OFF + "/history", office(Duty.SEE_AUDIT)),  # the audit log: not the teller's
    ("office.history_export", "POST", OFF + "/history/export", office(Duty.SEE_AUDIT, ACTS)),  # recorded too
    ("office.staff", "GET", OFF + "/staff", office(Duty.READ)),
    ("office.staff", "POST", OFF + "/staff", office(Duty.MANAGE_STAFF, FORM)),
    ("office.staff_remove", "POST", OFF + "/staff/{staff}/remove", office(Duty.MANAGE_STAFF, ACTS)),
    ("office.staff_role", "POST", OFF + "/staff/{staff}/role", office(Duty.MANAGE_STAFF, FORM)),
    ("announcements.office_list", "GET", OFF + "/announcements", office(Duty.READ)),
    ("announcements.office_list", "POST", OFF + "/announcements", office(Duty.ANNOUNCE, FORM)),
    ("office_members.applications", "GET", OFF + "/applications", office(Duty.READ)),
    ("office_members.application", "GET", OFF + "/applications/{app}", office(Duty.READ)),
    ("office_members.application", "POST", OFF + "/applications/{app}", office(Duty.APPROVE_MEMBER, FORM),
     {"form": "reject"}),
    ("office_members.approve", "POST", OFF + "/applications/{app}/approve", office(Duty.APPROVE_MEMBER, ACTS)),
    ("office_members.reject", "POST", OFF + "/applications/{app}/reject", office(Duty.APPROVE_MEMBER, FORM)),
    ("documents.ktp_photo", "GET", OFF + "/applications/{app}/ktp", office(Duty.APPROVE_MEMBER)),
    ("office_members.members", "GET", OFF + "/members", office(Duty.READ)),
    ("office_members.members_csv", "GET", OFF + "/members.csv", office(Duty.READ)),
    ("office_members.member", "GET", OFF + "/members/{member}", office(Duty.READ)),
    ("office_members.member_by_nik", "POST", OFF + "/members/by-nik", office(Duty.READ, FORM)),  # the NIK in the body
    ("office_members.member", "POST", OFF + "/members/{member}", office(Duty.RESET_PASSWORD, FORM),
     {"form": "reset_password"}),
    ("office_members.confirm_resignation", "POST", OFF + "/members/{resigning}/confirm-resignation",
     office(Duty.APPROVE_MEMBER, FORM), BAD_KEY),
    ("office_members.reset_password", "POST", OFF + "/members/{member}/reset-password",
     office(Duty.RESET_PASSWORD, FORM)),
    ("office_members.reveal_nik", "POST", OFF + "/members/{member}/reveal-nik", office(Duty.REVEAL_NIK, ACTS)),
    ("claims.queue", "GET", OFF + "/claims", office(Duty.READ)),
    ("claims.claim", "GET", OFF + "/claims/{claim}", office(Duty.READ)),
    ("claims.claim", "POST", OFF + "/claims/{claim}", office(Duty.APPROVE_MEMBER, FORM), {"form": "refuse"}),
    ("claims.confirm", "POST", OFF + "/claims/{claim}/confirm", office(Duty.APPROVE_MEMBER, ACTS)),
    ("claims.number", "POST", OFF + "/claims/{claim}/number", office(Duty.APPROVE_MEMBER, FORM)),
    ("claims.refuse", "POST", OFF + "/claims/{claim}/refuse", office(Duty.APPROVE_MEMBER, FORM)),
    ("teller.index", "GET", OFF + "/teller", office(Duty.READ)),
    ("teller.member", "GET", OFF + "/teller/{member}", office(Duty.READ)),
    ("teller.member", "POST", OFF + "/teller/{member}", office(Duty.POST_MONEY, FORM), {"form": "deposit", **BAD_KEY}),
    ("teller.deposit", "POST", OFF + "/teller/{member}/deposit", office(Duty.POST_MONEY, FORM), BAD_KEY),
    ("teller.withdraw", "POST", OFF + "/teller/{member}/withdraw", office(Duty.POST_MONEY, FORM), BAD_KEY),
    ("withdrawals.queue", "GET", OFF + "/withdrawals", office(Duty.READ)),
    ("withdrawals.one", "GET", OFF + "/withdrawals/{withdrawal}", office(Duty.READ)),  # the destination in full
    ("withdrawals.one", "POST", OFF + "/withdrawals/{withdrawal}", office(Duty.PAY_WITHDRAWAL, FORM),
     {"form": "pay", **BAD_KEY}),
    ("collect.page", "GET", OFF + "/teller/offline", office(Duty.COLLECT_OFFLINE)),  # the offline teller's page
    ("collect.page", "POST", OFF + "/teller/offline", office(Duty.POST_MONEY, FORM), BAD_KEY),  # one, without JS
    ("collect.send", "POST", OFF + "/teller/offline/send", office(Duty.COLLECT_OFFLINE, FORM)),  # the phone's JSON batch
    ("teller.receipt", "GET", OFF + "/receipts/{ref}", office(Duty.READ)),
    ("teller.receipt", "POST", OFF + "/receipts/{ref}", office(Duty.CORRECT_ENTRY, FORM), {"form": "reverse", **BAD_KEY}),
    ("teller.reverse", "POST", OFF + "/receipts/{ref}/reverse", office(Duty.CORRECT_ENTRY, FORM), BAD_KEY),
    ("loans.portfolio", "GET", OFF + "/loans", office(Duty.READ)),
    ("loans.loan_list", "GET", OFF + "/loans/list", office(Duty.READ)),
    ("loans.review", "GET", OFF + "/loans/{applied}", office(Duty.READ)),
    ("loans.review", "POST", OFF + "/loans/{applied}", office(Duty.APPROVE_LOAN, FORM), {"form": "reject"}),
    ("loans.approve", "POST", OFF + "/loans/{applied}/approve", office(Duty.APPROVE_LOAN, ACTS)),
    ("loans.reject", "POST", OFF + "/loans/{applied}/reject", office(Duty.APPROVE_LOAN, FORM)),
    ("loans.disburse", "POST", OFF + "/loans/{approved}/disburse", office(Duty.DISBURSE_LOAN, FORM), BAD_KEY),
    ("loans.repay", "POST", OFF + "/loans/{active}/repay", office(Duty.POST_MONEY, FORM), BAD_KEY),
    ("loans.recover", "POST", OFF + "/loans/{written}/recover", office(Duty.POST_MONEY, FORM), BAD_KEY),
    ("loans.write_off", "POST", OFF + "/loans/{active}/write-off", office(Duty.WRITE_OFF_LOAN, FORM), BAD_KEY),
    ("loans.products", "GET", OFF + "/loan-products", office(Duty.READ)),
    ("loans.new_product", "GET", OFF + "/loan-products/new", office(Duty.MANAGE_SETTINGS)),
    ("loans.new_product", "POST", OFF + "/loan-products/new", office(Duty.MANAGE_SETTINGS, FORM)),
    ("loans.edit_product", "GET", OFF + "/loan-products/{product}", office(Duty.MANAGE_SETTINGS)),
    ("loans.edit_product", "POST", OFF + "/loan-products/{product}", office(Duty.MANAGE_SETTINGS, FORM)),
    ("loan_book.index", "GET", OFF + "/loans/collectability", office(Duty.READ)),
    ("loan_book.index", "POST", OFF + "/loans/collectability", office(Duty.MANAGE_SETTINGS, FORM), {"form": "rates"}),
    ("loan_book.provision", "POST", OFF + "/loans/provision", office(Duty.RUN_PROVISION, FORM)),
    ("loan_book.rates", "POST", OFF + "/loans/provision-rates", office(Duty.MANAGE_SETTINGS, FORM)),
    ("office_stores.index", "GET", OFF + "/stores", office(Duty.READ)),
    ("office_stores.approve", "POST", OFF + "/stores/{store}/approve", office(Duty.APPROVE_STORE, ACTS)),
    ("office_stores.suspend", "POST", OFF + "/stores/{store}/suspend", office(Duty.APPROVE_STORE, ACTS)),
    ("books.index", "GET", OFF + "/books", office(Duty.READ)),
    ("books.account", "GET", OFF + "/books/accounts/{code}", office(Duty.READ)),
    ("books.cash_flow", "GET", OFF + "/books/arus-kas", office(Duty.READ)),
    ("books.hasil_usaha", "GET", OFF + "/books/hasil-usaha", office(Duty.READ)),
    ("books.neraca", "GET", OFF + "/books/neraca", office(Duty.READ)),
    ("books.equity_changes", "GET", OFF + "/books/perubahan-ekuitas", office(Duty.READ)),
    ("books.trial_balance", "GET", OFF + "/books/trial-balance", office(Duty.READ)),
    ("chart.accounts", "GET", OFF + "/books/chart", office(Duty.READ)),
    ("chart.accounts", "POST", OFF + "/books/chart", office(Duty.MANAGE_ACCOUNTS, FORM), {"form": "add"}),
    ("chart.journal", "GET", OFF + "/books/journal", office(Duty.READ)),
    ("chart.journal", "POST", OFF + "/books/journal", office(Duty.POST_JOURNAL, FORM), BAD_KEY),
    ("chart.opening", "GET", OFF + "/books/opening", office(Duty.READ)),
    ("chart.opening", "POST", OFF + "/books/opening", office(Duty.MANAGE_ACCOUNTS, FORM), BAD_KEY),
    ("periods.page", "GET", OFF + "/books/periods", office(Duty.READ)),
    ("periods.page", "POST", OFF + "/books/periods", office(Duty.CLOSE_PERIOD, FORM), {"form": "close_month"}),
    ("capital.rule", "GET", OFF + "/capital-rule", office(Duty.READ)),
    ("capital.rule", "POST", OFF + "/capital-rule", office(Duty.MANAGE_SETTINGS, FORM), {"percent": "x"}),
    ("cashbook.index", "GET", OFF + "/cash", office(Duty.READ)),
    ("cashbook.index", "POST", OFF + "/cash", office(Duty.POST_MONEY, FORM), BAD_KEY),
    ("cashbook.count", "GET", OFF + "/cash/count", office(Duty.READ)),
    ("cashbook.count", "POST", OFF + "/cash/count", office(Duty.POST_MONEY, FORM), {"form": "count"}),
    ("cashbook.photo", "GET", OFF + "/cash/photo/{cashref}", office(Duty.READ)),
    ("documents.koperasi_document", "GET", OFF + "/documents/{kdoc}", office(Duty.MANAGE_SETTINGS)),
    ("dues.index", "GET", OFF + "/dues", office(Duty.READ)),
    ("dues.index", "POST", OFF + "/dues", office(Duty.RUN_MONTH_END, FORM), {"form": "month_end", **BAD_KEY}),
    ("imports.export", "POST", OFF + "/export", office(Duty.IMPORT_MEMBERS, ACTS)),  # the file, and it is recorded
    ("imports.index", "GET", OFF + "/import", office(Duty.IMPORT_MEMBERS)),
    ("imports.index", "POST", OFF + "/import", office(Duty.IMPORT_MEMBERS, FORM)),
    ("imports.batch", "GET", OFF + "/import/{batch}", office(Duty.IMPORT_MEMBERS)),
    ("imports.batch", "POST", OFF + "/import/{batch}", office(Duty.IMPORT_MEMBERS, FORM), {"form": "confirm", **BAD_KEY}),
    ("health.page", "GET", OFF + "/health", office(Duty.SEE_HEALTH)),
    ("health.page", "POST", OFF + "/health", office(Duty.RATE_HEALTH, FORM), {"form": "publish", "year": "x"}),
    ("health.questionnaire", "GET", OFF + "/health/questionnaire", office(Duty.SEE_HEALTH)),
    ("health.questionnaire", "POST", OFF + "/health/questionnaire?year={shu_year}", office(Duty.RATE_HEALTH, ACTS)),
    ("regulator.report", "GET", OFF + "/report", office(Duty.READ)),
    ("meetings.index", "GET", OFF + "/rat", office(Duty.READ)),
    ("meetings.index", "POST", OFF + "/rat", office(Duty.MANAGE_MEETING, FORM), {"form": "quorum"}),
    ("meetings.new", "GET", OFF + "/rat/new", office(Duty.MANAGE_MEETING)),
    ("meetings.new", "POST", OFF + "/rat/new", office(Duty.MANAGE_MEETING, FORM)),
    ("meetings.show", "GET", OFF + "/rat/{rat}", office(Duty.READ)),
    ("meetings.show", "POST", OFF + "/rat/{rat}", office(Duty.MANAGE_MEETING, FORM), {"form": "edit"}),
    ("meetings.attendance_page", "GET", OFF + "/rat/{rat}/attendance", office(Duty.READ)),
    ("meetings.attendance_page", "POST", OFF + "/rat/{rat}/attendance", office(Duty.CHECK_IN, FORM)),
    ("meetings.minutes", "GET", OFF + "/rat/{held}/minutes", office(Duty.READ)),
    ("meetings.minutes", "POST", OFF + "/rat/{held}/minutes", office(Duty.MANAGE_MEETING, FORM), {"form": "minutes"}),
    ("voting_office.index", "GET", OFF + "/rat/{rat}/proposals", office(Duty.READ)),
    ("voting_office.new", "GET", OFF + "/rat/{rat}/proposals/new", office(Duty.MANAGE_MEETING)),
    ("voting_office.new", "POST", OFF + "/rat/{rat}/proposals/new", office(Duty.MANAGE_MEETING, FORM)),
    ("voting_office.show", "GET", OFF + "/rat/{rat}/proposals/{proposal}", office(Duty.READ)),
    ("voting_office.show", "POST", OFF + "/rat/{rat}/proposals/{proposal}", office(Duty.MANAGE_MEETING, FORM)),
    ("shu.index", "GET", OFF + "/shu", office(Duty.READ)),
    ("shu.year_page", "GET", OFF + "/shu/{shu_year}", office(Duty.READ)),
    ("shu.year_page", "POST", OFF + "/shu/{shu_year}", office(Duty.RUN_SHU, FORM), {"form": "plan"}),
    ("shu.progress", "GET", OFF + "/shu/{shu_ready}/progress", office(Duty.READ)),
    # top-ups by bank transfer (views/topups.py): the member asks; the office confirms, rejects, matches a statement
    ("topups.mine", "GET", ME + "/topups", only(*MEMBERS)),
    ("topups.mine", "POST", ME + "/topups", only(*MEMBERS, answer=FORM), BAD_KEY),
    ("topups.show", "GET", ME + "/topups/{topup}", only("member")),  # the member's own request
    ("topups.proof", "POST", ME + "/topups/{topup}/proof", only("member", answer=FORM)),  # no photo: refused
    ("topups.cancel", "POST", ME + "/topups/{topup}/cancel", only("member", answer=ACTS)),  # tests/test_topups.py
    ("topups.index", "GET", OFF + "/topups", office(Duty.READ)),
    ("topups.review", "GET", OFF + "/topups/{topup}", office(Duty.READ)),
    ("topups.proof_photo", "GET", OFF + "/topups/{topup}/proof", office(Duty.READ)),
    ("topups.confirm", "POST", OFF + "/topups/{topup}/confirm", office(Duty.CONFIRM_TOPUP, FORM), BAD_KEY),
    ("topups.reject", "POST", OFF + "/topups/{topup}/reject", office(Duty.CONFIRM_TOPUP, FORM)),  # no reason
    ("topups.statement", "POST", OFF + "/topups/statement", office(Duty.CONFIRM_TOPUP, FORM)),  # no file
    ("topups.confirm_matches", "POST", OFF + "/topups/statement/confirm", office(Duty.CONFIRM_TOPUP, FORM), BAD_KEY),
    ("topups.settings", "GET", OFF + "/topups/settings", office(Duty.READ)),
    ("topups.settings", "POST", OFF + "/topups/settings", office(Duty.MANAGE_SETTINGS, FORM), {"hours": "0"}),
]

# Served before the app's routes (WhiteNoise, web/assets.py and web/media.py), so not in ``app.url_map``: the
# static files and the public product photos are everyone's; the private files (a KTP photo, a legal document,
# a RAT paper) are never served from the media folder, only by their routes above.
FILES = [
    ("/static/{static}", public()),
    ("{photo}", public()),
    ("/media/ktp/{ktp}.webp", spec(NOT_FOUND)),
    ("/media/koperasi/{deed}.pdf", spec(NOT_FOUND)),
    ("/media/meetings/{paper}.pdf", spec(NOT_FOUND)),
    ("/media/p/../ktp/{ktp}.webp", spec(NOT_FOUND)),
]


def _lines() -> list[tuple[str, str, str, Spec, dict]]:
    return [(endpoint, method, url, answers, rest[0] if rest else {}) for endpoint, method, url, answers, *rest in ROUTES]


# ---------------------------------------------------------------- the table is the app's

def test_every_route_of_the_app_has_a_line_in_the_table(app):
    """A new route fails here until it is given its answers for every role."""
    served = {(rule.endpoint, method) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}}
    listed = [(endpoint, method) for endpoint, method, *_ in ROUTES]
    assert len(listed) == len(set(listed)), sorted({line for line in listed if listed.count(line) > 1})
    missing = sorted(served - set(listed))
    assert not missing, "routes with no line in tests/test_routes.py ROUTES (give each role its answer): " + ", ".join(
        f"{endpoint} {method}" for endpoint, method in missing)
    assert not set(listed) - served, sorted(set(listed) - served)


def test_each_line_walks_its_own_route(app):
    adapter = app.url_map.bind("localhost")
    for endpoint, method, url, answers, _data in _lines():
        path = re.sub(r"\{\w+\}", "1", url).split("?")[0]
        assert adapter.match(path, method=method)[0] == endpoint, (endpoint, url)
        assert set(answers) == set(ROLES) and set(answers.values()) <= ANSWERS, endpoint


def _shape(url: str) -> str:
    return re.sub(r"\{\w+\}", "<>", url.split("?")[0])


def test_the_office_lines_name_the_duty_test_duties_tries(app):
    """The table and tests/test_duties.py ACTIONS (every office action done by every role) agree on each duty,
    and each office action this table does not post ("acts") is done there by every role that may."""
    lines = {(_shape(url), method): answers.duty for _e, method, url, answers, _d in _lines() if answers.duty}
    for what, duty, url, data in test_duties.ACTIONS:
        method = "GET" if data is None else "POST"
        duties = {d for _w, d, u, f in test_duties.ACTIONS if _shape(u) == _shape(url) and (f is None) == (data is None)}
        assert lines[_shape(url), method] in duties, (what, lines[_shape(url), method], duty)
    done_there = {(_shape(url), role) for role, _what, _duty, url, _data in test_duties.CHANGES}
    for endpoint, _method, url, answers, _data in _lines():
        for role in STAFF:
            if answers.duty and answers[role] == ACTS:
                assert (_shape(url), role) in done_there, f"{endpoint} by {role}: not posted here nor in test_duties"


# ---------------------------------------------------------------- every route as every role

def _answer_is(expected: str, response) -> bool:
    code = response.status_code
    to_login = code in (302, 303) and urlsplit(response.headers["Location"]).path == "/login"
    if expected == LOGIN:
        return to_login
    if expected == SEE:
        return code in (302, 303) and not to_login
    if expected == FORM:  # the form back (refused), or back to its page: never a 5xx, and nothing changes (below)
        return code in (200, 400, 409, 422) or (code in (302, 303) and not to_login)
    return str(code) == expected


def _send(world, role: str, method: str, url: str, data: dict, **headers):
    url = url.format(**world["ids"])
    client = world["clients"][role]
    if method == "GET":
        return client.get(url, headers=headers)
    return client.post(url, data={name: value.format(**world["ids"]) for name, value in data.items()}, headers=headers)


# Not compared: the sign-in sessions (each request may refresh its own), and what an office page computes and
# keeps when it is shown, to whoever may see it, a refused form's page too (the month's dues bills, the health
# rating's cache).
SHOWN_AND_KEPT = {"user_session", "dues_bill", "health_rating"}


def _snapshot(db) -> dict:
    """Every row of every table but those."""
    db.session.remove()
    with db.engine.connect() as conn:
        return {table.name: conn.execute(table.select().order_by(*table.primary_key)).all()
                for table in db.metadata.sorted_tables if table.name not in SHOWN_AND_KEPT}


def test_every_role_gets_its_answer_on_every_route(world, db, record_property):
    """Each role's pages, then each role's posts: the forbidden refused (403, 404, to the login) and the allowed
    given a refused form; either way nothing in the database changes. The anonymous visitor's htmx requests
    are told to go to the login page (401 and HX-Redirect), not given a fragment of it."""
    wrong, changed, checks = [], [], 0
    lines = _lines()
    for role in ROLES:
        for endpoint, method, url, answers, data in lines:
            if method == "GET":
                response = _send(world, role, method, url, data)
                checks += 1
                if not _answer_is(answers[role], response):
                    wrong.append((role, endpoint, method, answers[role], response.status_code))
                if answers[role] == LOGIN:
                    htmx = _send(world, role, method, url, data, **{"HX-Request": "true"})
                    checks += 1
                    if htmx.status_code != 401 or "/login" not in htmx.headers.get("HX-Redirect", ""):
                        wrong.append((role, endpoint, "GET (htmx)", "401", htmx.status_code))
        before = _snapshot(db)
        for endpoint, method, url, answers, data in lines:
            if method == "POST" and answers[role] != ACTS:
                response = _send(world, role, method, url, data)
                checks += 1
                if not _answer_is(answers[role], response):
                    wrong.append((role, endpoint, method, answers[role], response.status_code))
        after = _snapshot(db)
        checks += 1
        if after != before:
            changed.append((role, sorted(name for name in after if after[name] != before[name])))
    for url, answers in FILES:
        for role in ROLES:
            response = _send(world, role, "GET", url, {})
            checks += 1
            if not _answer_is(answers[role], response):
                wrong.append((role, url, "GET", answers[role], response.status_code))
    record_property("route_checks", checks)
    print(f"\naccess table: {len(ROUTES)} routes × {len(ROLES)} roles, {checks} checks on {db.engine.dialect.name}")
    assert not wrong, f"{len(wrong)} answers differ from the table (role, route, method, expected, got):\n" + "\n".join(
        map(repr, wrong))
    assert not changed, f"refused posts changed rows: {changed}"


def test_an_anonymous_htmx_request_is_sent_to_log_in_not_answered_with_a_500(client, make_koperasi):
    """web/access.py: the office, the member's pages, the RAT's papers and the votes ask who is there first;
    for htmx the login manager answers with a tuple, which ``abort`` alone could not raise (a 500 before)."""
    slug = make_koperasi().slug
    for url in (f"/k/{slug}/office", f"/k/{slug}/me", f"/k/{slug}/rat/1/report", f"/k/{slug}/rat/1/vote"):
        response = client.get(url, headers={"HX-Request": "true"})
        assert response.status_code == 401 and response.headers["HX-Redirect"] == f"/login?next={url}", url
        assert client.get(url).headers["Location"] == f"/login?next={url}"  # without htmx: the login page
