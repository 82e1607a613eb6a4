"""A waiting exchange's receipt under concurrency (PostgreSQL): five workers process the same return order line at
the same moment; the original summary's lock serializes them, so one receipt completes the exchange and the money
moves once (one credit memo, one move), the others are refused."""

from decimal import Decimal as D

import pytest

from orders.calculations.exchange import ExchangeInput, ExchangeItemInput, ReplacementInput, ReplacementTaxInput
from orders.models import Exchange, ReturnOrder
from orders.services.exchanges import submit_exchange
from orders.services.return_orders import ReturnItemInput, return_items
from payments.models import CreditMemo, Refund
from payments.money_check import check_money
from tests.builders import items_by_sku
from tests.console.builders import shipped_and_paid
from tests.orders.test_change_concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_five_concurrent_receipts_complete_the_exchange_once():
    summary = shipped_and_paid()  # the §6 order, 118.80 captured; one A back is worth 43.20
    a = items_by_sku(summary)["A"]
    result = submit_exchange(
        summary.pk,
        ExchangeInput(
            items=(
                ExchangeItemInput(
                    a.pk,
                    D(1),
                    "Wrong Item",
                    ReplacementInput(
                        "A-44", "Trail shoe 44", D(1), D("30.00"), (ReplacementTaxInput("Tax", D("2.40"), D(8)),)
                    ),
                ),
            ),
            hold_replacement_until_returned=True,
        ),
        actor=None,
    )
    (line,) = ReturnOrder.objects.get(pk=result.return_order_id).lines.all()

    outcomes = run_together(
        lambda _: return_items(result.return_order_id, [ReturnItemInput(line.pk, quantity_returned=D(1))]), count=5
    )

    assert sorted(outcomes) == ["ok"] + ["refused"] * 4, outcomes
    exchange = Exchange.objects.get()
    assert (exchange.status, exchange.returned_value, exchange.transferred_amount, exchange.amount_to_refund) == (
        "Completed",
        D("43.20"),
        D("32.40"),
        D("10.80"),
    )
    (memo,) = CreditMemo.objects.filter(order_summary=summary)
    assert memo.total_amount_with_tax == D("43.20")
    moves = Refund.objects.filter(
        order_payment_summary__order_summary=summary, gateway_reference__startswith="exchange "
    )
    assert [refund.amount for refund in moves] == [D("32.40")]
    assert check_money([summary.pk, exchange.exchange_summary_id]) == {}
