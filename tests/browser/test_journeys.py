"""Every flow a user has, end to end in Chromium at 360 px, through the real UI; the
layout guard measures every page on the way (see journeys.py). The core journeys run
with JavaScript on and again with it off: every page must also work as plain HTML."""

from __future__ import annotations

import pytest

from tests.browser import journeys

BOTH = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])


@BOTH
def test_find_and_join_a_koperasi_get_approved_and_pay_pokok(request, actor, js):
    journeys.find_and_join(request, actor, js=js)


@BOTH
def test_deposit_and_withdraw_sukarela_at_the_teller_with_receipts(request, actor, js):
    journeys.deposit_and_withdraw(request, actor, js=js)


@BOTH
def test_apply_approve_disburse_and_repay_a_loan(request, actor, js):
    journeys.loan(request, actor, js=js)


@BOTH
def test_shop_from_two_stores_and_pay_from_savings(request, actor, js):
    journeys.shop_and_pay_from_savings(request, actor, js=js)


@BOTH
def test_browse_the_catalogue_in_english_then_log_in_and_add_to_cart(request, actor, js):
    journeys.browse_in_english_then_buy(request, actor, js=js)


def test_open_a_store_add_a_product_with_a_photo_and_change_stock_offline(request, actor):
    journeys.store_and_stock(request, actor, js=True)  # offline stock needs the worker and IndexedDB


def test_the_seller_moves_an_order_to_completed(request, actor):
    journeys.seller_completes_order(request, actor, js=True)
