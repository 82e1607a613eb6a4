"""Simple return service against the database (DOMAIN.md §2, §3.1, §3.6, §6)."""

from decimal import Decimal as D

import pytest

from orders.errors import InvalidState
from orders.funds import funds_position
from orders.models import ChangeType, ItemStatus, Order, OrderItemSummary
from orders.services.simple_return import preview_return, submit_return
from tests.builders import (
    address,
    ingest,
    item,
    items_by_sku,
    mark_captured,
    order_body,
    set_fulfillment_state,
    worked_example,
)
from tests.change_builders import assert_rebuilds, change, current, fee

pytestmark = pytest.mark.django_db


def fulfilled_worked_example():
    summary = worked_example()
    for ois in summary.item_summaries.all():
        set_fulfillment_state(ois, allocated=ois.quantity_ordered, fulfilled=ois.quantity_ordered)
    # the invoice of 118.80 was paid by capturing the authorization
    mark_captured(summary, "118.80")
    summary.refresh_from_db()
    return summary


def test_worked_example_return_one_a_without_shipping_reduction():
    summary = fulfilled_worked_example()
    a = items_by_sku(summary)["A"]
    preview = preview_return(summary.pk, [change(a.pk, 1, reason="Damaged")])
    b = preview.balances
    # 40.00 + 3.20 = 43.20 comes off and is owed back as credit; nothing is excess:
    # 118.80 captured - 75.60 new grand total - 43.20 credit = 0
    assert (b.total_amount, b.total_tax_amount, b.grand_total_amount) == (D("40.00"), D("3.20"), D("43.20"))
    assert b.total_adjusted_delivery_amount == 0
    assert b.total_excess_funds_amount == 0
    assert b.total_refundable_amount == D("43.20")

    result = submit_return(summary.pk, [change(a.pk, 1, reason="Damaged")], actor=None)
    assert vars(result.balances) == vars(preview.balances)
    order = Order.objects.get(pk=result.change_order_id)
    assert order.change_type == ChangeType.RETURN and order.fulfillment_phase == ""
    assert order.is_post_fulfillment_reduction
    assert (order.total_amount, order.total_tax_amount, order.grand_total_amount) == (
        D("-40.00"),
        D("-3.20"),
        D("-43.20"),
    )
    a.refresh_from_db()
    assert (a.quantity_returned, a.quantity_return_initiated, a.quantity) == (1, 1, 1)
    assert a.status == ItemStatus.FULFILLED
    summary.refresh_from_db()
    assert summary.grand_total_amount == D("75.60")
    # the position after the submit is what the preview announced
    position = funds_position(summary)
    assert position.total_refundable_amount == D("43.20")
    assert position.total_excess_funds_amount == 0
    assert_rebuilds(summary)


def test_return_everything_returns_the_summary():
    summary = fulfilled_worked_example()
    items = items_by_sku(summary)
    submit_return(summary.pk, [change(items["A"].pk, 2, shipping=True), change(items["B"].pk, 1)], actor=None)
    summary.refresh_from_db()
    assert summary.grand_total_amount == 0
    assert summary.status == "Returned"
    assert OrderItemSummary.objects.get(pk=items["A"].pk).status == ItemStatus.RETURNED
    assert_rebuilds(summary)


def awkward_order():
    """3 × 33.33 = 99.99 at 8.875 % (8.87), discount -10.00 (tax -0.89), all shipped."""
    body = order_body(
        groups=[
            {
                "referenceId": "g",
                "deliverTo": address(),
                "deliveryMethod": "Ground",
                "items": [
                    item(
                        "X",
                        3,
                        "33.33",
                        rate="8.875",
                        adjustments=[
                            {
                                "name": "PROMO",
                                "amount": D("-10.00"),
                                "taxes": [{"name": "Sales tax", "rate": D("8.875"), "amount": D("-0.89")}],
                            }
                        ],
                    )
                ],
            }
        ]
    )
    summary = ingest(body)
    x = items_by_sku(summary)["X"]
    set_fulfillment_state(x, allocated=3, fulfilled=3)
    return summary, x


def test_returning_units_one_at_a_time_equals_all_at_once():
    one_by_one, x1 = awkward_order()
    at_once, x2 = awkward_order()
    submit_return(one_by_one.pk, [change(x1.pk, 1)], actor=None)
    submit_return(one_by_one.pk, [change(x1.pk, 1)], actor=None)
    submit_return(at_once.pk, [change(x2.pk, 2)], actor=None)
    x1.refresh_from_db()
    x2.refresh_from_db()
    assert current(x1) == current(x2)
    # 2 of 3 at once: line 66.66; tax round(8.87 × 2/3 = 5.913) = 5.91; discount round(-6.667) = -6.67,
    # its tax round(-0.593) = -0.59; left: 33.33, 2.96, -3.33, -0.30
    assert current(x2) == {
        "quantity": 1,
        "line": D("33.33"),
        "line_tax": D("2.96"),
        "adjustment": D("-3.33"),
        "adjustment_tax": D("-0.30"),
    }
    submit_return(one_by_one.pk, [change(x1.pk, 1)], actor=None)
    x1.refresh_from_db()
    assert all(value == 0 for value in current(x1).values())
    assert_rebuilds(one_by_one)
    assert_rebuilds(at_once)


def test_return_with_percentage_gross_fee():
    summary = fulfilled_worked_example()
    a = items_by_sku(summary)["A"]
    result = submit_return(summary.pk, [change(a.pk, 1, fees=[fee("10", "PercentageGross")])], actor=None)
    # 10 % of 43.20 = 4.32 with tax; 4.32 / 1.08 = 4.00 + 0.32
    assert (result.balances.total_fee_amount, result.balances.total_fee_tax_amount) == (D("4.00"), D("0.32"))
    assert result.fee_change_order_id is not None
    # the credit owed stays 43.20; the grand total is 118.80 - 43.20 + 4.32 = 79.92, so captured
    # 118.80 - 79.92 - 43.20 = -4.32: no excess
    assert result.balances.total_refundable_amount == D("43.20")
    summary.refresh_from_db()
    assert summary.grand_total_amount == D("79.92")
    assert_rebuilds(summary)


def test_unshipped_units_cannot_be_returned():
    summary = worked_example()
    with pytest.raises(InvalidState) as refused:
        submit_return(summary.pk, [change(items_by_sku(summary)["A"].pk, 1)], actor=None)
    assert refused.value.errors[0].field == "changeItems[0].quantity"
    assert Order.objects.filter(order_summary=summary).count() == 0


def test_cannot_return_more_than_shipped_and_not_yet_returned():
    summary = fulfilled_worked_example()
    a = items_by_sku(summary)["A"]
    submit_return(summary.pk, [change(a.pk, 1)], actor=None)
    with pytest.raises(InvalidState):
        submit_return(summary.pk, [change(a.pk, 2)], actor=None)
