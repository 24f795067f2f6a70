"""Working capital: the seller applies with the store's sales record and pledges a share of
sales; the office sets the ceiling rule (the record beside the application: views/loans.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from models import capital, sales_record
from models.capital import CapitalLoan, SaleDeduction
from models.errors import DomainError
from models.loans import Loan, LoanProduct, LoanStatus
from models.market import Store
from models.orders import Order
from views.capital_forms import CapitalForm, PledgeForm, RuleForm
from views.fields import query_int
from views.forms import failed, run
from views.loan_forms import simulate
from views.loans import LABELS
from web.access import office
from web.extensions import db
from web.render import render, see_other

bp = Blueprint("capital", __name__)


def _own_store(store_id) -> Store:
    """The current user's store (the first one when none is named), else 404."""
    query = sa.select(Store).where(Store.owner_id == current_user.id)
    if store_id:
        query = query.where(Store.id == store_id)
    store = db.session.scalar(query.order_by(Store.created_at, Store.id).limit(1))
    if store is None:
        abort(404)
    return store


def _products(koperasi_id: int) -> list[LoanProduct]:
    return db.session.scalars(sa.select(LoanProduct).where(LoanProduct.koperasi_id == koperasi_id,
                                                           LoanProduct.active.is_(True))
                              .order_by(LoanProduct.name, LoanProduct.id)).all()


@bp.route("/seller/capital", methods=["GET", "POST"])
@login_required
def apply():
    """The seller's working capital: the store's record now, applications, and the form to apply."""
    store = _own_store(request.args.get("store", type=query_int))
    products = _products(store.koperasi_id)
    form = CapitalForm(products=products)

    def operation():
        product = next((p for p in products if p.id == form.product.data), None)
        if product is None:
            raise DomainError(_l("Choose a loan product from the list."), field="product")
        return sales_record.apply_for_capital(store, current_user, product, form.amount.data, form.tenor.data,
                                              form.purpose.data, form.pledge.data)

    if request.method == "POST" and (done := run(form, operation)):
        flash(_("Application sent with your sales record. The koperasi will review it."), "success")
        return see_other(url_for("capital.loan", loan_id=done.value.id))
    rec = sales_record.record(store)
    eligible = None
    try:
        sales_record.seller_membership(store, current_user)
    except DomainError as error:
        eligible = error.message
    sim = simulate(form, products, validate=False) if request.method == "POST" else None
    return render("capital/apply.html", store=store, rec=rec, form=form, products=products, sim=sim,
                  loans=sales_record.capital_loans(store.id), refused=eligible, labels=LABELS,
                  status=422 if failed(form) else 200)


def _own_capital(loan_id: int) -> tuple[CapitalLoan, Loan, Store]:
    found = db.session.execute(sa.select(CapitalLoan, Loan, Store).join(Loan, Loan.id == CapitalLoan.loan_id)
                               .join(Store, Store.id == CapitalLoan.store_id)
                               .where(CapitalLoan.loan_id == loan_id, Store.owner_id == current_user.id)).first()
    if found is None:
        abort(404)
    return found


def _loan_page(loan_id: int, form: PledgeForm | None = None, status: int = 200):
    cap, loan, store = _own_capital(loan_id)
    deductions = db.session.execute(
        sa.select(SaleDeduction, Order.number).join(Order, Order.id == SaleDeduction.order_id)
        .where(SaleDeduction.loan_id == loan.id).order_by(SaleDeduction.id.desc())).all()
    form = form or PledgeForm(formdata=None, pledge=cap.pledge_percent)
    return render("capital/loan.html", cap=cap, loan=loan, store=store, shown=sales_record.snapshot(cap),
                  live=sales_record.record(store), deductions=deductions, form=form,
                  open_loan=loan.status in (LoanStatus.APPLIED, LoanStatus.APPROVED, LoanStatus.ACTIVE),
                  labels=LABELS, status=status)


@bp.get("/seller/capital/<int:loan_id>")
@login_required
def loan(loan_id):
    """One working-capital application or loan: the record shown, the pledge, the deductions from sales."""
    return _loan_page(loan_id)


@bp.post("/seller/capital/<int:loan_id>/pledge")
@login_required
def pledge(loan_id):
    """The seller changes the share of each sale that goes to the loan."""
    cap, _loan, _store = _own_capital(loan_id)
    form = PledgeForm()
    if run(form, lambda: capital.set_pledge(cap, form.pledge.data)):
        flash(_("From now on %(percent)s%% of each sale paid through Kopz goes to the loan.", percent=cap.pledge_percent)
              if cap.pledge_percent else _("Nothing more will be taken from your sales."), "success")
        return see_other(url_for("capital.loan", loan_id=loan_id))
    return _loan_page(loan_id, form, 422)


# ---------------------------------------------------------------- the office's rule

@bp.route("/k/<slug>/office/capital-rule", methods=["GET", "POST"])
def rule(slug):
    """The koperasi's rule for the suggested working-capital ceiling."""
    o = office(slug, "read" if request.method == "GET" else "manage_settings")
    current = capital.rule_of(o.koperasi.id)
    form = RuleForm(formdata=None if request.method == "GET" else request.form, percent=current.percent,
                    months=current.months)
    if request.method == "POST" and run(form, lambda: capital.save_rule(o.koperasi, form.percent.data,
                                                                        form.months.data)):
        flash(_("Working-capital rule saved."), "success")
        return see_other(url_for("capital.rule", slug=slug))
    return render("capital/rule.html", o=o, form=form, status=422 if failed(form) else 200)
