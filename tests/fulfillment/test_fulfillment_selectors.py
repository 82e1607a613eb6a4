"""Selectors read a fixed number of queries whatever the number of fulfillment orders and lines."""

from decimal import Decimal as D

import pytest

from orders.selectors.fulfillment import (
    InventoryEffect,
    fulfillment_orders_for_summary,
    inventory_effects_for_summary,
    inventory_levels_page,
    locations_page,
)
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.return_orders import (
    ReturnItemInput,
    ReturnOrderInput,
    ReturnOrderLineInput,
    create_return_order,
    return_items,
)
from tests.builders import address, ingest, item, items_by_sku, order_body, worked_example
from tests.fulfillment.helpers import make_location, place, stock

pytestmark = pytest.mark.django_db


def many_skus_order(count):
    return ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item(f"S{i}", 1, "5.00", rate=8) for i in range(count)],
                }
            ]
        )
    )


@pytest.mark.parametrize("orders", [1, 4])
def test_fulfillment_orders_for_summary_costs_three_queries(django_assert_num_queries, orders):
    warehouse = make_location("WH")
    stock("WH", **{f"S{i}": 1 for i in range(orders * 2)})
    summary = many_skus_order(orders * 2)
    items = items_by_sku(summary)
    for index in range(orders):
        place(summary, (warehouse, [(items[f"S{2 * index}"], 1), (items[f"S{2 * index + 1}"], 1)]))

    # The fulfillment orders joined with their location and invoice, then every line, then every shipment at
    # once (their lines are read only when some order has shipped).
    with django_assert_num_queries(3):
        found = fulfillment_orders_for_summary(summary.pk)
        names = [(order.location.name, [line.sku for line in order.lines.all()]) for order in found]
    assert len(names) == orders
    assert names[0] == ("WH", ["S0", "S1"])


def test_pages_follow_the_cursor():
    for index in range(5):
        make_location(f"L{index}")
    stock("L0", A=1, B=2, C=3)
    first = locations_page(limit=2)
    second = locations_page(limit=2, cursor=first.next_cursor)
    third = locations_page(limit=2, cursor=second.next_cursor)
    assert [loc.external_reference for loc in first.rows + second.rows + third.rows] == ["L0", "L1", "L2", "L3", "L4"]
    assert third.next_cursor is None
    levels = inventory_levels_page(location_reference="L0", limit=2)
    rest = inventory_levels_page(location_reference="L0", limit=2, cursor=levels.next_cursor)
    assert [level.sku for level in levels.rows + rest.rows] == ["A", "B", "C"]


def test_inventory_effects_of_a_summary(django_assert_num_queries):
    one, two = make_location("WH-1"), make_location("WH-2")
    stock("WH-1", A=5)
    stock("WH-2", A=5, B=5)
    summary = worked_example()
    items = items_by_sku(summary)
    (shipped,) = place(summary, (one, [(items["A"], 1)]))
    change_fulfillment_order_status(shipped.pk, "Fulfilled")
    place(summary, (two, [(items["A"], 1), (items["B"], 1)]))
    return_order = create_return_order(
        ReturnOrderInput(summary.pk, (ReturnOrderLineInput(items["A"].pk, D(1)),), destination_location_id=one.pk)
    )
    return_items(return_order.pk, [ReturnItemInput(return_order.lines.get().pk, quantity_returned=D(1))])

    with django_assert_num_queries(2):
        effects = inventory_effects_for_summary(summary.pk)

    # WH-1: 1 × A shipped and 1 back from the return; WH-2: A and B on an open fulfillment order.
    assert effects == [
        InventoryEffect("WH-1", "A", reserved=D(0), shipped=D(1), restocked=D(1)),
        InventoryEffect("WH-2", "A", reserved=D(1), shipped=D(0), restocked=D(0)),
        InventoryEffect("WH-2", "B", reserved=D(1), shipped=D(0), restocked=D(0)),
    ]
