"""The effective rate of a loan: what the member really pays for the money they receive.

Rules kept here: the member receives the principal less a deducted fee (a fee paid in cash
at disbursement is the same money) and pays the instalments monthly; the monthly rate m
solves  received = Σ instalment_k / (1 + m)^k  (found by bisection, which cannot miss the
one root: the sum falls as m grows). The annual rate is 12 × m, as Indonesian lenders
quote "per tahun" and as the 24 % cap (2 % a month) is stated; it is checked and shown
to whole hundredths of a percent.
"""

from __future__ import annotations

from collections.abc import Sequence


def monthly_irr(received: float, payments: Sequence[float]) -> float:
    """The monthly rate m at which the payments are worth what was received (0 when they are not more)."""
    if received <= 0 or sum(payments) <= received:
        return 0.0

    def worth(m: float) -> float:
        total = 0.0
        for pay in reversed(payments):  # Horner: Σ p_k v^k with v = 1/(1+m)
            total = (total + pay) / (1 + m)
        return total

    low, high = 0.0, 1.0
    while worth(high) > received:
        high *= 2
    for _ in range(80):
        mid = (low + high) / 2
        low, high = (mid, high) if worth(mid) > received else (low, mid)
    return (low + high) / 2


def effective_annual_bp(received: int | float, payments: Sequence[int | float]) -> int:
    """12 × the monthly rate, in hundredths of a percent a year (2400 = 24 %), rounded half up."""
    return int(monthly_irr(received, payments) * 12 * 10000 + 0.5)


def shape_annual_bp(method: str, monthly_rate_bp: int, fee_bp: int, tenor: int) -> int:
    """The effective rate of a product's terms over ``tenor`` months, on a loan of 1 (before
    rounding to the Rupiah): flat pays 1/n + r a month, declining an annuity."""
    rate = monthly_rate_bp / 10000
    if method == "flat":
        payment = 1 / tenor + rate
    elif rate == 0:
        payment = 1 / tenor
    else:
        payment = rate / (1 - (1 + rate) ** -tenor)
    return effective_annual_bp(1 - fee_bp / 10000, [payment] * tenor)
