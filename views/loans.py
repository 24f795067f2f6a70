"""Loans: products, the public simulator, members applying and repaying, the office's
review, disbursement, teller repayments and portfolio."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from babel.numbers import format_decimal
from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, lazyload
from werkzeug.routing import BuildError

from models import capital, collectability, loan_corrections, sales_record
from models import loans as domain
from models import portfolio as portfolio_rules
from models.capital import CapitalLoan
from models.errors import DomainError
from models.ledger import balances
from models.loans import (
    FEE_MODE_LABELS,
    LATE_FEE_LABELS,
    METHOD_LABELS,
    REBATE_LABELS,
    STATUS_LABELS,
    Instalment,
    Loan,
    LoanProduct,
    LoanStatus,
)
from models.membership import Membership, held_by
from models.statement import entry_label
from models.zones import zone_of
from views.fields import page_of, query_int
from views.forms import dispatch, failed, run
from views.loan_forms import (
    ApplyForm,
    ApproveForm,
    DisburseForm,
    PayFromSavingsForm,
    ProductForm,
    RecoverForm,
    RejectForm,
    RepayForm,
    SimulateForm,
    WriteOffForm,
    simulate,
)
from web.access import my_membership, office, visible_koperasi
from web.extensions import db
from web.render import render, see_other

bp = Blueprint("loans", __name__, url_prefix="/k/<slug>")
PER_PAGE = 20
LABELS = {"status": STATUS_LABELS, "method": METHOD_LABELS, "fee_mode": FEE_MODE_LABELS,
          "late_fee": LATE_FEE_LABELS, "rebate": REBATE_LABELS, "classes": collectability.CLASS_LABELS}


def _today(koperasi=None) -> date:
    """Today where the koperasi is (WIB, WITA or WIT)."""
    return zone_of(koperasi).today()


@bp.app_template_filter("rate")
def rate(hundredths: int | None) -> str:
    """150 → "1,5%" (id) / "1.5%" (en)."""
    if hundredths is None:
        return ""
    return f"{format_decimal(hundredths / 100, format='#,##0.##', locale=get_locale())}%"


@bp.app_template_global()
def has_loan_products(koperasi) -> bool:
    """Does this koperasi lend now? (the profile links the simulator only then)"""
    return bool(db.session.scalar(sa.select(LoanProduct.id).where(
        LoanProduct.koperasi_id == koperasi.id, LoanProduct.active).limit(1)))


def _active_products(koperasi_id: int) -> list[LoanProduct]:
    return list(db.session.scalars(sa.select(LoanProduct).where(
        LoanProduct.koperasi_id == koperasi_id, LoanProduct.active).order_by(LoanProduct.name)))


# ---------------------------------------------------------------- products

@bp.get("/office/loan-products")
def products(slug):
    """The koperasi's loan products and their terms."""
    o = office(slug, "read")
    rows = db.session.scalars(o.select(LoanProduct).order_by(LoanProduct.active.desc(), LoanProduct.name)).all()
    return render("loans/products.html", o=o, products=rows, labels=LABELS)


@bp.route("/office/loan-products/new", methods=["GET", "POST"])
def new_product(slug):
    """Admins create a product (rate within the regulation)."""
    o = office(slug, "manage_settings")
    return _product_form(o, None)


@bp.route("/office/loan-products/<int:product_id>", methods=["GET", "POST"])
def edit_product(slug, product_id):
    """Admins change a product's terms (loans already approved keep theirs)."""
    o = office(slug, "manage_settings")
    return _product_form(o, o.get(LoanProduct, product_id))


def _product_form(o, product):
    form = ProductForm(obj=product)
    if run(form, lambda: domain.save_product(o.koperasi, form.values(), product),
           check=lambda: domain.check_product(form.values())):
        flash(_("Loan product saved."), "success")
        return see_other(url_for("loans.products", slug=o.koperasi.slug))
    return render("loans/product_form.html", o=o, form=form, product=product, status=422 if failed(form) else 200)


# ---------------------------------------------------------------- the simulator

@bp.get("/simulator")
def simulator(slug):
    """Anyone: what a loan would cost, month by month (live with htmx, plain GET without)."""
    koperasi = visible_koperasi(slug)
    products = _active_products(koperasi.id)
    form = SimulateForm(request.args or None, products=products)
    return render("loans/simulator.html", koperasi=koperasi, form=form, products=products,
                  sim=simulate(form, products), labels=LABELS)


# ---------------------------------------------------------------- members

def _my_loans(membership: Membership):
    """The current user's loans in this koperasi (any of their memberships there)."""
    return (sa.select(Loan).join(Membership, Loan.membership_id == Membership.id)
            .where(held_by(current_user.id), Loan.koperasi_id == membership.koperasi_id))


def _my_loan(membership: Membership, loan_id: int) -> Loan:
    loan = db.session.scalar(_my_loans(membership).where(Loan.id == loan_id))
    if loan is None:
        abort(404)
    return loan


@bp.route("/me/loans/new", methods=["GET", "POST"])
@login_required
def apply(slug):
    """An active member applies, seeing what the loan would cost."""
    membership = my_membership(slug)
    products = _active_products(membership.koperasi_id)
    form = ApplyForm(products=products, business_name=membership.business_name if membership.is_umkm else None)

    def operation():
        product = next((p for p in products if p.id == form.product.data), None)
        if product is None:
            raise DomainError(_l("Choose a loan product from the list."), field="product")
        return domain.apply(membership, product, form.amount.data, form.tenor.data, form.purpose.data,
                            form.business_name.data)

    def check():
        if product := next((p for p in products if p.id == form.product.data), None):
            domain.check_application(product, form.amount.data, form.tenor.data, form.purpose.data)

    if request.method == "POST" and (done := run(form, operation, check=check)):
        flash(_("Application sent. The koperasi will review it."), "success")
        return see_other(url_for("loans.my_loan", slug=slug, loan_id=done.value.id))
    sim = simulate(form, products, validate=False) if request.method == "POST" else None
    return render("loans/apply.html", membership=membership, koperasi=membership.koperasi, form=form,
                  products=products, sim=sim, labels=LABELS, status=422 if failed(form) else 200)


@bp.get("/me/loans")
@login_required
def my_loans(slug):
    """The member's loans here, newest first."""
    membership = my_membership(slug)
    rows = db.session.scalars(_my_loans(membership).order_by(Loan.applied_at.desc(), Loan.id.desc())).all()
    today = _today(membership.koperasi)
    return render("loans/my_loans.html", membership=membership, koperasi=membership.koperasi, loans=rows,
                  arrears={loan.id for loan in rows if domain.in_arrears(loan, today)})


@bp.route("/me/loans/<int:loan_id>", methods=["GET", "POST"])
@login_required
def my_loan(slug, loan_id):
    """One of the member's loans: schedule, what is due next, paying from sukarela."""
    if request.method == "POST":
        return dispatch(pay=pay)
    membership = my_membership(slug)
    return _member_loan_page(membership, _my_loan(membership, loan_id), PayFromSavingsForm(formdata=None))


@bp.post("/me/loans/<int:loan_id>/pay")
@login_required
def pay(slug, loan_id):
    """The member pays an instalment from their own simpanan sukarela."""
    membership = my_membership(slug)
    loan = _my_loan(membership, loan_id)
    form = PayFromSavingsForm()
    if done := run(form, lambda: domain.repay(loan, form.amount.data, "sukarela", by=current_user,
                                              key=form.key.data)):
        flash(_("Paid %(amount)s from your simpanan sukarela. Receipt %(ref)s.", amount=_rp(done.value.total),
                ref=done.value.ref), "success")
        return see_other(url_for("loans.my_loan", slug=slug, loan_id=loan.id))
    db.session.expire_all()
    return _member_loan_page(membership, _my_loan(membership, loan_id), form, status=422)


def _member_loan_page(membership, loan, form, status=200):
    today = _today(membership.koperasi)
    show_pay = loan.status == LoanStatus.ACTIVE
    # Its payments, those taken from the seller's sales marked with their order, as the office sees them.
    entries = loan_corrections.receipts(loan.id) if loan.disbursed_on else []
    return render("loans/my_loan.html", membership=membership, koperasi=membership.koperasi, loan=loan,
                  entries=entries, entry_label=entry_label, from_orders=capital.from_orders(loan.id) if entries else {},
                  corrected={entry.reverses_id for entry in entries if entry.reverses_id},
                  rows=instalment_rows(loan, today), owed=domain.owed(loan, today) if show_pay else None,
                  payoff=domain.payoff(loan, today) if show_pay else None, effective=domain.effective_rate_bp(loan),
                  arrears=domain.in_arrears(loan, today), form=form, show_pay=show_pay, fees=late_fees(loan, today),
                  sukarela=balances(loan.membership_id)["sukarela"] if show_pay else 0,
                  labels=LABELS, status=status)


def late_fees(loan: Loan, today: date) -> dict[int, int]:
    """The late fee each instalment still owes today."""
    return {inst.id: domain.late_fee_accrued(loan, inst, today) - inst.late_fee_paid for inst in loan.instalments}


def instalment_rows(loan: Loan, today: date) -> list[tuple[Instalment, str]]:
    """Each instalment with what the member sees: paid, due or overdue."""
    def state(inst):
        if inst.remaining == 0:
            return "paid"
        return "overdue" if inst.due_on < today else "due"

    return [(inst, state(inst)) for inst in loan.instalments]


# ---------------------------------------------------------------- the office: portfolio

@bp.get("/office/loans")
def portfolio(slug):
    """Loans by status, outstanding, overdue and NPL; applications to review; loans in arrears."""
    o = office(slug, "read")
    today = _today(o.koperasi)
    numbers = portfolio_rules.figures(o.koperasi.id, today)
    waiting = numbers["counts"][LoanStatus.APPLIED] + numbers["counts"][LoanStatus.APPROVED]
    qpage, qpages = page_of(waiting, PER_PAGE, "qpage")
    queue = db.session.scalars(
        o.select(Loan).where(Loan.status.in_([LoanStatus.APPLIED, LoanStatus.APPROVED]))
        .options(lazyload(Loan.instalments)).order_by(Loan.status, Loan.applied_at, Loan.id)
        .limit(PER_PAGE).offset((qpage - 1) * PER_PAGE)).all()
    page, pages = page_of(numbers["in_arrears"], PER_PAGE, "page")
    arrears = portfolio_rules.in_arrears(o.koperasi.id, today, PER_PAGE, (page - 1) * PER_PAGE)
    return render("loans/portfolio.html", o=o, n=numbers, queue=queue, waiting=waiting, qpage=qpage,
                  qpages=qpages, arrears=arrears, page=page, pages=pages, labels=LABELS, today=today)


# ---------------------------------------------------------------- the office: every loan

LIST_FILTERS = {
    LoanStatus.APPLIED: STATUS_LABELS[LoanStatus.APPLIED],
    LoanStatus.APPROVED: STATUS_LABELS[LoanStatus.APPROVED],
    LoanStatus.ACTIVE: STATUS_LABELS[LoanStatus.ACTIVE],
    "current": _l("Being repaid, on time"),
    "overdue": _l("In arrears"),
    LoanStatus.PAID_OFF: STATUS_LABELS[LoanStatus.PAID_OFF],
    LoanStatus.WRITTEN_OFF: STATUS_LABELS[LoanStatus.WRITTEN_OFF],
    LoanStatus.REJECTED: STATUS_LABELS[LoanStatus.REJECTED],
}


def _paginate(query):
    """One page of PER_PAGE (a page past the end shows the last one)."""
    page = max(request.args.get("page", 1, type=query_int), 1)
    found = db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)
    if page > 1 and page > found.pages:
        found = db.paginate(query, page=max(found.pages, 1), per_page=PER_PAGE, error_out=False)
    return found


@bp.get("/office/loans/list")
def loan_list(slug):
    """The whole portfolio, newest first, filtered by status, 20 a page."""
    o = office(slug, "read")
    today = _today(o.koperasi)
    chosen = request.args.get("status", "")
    chosen = chosen if chosen in LIST_FILTERS else ""
    found = _paginate(portfolio_rules.filtered(o.select(Loan), chosen, today).options(lazyload(Loan.instalments))
                      .order_by(Loan.applied_at.desc(), Loan.id.desc()))
    return render("loans/list.html", o=o, found=found, chosen=chosen, filters=LIST_FILTERS, today=today,
                  due=portfolio_rules.due_by_loan([loan.id for loan in found.items if loan.status == LoanStatus.ACTIVE], today))


def member_loans(o, membership_id: int) -> list[tuple[Loan, domain.Owed | None]]:
    """A member's loans here, newest first, each being repaid with what is owed (member pages)."""
    today = _today(o.koperasi)
    rows = db.session.scalars(o.select(Loan).where(Loan.membership_id == membership_id)
                              .options(lazyload(Loan.membership))  # the page has the member already
                              .order_by(Loan.applied_at.desc(), Loan.id.desc())).all()
    return [(loan, domain.owed(loan, today) if loan.status == LoanStatus.ACTIVE else None) for loan in rows]


# ---------------------------------------------------------------- the office: one loan

@bp.route("/office/loans/<int:loan_id>", methods=["GET", "POST"])
def review(slug, loan_id):
    """One loan: the member's savings and other loans; decide, pay out, take repayments."""
    if request.method == "POST":
        return dispatch(approve=approve, reject=reject, disburse=disburse, repay=repay, write_off=write_off,
                        recover=recover)
    o = office(slug, "read")
    # The member's koperasi is this office's: no second load of it (and of its services).
    # A seller's application comes with its sales record: looked up in the same query.
    found = db.session.execute(sa.select(Loan, CapitalLoan).outerjoin(CapitalLoan, CapitalLoan.loan_id == Loan.id)
                               .where(Loan.id == loan_id)
                               .options(joinedload(Loan.membership).lazyload(Membership.koperasi))).first()
    if found is None or found[0].koperasi_id != o.koperasi.id:
        abort(404)
    return _review_page(o, found[0], cap=found[1])


@bp.post("/office/loans/<int:loan_id>/approve")
def approve(slug, loan_id):
    """Approve, possibly for less than asked."""
    o = office(slug, "approve_loan")
    loan = o.get(Loan, loan_id)
    form = ApproveForm()
    if run(form, lambda: domain.approve(loan, current_user, form.amount.data)):
        flash(_("Loan approved for %(amount)s.", amount=_rp(loan.principal_idr)), "success")
        return see_other(url_for("loans.review", slug=slug, loan_id=loan.id))
    return _review_page(o, loan, approve_form=form, status=422)


@bp.post("/office/loans/<int:loan_id>/reject")
def reject(slug, loan_id):
    """Reject, with a reason the member sees."""
    o = office(slug, "approve_loan")
    loan = o.get(Loan, loan_id)
    form = RejectForm()
    if run(form, lambda: domain.reject(loan, current_user, form.reason.data)):
        flash(_("Application rejected. The member will see your reason."), "success")
        return see_other(url_for("loans.review", slug=slug, loan_id=loan.id))
    return _review_page(o, loan, reject_form=form, status=422)


@bp.post("/office/loans/<int:loan_id>/disburse")
def disburse(slug, loan_id):
    """Pay the approved loan out (once per form: a retry returns the first receipt)."""
    o = office(slug, "disburse_loan")
    loan = o.get(Loan, loan_id)
    form = DisburseForm()
    if done := run(form, lambda: domain.disburse(loan, current_user, form.means.data, key=form.key.data)):
        return _after_posting(slug, loan, done.value, _("Loan paid out. Receipt %(ref)s.", ref=done.value.ref))
    return _review_page(o, loan, disburse_form=form, status=422)


@bp.post("/office/loans/<int:loan_id>/repay")
def repay(slug, loan_id):
    """A repayment at the teller: cash, bank, or the member's simpanan sukarela."""
    o = office(slug, "post_money")
    loan = o.get(Loan, loan_id)
    form = RepayForm()
    if done := run(form, lambda: domain.repay(loan, form.amount.data, form.source.data, by=current_user,
                                              key=form.key.data)):
        return _after_posting(slug, loan, done.value,
                              _("Repayment of %(amount)s recorded. Receipt %(ref)s.", amount=_rp(done.value.total),
                                ref=done.value.ref))
    db.session.expire_all()
    return _review_page(o, o.get(Loan, loan_id), repay_form=form, status=422)


@bp.post("/office/loans/<int:loan_id>/write-off")
def write_off(slug, loan_id):
    """The board writes a loan off (hapus buku), with a reason: off the books, still owed."""
    o = office(slug, "write_off_loan")
    loan = o.get(Loan, loan_id)
    form = WriteOffForm()
    if done := run(form, lambda: collectability.write_off(loan, current_user, form.reason.data, key=form.key.data)):
        return _after_posting(slug, loan, done.value, _("Loan written off. Receipt %(ref)s.", ref=done.value.ref))
    db.session.expire_all()
    return _review_page(o, o.get(Loan, loan_id), write_off_form=form, status=422)


@bp.post("/office/loans/<int:loan_id>/recover")
def recover(slug, loan_id):
    """The teller takes money on a written-off loan: booked as income (a recovery)."""
    o = office(slug, "post_money")
    loan = o.get(Loan, loan_id)
    form = RecoverForm()
    if done := run(form, lambda: collectability.recover(loan, form.amount.data, form.means.data, current_user,
                                                        key=form.key.data)):
        return _after_posting(slug, loan, done.value, _("Recovery recorded. Receipt %(ref)s.", ref=done.value.ref))
    db.session.expire_all()
    return _review_page(o, o.get(Loan, loan_id), recover_form=form, status=422)


def _after_posting(slug, loan, entry, message):
    """To the receipt page when the teller area has one, else back to the loan with the number."""
    receipt = receipt_url(slug, entry)
    if receipt:
        return see_other(receipt)
    flash(message, "success")
    return see_other(url_for("loans.review", slug=slug, loan_id=loan.id))


def receipt_url(slug: str, entry) -> str | None:
    if "teller.receipt" not in current_app.view_functions:
        return None
    rule = next(current_app.url_map.iter_rules("teller.receipt"))
    values = {"slug": slug, "entry_id": entry.id, "ref": entry.ref, "receipt": entry.ref, "id": entry.id}
    try:
        return url_for("teller.receipt", **{k: v for k, v in values.items() if k in rule.arguments})
    except BuildError:
        return None


def _review_page(o, loan, approve_form=None, reject_form=None, disburse_form=None, repay_form=None,
                 write_off_form=None, recover_form=None, status=200, cap=sales_record.LOOK_UP):
    today = _today(o.koperasi)
    entries = loan_corrections.receipts(loan.id)
    corrected = {entry.reverses_id for entry in entries if entry.reverses_id}
    correctable = loan_corrections.next_to_correct(loan, entries) if o.can("correct_entry") else None
    late = portfolio_rules.late(today)
    owed = domain.owed(loan, today) if loan.status == LoanStatus.ACTIVE else None
    due_form = RepayForm(formdata=None)  # the one-tap "pay what is due" button: its own one-time key
    payoff_form = RepayForm(formdata=None)  # "pay off today": its own one-time key
    payoff = domain.payoff(loan, today) if owed else None
    if owed:
        due_form.amount.data = owed.due_now
        payoff_form.amount.data = payoff.total
    others = db.session.execute(
        o.select(Loan).add_columns(late).where(Loan.membership_id == loan.membership_id, Loan.id != loan.id)
        .options(lazyload(Loan.instalments), lazyload(Loan.membership)).order_by(Loan.applied_at.desc())).all()
    working = sales_record.for_office(loan, cap)  # a seller's application: the record beside it
    return render("loans/review.html", o=o, loan=loan, m=loan.membership, savings=balances(loan.membership_id),
                  others=others, working=working, from_orders=capital.from_orders(loan.id) if working else {},
                  rows=instalment_rows(loan, today), labels=LABELS,
                  owed=owed, arrears=domain.in_arrears(loan, today), due_form=due_form,
                  payoff=payoff, payoff_form=payoff_form, effective=domain.effective_rate_bp(loan),
                  fees=late_fees(loan, today), entries=entries, entry_label=entry_label, corrected=corrected,
                  correctable=correctable,
                  klass=collectability.class_of(days_late(loan, today)) if owed else None,
                  days_late=days_late(loan, today) if owed else 0,
                  still_owed=collectability.still_owed(loan, today) if loan.status == LoanStatus.WRITTEN_OFF else 0,
                  recovered=collectability.recovered(loan.id) if loan.status == LoanStatus.WRITTEN_OFF else 0,
                  write_off_form=write_off_form or WriteOffForm(formdata=None),
                  recover_form=recover_form or RecoverForm(formdata=None),
                  approve_form=approve_form or ApproveForm(formdata=None),
                  reject_form=reject_form or RejectForm(formdata=None),
                  disburse_form=disburse_form or DisburseForm(formdata=None),
                  repay_form=repay_form or RepayForm(formdata=None), status=status)


def days_late(loan: Loan, today: date) -> int:
    """Days the oldest unpaid instalment is past due (0 when none is)."""
    late = [inst.due_on for inst in loan.instalments if inst.settled_on is None and inst.due_on < today]
    return (today - min(late)).days if late else 0


def _rp(amount: int) -> str:
    from web.i18n import idr

    return idr(amount)
