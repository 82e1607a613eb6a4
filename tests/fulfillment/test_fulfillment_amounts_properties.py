"""§3.4 as a property: however the units are split over fulfillment orders and canceled off them, the
lines of live fulfillment orders hold exactly the item's amounts, to the cent, once every unit is placed."""

import itertools
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.models import FulfillmentOrderLineItem
from orders.services.fulfillment_cancel import LineToCancel, cancel_fulfillment_order_items
from tests.builders import address, ingest, item, items_by_sku, order_body, tax
from tests.fulfillment.helpers import make_location, place, stock

pytestmark = pytest.mark.django_db
_numbers = itertools.count()


def order_of(units, price, discount):
    discount_tax = (-discount * D("0.07")).quantize(D("0.01"))
    adjustments = [{"name": "PROMO", "amount": -discount, "taxes": [tax(7, discount_tax)]}]
    return ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("X", units, price, rate=7, adjustments=adjustments if discount else [])],
                }
            ]
        )
    )


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    units=st.integers(min_value=2, max_value=7),
    price=st.sampled_from([D("9.99"), D("10.00"), D("3.33"), D("0.07")]),
    discount_share=st.sampled_from([D(0), D("0.1"), D("0.33")]),
    cuts=st.lists(st.integers(min_value=1, max_value=3), min_size=1, max_size=7),
    cancel_first=st.booleans(),
)
def test_placed_lines_add_up_to_the_item(units, price, discount_share, cuts, cancel_first):
    # Examples share the test's database: each gets a location of its own.
    warehouse = make_location(f"WH-{next(_numbers)}")
    stock(warehouse.external_reference, X=100)
    discount = (units * price * discount_share).quantize(D("0.01"))
    summary = order_of(units, price, discount)
    ois = items_by_sku(summary)["X"]
    placed = 0
    for cut in cuts:
        quantity = min(cut, units - placed)
        if quantity <= 0:
            break
        (order,) = place(summary, (warehouse, [(ois, quantity)]))
        placed += quantity
        if cancel_first and placed == quantity:
            # Take one unit back off the first order and place it again later.
            line = order.lines.get()
            cancel_fulfillment_order_items(order.pk, [LineToCancel(line.pk, D(1))])
            placed -= 1
    if placed < units:
        place(summary, (warehouse, [(ois, units - placed)]))
    ois.refresh_from_db()
    lines = FulfillmentOrderLineItem.objects.filter(order_item_summary=ois)
    assert sum(line.quantity for line in lines) == units
    assert sum(line.total_line_amount for line in lines) == ois.total_line_amount
    assert sum(line.total_line_tax_amount for line in lines) == ois.total_line_tax_amount
    assert sum(line.total_adjustment_amount for line in lines) == ois.total_adjustment_amount
    assert sum(line.total_adjustment_tax_amount for line in lines) == ois.total_adjustment_tax_amount
