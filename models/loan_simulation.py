"""What a loan would cost before anyone applies: the public simulator and the
application form show the same numbers, computed by the same rules as the loan.

Rules kept here: the amount and tenor must fit the product (``loans.check_terms``);
the schedule is the one a disbursed loan gets (``loans.schedule``) and the fee the one
it is charged (``loans.fee_for``), starting today in WIB.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from models.loans import LoanProduct, check_terms, fee_for, loan_effective_bp, schedule
from models.zones import WIB


@dataclass
class Simulation:
    """The numbers of a simulated loan, or the one message saying why there are none."""

    error: str | None = None
    product: LoanProduct | None = None
    amount: int = 0
    rows: list = field(default_factory=list)
    fee: int = 0

    @property
    def interest(self) -> int:
        return sum(row.interest for row in self.rows)

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)

    @property
    def first(self) -> int:
        return self.rows[0].total if self.rows else 0

    @property
    def typical(self) -> int:
        return Counter(row.total for row in self.rows).most_common(1)[0][0] if self.rows else 0

    @property
    def effective_bp(self) -> int:
        """The effective annual rate with the fee (``models.loan_rate``)."""
        return loan_effective_bp(self.amount, self.fee, self.rows)

    @property
    def net(self) -> int:
        return self.amount - self.fee if self.product.fee_mode == "deducted" else self.amount


def simulate(product: LoanProduct, amount: int, tenor: int, today: date | None = None) -> Simulation:
    """The schedule and fee of ``amount`` over ``tenor`` months; DomainError when the
    terms do not fit the product."""
    check_terms(product, amount, tenor)
    rows = schedule(amount, tenor, product.method, product.monthly_rate_bp, today or WIB.today())
    return Simulation(product=product, amount=amount, rows=rows, fee=fee_for(product, amount))
