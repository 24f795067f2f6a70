"""Every flow a user has, end to end in Chromium at 360 px with JavaScript on, through
the real UI; the layout guard measures every page on the way (see journeys.py)."""

from __future__ import annotations

from tests.browser import journeys


def test_find_and_join_a_koperasi_get_approved_and_pay_pokok(request, actor):
    journeys.find_and_join(request, actor, js=True)


def test_deposit_and_withdraw_sukarela_at_the_teller_with_receipts(request, actor):
    journeys.deposit_and_withdraw(request, actor, js=True)


def test_apply_approve_disburse_and_repay_a_loan(request, actor):
    journeys.loan(request, actor, js=True)


def test_open_a_store_add_a_product_with_a_photo_and_change_stock_offline(request, actor):
    journeys.store_and_stock(request, actor, js=True)


def test_shop_from_two_stores_and_pay_from_savings(request, actor):
    journeys.shop_and_pay_from_savings(request, actor, js=True)


def test_the_seller_moves_an_order_to_completed(request, actor):
    journeys.seller_completes_order(request, actor, js=True)
