"""The core journeys again with JavaScript off: every page must work as plain HTML
(the same steps as test_journeys.py, from journeys.py)."""

from __future__ import annotations

from tests.browser import journeys


def test_find_and_join_a_koperasi_get_approved_and_pay_pokok(request, actor):
    journeys.find_and_join(request, actor, js=False)


def test_deposit_and_withdraw_sukarela_at_the_teller_with_receipts(request, actor):
    journeys.deposit_and_withdraw(request, actor, js=False)


def test_apply_approve_disburse_and_repay_a_loan(request, actor):
    journeys.loan(request, actor, js=False)


def test_shop_from_two_stores_and_pay_from_savings(request, actor):
    journeys.shop_and_pay_from_savings(request, actor, js=False)
