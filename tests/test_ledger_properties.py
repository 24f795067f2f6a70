"""Property-based tests of the money rules: whatever a teller does, in any order, with
any amount (including ones that must be refused), the books stay sound.

After every step of a random sequence of deposits, withdrawals, loan disbursements
and repayments: every entry balances, no savings balance is negative, cash and bank
never go below zero (a payout they cannot cover is refused), the cached
balances equal the lines (``books_check.check() == []``), each balance is what a simple
model of the rules predicts, and an operation is refused exactly when the rules say
it must be. Loan schedules always add up, for any principal, tenor, rate and method.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import sqlalchemy as sa
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from models import books_check, ledger, loans, savings
from models.errors import DomainError
from models.ledger import MAX_AMOUNT, Account, Entry, Line, SavingsBalance, round_idr
from models.membership import Membership
from tests.conftest import board, empty_tables, fund
from web.extensions import db as _db

# No deadline (database round trips vary); function-scoped fixtures are fine here
# because each example empties the tables itself.
BASE = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# ---------------------------------------------------------------- schedules


@settings(BASE, max_examples=300)
@given(principal=st.integers(1, 10**9), tenor=st.integers(1, 120), rate=st.integers(0, 200),
       method=st.sampled_from(["flat", "annuity"]),
       start=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)))
def test_schedules_always_add_up(principal, tenor, rate, method, start):
    rows = loans.schedule(principal, tenor, method, rate, start)
    assert [r.seq for r in rows] == list(range(1, tenor + 1))
    assert sum(r.principal for r in rows) == principal  # the member repays exactly what was lent
    assert sum(r.total for r in rows) == principal + sum(r.interest for r in rows)
    assert all(r.principal >= 0 and r.interest >= 0 for r in rows)
    assert all(a.due_on < b.due_on for a, b in pairwise(rows))  # one a month
    assert rows[0].due_on == loans.add_months(start, 1)
    if method == "flat":
        assert {r.interest for r in rows} == {round_idr(principal * rate / 10000)}
        assert sum(r.total for r in rows) == principal + tenor * round_idr(principal * rate / 10000)
    else:  # interest on the remaining balance, half up to the Rupiah
        left = principal
        for r in rows:
            assert r.interest == round_idr(Decimal(left) * rate / 10000)
            left -= r.principal
        assert left == 0


# ---------------------------------------------------------------- random teller sessions

START = date(2025, 1, 6)
small = st.integers(1, 400_000)
amounts = st.one_of(small, small, small, st.sampled_from([0, -5_000, 100_000, 25_000, MAX_AMOUNT + 1]))
kinds = st.sampled_from(["pokok", "wajib", "sukarela", "sukarela", "sukarela"])
means = st.sampled_from(["cash", "bank", "cash", "bank", "gopay"])  # gopay: not a means we take
member_index = st.sampled_from([0, 0, 0, 1, 2])  # 0, 1: active; 2: approved, pokok not paid yet
operations = st.one_of(
    st.tuples(st.just("deposit"), member_index, kinds, amounts, means),
    st.tuples(st.just("deposit"), member_index, st.just("sukarela"), small, means),
    st.tuples(st.just("deposit"), member_index, kinds, st.just("pokok due"), means),
    st.tuples(st.just("withdraw"), member_index, amounts, means),
    st.tuples(st.just("withdraw"), member_index, st.sampled_from(["all", "half", "all+1"]), means),
    st.tuples(st.just("borrow"), member_index, st.integers(0, 1),
              st.one_of(st.integers(100_000, 6_000_000), st.integers(1, 99_999), st.sampled_from([0, 20_000_001])),
              st.one_of(st.integers(6, 24), st.integers(1, 30))),
    st.tuples(st.just("repay"), st.integers(0, 5), st.one_of(small, st.sampled_from(["all", "all+1", "next"])),
              st.sampled_from(["cash", "bank", "sukarela"])),
    st.tuples(st.just("repay"), st.integers(0, 5), st.sampled_from(["next", "next", "all"]),
              st.sampled_from(["cash", "bank", "sukarela"])),
    st.tuples(st.just("wait"), st.integers(1, 75)),
)


def _fresh_books(make_koperasi, make_staff, make_member):
    """Each example starts from empty tables (the autouse cleaner runs per test, not
    per example): a koperasi, a teller, two active members, one approved, two products."""
    empty_tables()
    # Small opening cash and bank, so payouts they cannot cover come up and must be refused.
    kop = fund(fund(make_koperasi(pokok_idr=100_000, wajib_idr=25_000), 3_000_000, "cash"), 1_000_000, "bank")
    teller = make_staff(kop, "teller")
    members = [make_member(kop), make_member(kop), make_member(kop, status="approved")]
    products = [
        loans.save_product(kop, dict(name="Modal Usaha UMKM", method="flat", monthly_rate_bp=100, fee_bp=100,
                                     fee_mode="deducted", max_amount_idr=20_000_000, min_tenor=3, max_tenor=24,
                                     late_fee_mode="per_day", late_fee_idr=5_000)),
        loans.save_product(kop, dict(name="Pinjaman Konsumtif", method="annuity", monthly_rate_bp=125,
                                     fee_bp=50, fee_mode="upfront", max_amount_idr=20_000_000, min_tenor=6,
                                     max_tenor=24, late_fee_mode="per_instalment", late_fee_idr=25_000)),
    ]
    _db.session.commit()
    return teller, [m.id for m in members], products


def _money() -> dict[str, int]:
    """What the koperasi holds in cash and in the bank (the cached balances)."""
    return dict(_db.session.execute(sa.select(Account.purpose, Account.balance).where(
        Account.purpose.in_(["cash", "bank"]))).all())


def _books_are_sound(model: dict[tuple[int, str], int], member_ids: list[int], day: date) -> None:
    assert books_check.check() == []
    assert min(_money().values()) >= 0  # cash and bank never below zero
    unbalanced = _db.session.execute(sa.select(Line.entry_id).group_by(Line.entry_id)
                                     .having(sa.func.sum(Line.amount) != 0)).all()
    assert unbalanced == []  # debits = credits, entry by entry
    assert _db.session.scalar(sa.select(sa.func.min(SavingsBalance.balance))) >= 0
    for member_id in member_ids:
        assert ledger.balances(member_id) == {k: model.get((member_id, k), 0) for k in ("pokok", "wajib", "sukarela")}
    for loan in _db.session.scalars(sa.select(loans.Loan).where(loans.Loan.status.in_(["active", "paid_off"]))):
        assert sum(i.principal_due for i in loan.instalments) == loan.principal_idr
        assert all(0 <= i.principal_paid <= i.principal_due and 0 <= i.interest_paid <= i.interest_due
                   for i in loan.instalments)
        assert (loan.status == "paid_off") == (loans.owed(loan, day).total == 0)


@settings(BASE, max_examples=30)
@example(steps=[  # a day at the counter that touches every rule at least once
    ("deposit", 0, "sukarela", 300_000, "cash"), ("withdraw", 0, "half", "bank"), ("withdraw", 0, "all+1", "cash"),
    ("deposit", 2, "wajib", 25_000, "cash"), ("deposit", 2, "pokok", 50_000, "cash"),
    ("deposit", 2, "pokok", "pokok due", "cash"), ("deposit", 2, "pokok", "pokok due", "cash"),
    ("deposit", 2, "wajib", 25_000, "bank"), ("borrow", 0, 0, 1_000_000, 12), ("borrow", 1, 1, 2_500_000, 6),
    ("wait", 40), ("repay", 0, "next", "sukarela"), ("repay", 1, "all+1", "bank"), ("repay", 1, "all", "bank"),
    ("repay", 1, 1, "cash"), ("withdraw", 0, "all", "cash")])
@given(steps=st.lists(operations, min_size=4, max_size=20))
def test_any_sequence_of_teller_operations_keeps_the_books(steps, make_koperasi, make_staff, make_member):
    teller, member_ids, products = _fresh_books(make_koperasi, make_staff, make_member)
    model = {(m, k): v for m in member_ids for k, v in ledger.balances(m).items()}
    loan_ids: list[int] = []
    day = START
    for step in steps:
        op, *args = step
        if op == "wait":
            day += timedelta(days=args[0])
            continue
        expected = None  # True: must succeed; False: must be refused; None: not predicted
        money = _money()
        try:
            if op == "deposit":
                index, kind, amount, how = args
                member = _db.session.get(Membership, member_ids[index])
                if amount == "pokok due":  # what the teller's form offers
                    amount = max(savings.pokok_due(member), 1)
                ok_amount = 0 < amount <= MAX_AMOUNT
                if kind == "pokok":
                    expected = (ok_amount and how != "gopay" and member.status == "approved"
                                and amount == savings.pokok_due(member))
                else:
                    expected = ok_amount and how != "gopay" and member.status == "active"
                entry = savings.deposit(member, kind, amount, how, teller)
                model[(member.id, kind)] += amount
            elif op == "withdraw":
                index, amount, how = args
                member = _db.session.get(Membership, member_ids[index])
                held = model[(member.id, "sukarela")]
                amount = {"all": held, "half": held // 2, "all+1": held + 1}.get(amount, amount)
                expected = (0 < amount <= MAX_AMOUNT and how != "gopay" and member.status == "active"
                            and model[(member.id, "sukarela")] >= amount and money.get(how, 0) >= amount)
                entry = savings.withdraw(member, amount, how, teller)
                model[(member.id, "sukarela")] -= amount
            elif op == "borrow":
                index, product_index, amount, tenor = args
                member = _db.session.get(Membership, member_ids[index])
                loan = loans.apply(member, products[product_index], amount, tenor, "Modal usaha warung")
                loans.approve(loan, board(member.koperasi))  # the board approves, the teller pays out
                entry = loans.disburse(loan, teller, "cash", today=day)
                assert entry.total == amount
                loan_ids.append(loan.id)
            else:  # repay
                index, amount, source = args
                if not loan_ids:
                    continue
                loan = _db.session.get(loans.Loan, loan_ids[index % len(loan_ids)])
                owed = loans.owed(loan, day)
                amount = {"all": owed.total, "all+1": owed.total + 1,
                          "next": owed.next_due.remaining if owed.next_due else 1}.get(amount, amount)
                expected = (loan.status == "active" and 0 < amount <= owed.total
                            and (source != "sukarela" or model[(loan.membership_id, "sukarela")] >= amount))
                entry = loans.repay(loan, amount, source, teller, today=day)
                if source == "sukarela":
                    model[(loan.membership_id, "sukarela")] -= amount
                assert entry.total == amount
                assert loans.owed(loan, day).total == owed.total - amount  # nothing lost, nothing extra
            assert sum(line.amount for line in entry.lines) == 0
            _db.session.commit()
            if expected is not None:
                assert expected, f"{step} should have been refused"
            event(f"{op} posted")
            if op == "deposit" and args[1] == "pokok":  # paying pokok in full activates the member
                assert _db.session.get(Membership, member_ids[args[0]]).status == "active"
        except DomainError:
            _db.session.rollback()
            event(f"{op} refused")
            if expected is not None:
                assert not expected, f"{step} was refused but the rules allow it"
        _books_are_sound(model, member_ids, day)
    # The whole session's money adds up: what came in and went out of cash and bank
    # is what the members hold, owe, and paid the koperasi.
    assert _db.session.scalar(sa.select(sa.func.sum(Line.amount))) == 0
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Entry)) >= 2  # the two pokok payments
