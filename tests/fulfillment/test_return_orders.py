"""Return orders (RMA): expected units, processing in parts, the return change order and restocking."""

from decimal import Decimal as D

import pytest

from orders.errors import InvalidInput, InvalidState
from orders.models import ItemStatus, Order, ReturnOrderLineItem
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.return_orders import (
    ReturnItemInput,
    ReturnOrderInput,
    ReturnOrderLineInput,
    create_return_order,
    return_items,
)
from tests.builders import ingest, items_by_sku, order_body, worked_example
from tests.fulfillment.helpers import make_location, on_hand_reserved, place, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse():
    location = make_location("WH-1")
    stock("WH-1", A=5, B=3)
    return location


def shipped_worked_example(warehouse):
    """DOMAIN.md §6: A 2 × 40.00 (tax 6.40), B 1 × 20.00 (1.60), delivery 10.00 (0.80), all fulfilled."""
    summary = worked_example()
    items = items_by_sku(summary)
    (order,) = place(summary, (warehouse, [(items["A"], 2), (items["B"], 1)]))
    change_fulfillment_order_status(order.pk, "Fulfilled")
    return summary


def expect(summary, warehouse, sku="A", quantity=2, *, shipping=True):
    return create_return_order(
        ReturnOrderInput(
            order_summary_id=summary.pk,
            destination_location_id=warehouse.pk,
            lines=(ReturnOrderLineInput(items_by_sku(summary)[sku].pk, D(quantity), "Damaged", shipping),),
        )
    )


def change_order_amounts(change_order_id):
    order = Order.objects.get(pk=change_order_id)
    return {item.sku: (item.line_amount, item.line_tax_amount) for item in order.items.all()}


def test_return_order_processed_in_two_parts(warehouse):
    summary = shipped_worked_example(warehouse)
    assert on_hand_reserved("WH-1", "A") == (D(3), D(0))
    return_order = expect(summary, warehouse)
    a = items_by_sku(summary)["A"]
    assert (a.quantity_return_initiated, a.status) == (2, ItemStatus.RETURNINITIATED)
    (line,) = return_order.lines.all()

    first = return_items(return_order.pk, [ReturnItemInput(line.pk, quantity_returned=D(1))])

    # 1 of A's 2 units: 40.00 and tax 3.20. Shipping: 40.00 of the products' 100.00 → r = 0.4:
    # delivery 10.00 × 0.4 = 4.00, tax 0.80 × 0.4 = 0.32.
    assert change_order_amounts(first.change_order_id) == {
        "A": (D("-40.00"), D("-3.20")),
        "DELIVERY-GROUND": (D("-4.00"), D("-0.32")),
    }
    (processed, remaining) = first.splits[0]
    assert processed == line.pk
    line.refresh_from_db()
    rest = ReturnOrderLineItem.objects.get(pk=remaining)
    assert (line.is_processed, line.quantity_expected, line.quantity_returned) == (True, 1, 1)
    assert (rest.is_processed, rest.quantity_expected, rest.split_from_id) == (False, 1, line.pk)
    assert line.change_order_item.order_id == first.change_order_id
    a = items_by_sku(summary)["A"]
    assert (a.quantity_return_initiated, a.quantity_returned, a.status) == (2, 1, ItemStatus.RETURNINITIATED)
    assert on_hand_reserved("WH-1", "A") == (D(4), D(0))
    return_order.refresh_from_db()
    assert return_order.status == "Submitted"
    with pytest.raises(InvalidState, match="read-only"):
        return_items(return_order.pk, [ReturnItemInput(line.pk, quantity_to_cancel=D(1))])

    second = return_items(return_order.pk, [ReturnItemInput(rest.pk, quantity_returned=D(1))])

    # The last A: all that is left, 40.00 and 3.20. Shipping: 40.00 of the products' 60.00 (A 40 + B 20):
    # delivery now 6.00 × 2/3 = 4.00, tax 0.48 × 2/3 = 0.32 — the 8.00 and 0.64 that returning both at
    # once would take (r = 80/100 = 0.8).
    assert change_order_amounts(second.change_order_id) == {
        "A": (D("-40.00"), D("-3.20")),
        "DELIVERY-GROUND": (D("-4.00"), D("-0.32")),
    }
    assert second.splits == ()
    summary.refresh_from_db()
    # 118.80 − 47.52 − 47.52 = 23.76: B 20.00 + 1.60 and delivery 2.00 + 0.16
    assert summary.grand_total_amount == D("23.76")
    a = items_by_sku(summary)["A"]
    assert (a.quantity_returned, a.quantity_return_initiated, a.status) == (2, 2, ItemStatus.RETURNED)
    assert on_hand_reserved("WH-1", "A") == (D(5), D(0))
    return_order.refresh_from_db()
    assert return_order.status == "Closed"


def test_rejected_and_canceled_units_are_no_longer_expected(warehouse):
    summary = shipped_worked_example(warehouse)
    return_order = expect(summary, warehouse, shipping=False)
    (line,) = return_order.lines.all()

    result = return_items(
        return_order.pk,
        [
            ReturnItemInput(
                line.pk,
                quantity_rejected=D(1),
                quantity_received=D(1),
                quantity_to_cancel=D(1),
                reason_for_rejection="Worn",
            )
        ],
    )

    assert result.change_order_id is None
    a = items_by_sku(summary)["A"]
    # 2 initiated − 1 rejected − 1 canceled = 0; nothing returned, the units stay shipped.
    assert (a.quantity_return_initiated, a.quantity_returned, a.status) == (0, 0, ItemStatus.FULFILLED)
    # The rejected unit goes back to the customer, not onto the shelf.
    assert on_hand_reserved("WH-1", "A") == (D(3), D(0))
    summary.refresh_from_db()
    assert summary.grand_total_amount == D("118.80")
    return_order.refresh_from_db()
    assert return_order.status == "Closed"


def test_creation_refusals(warehouse):
    summary = shipped_worked_example(warehouse)
    with pytest.raises(InvalidState) as caught:
        expect(summary, warehouse, quantity=3)  # only 2 × A shipped
    assert caught.value.errors[0].field == "returnOrderLineItems[0].quantityExpected"
    expect(summary, warehouse, quantity=2)
    with pytest.raises(InvalidState):
        expect(summary, warehouse, quantity=1)  # both already expected back
    with pytest.raises(InvalidInput) as caught:
        create_return_order(
            ReturnOrderInput(summary.pk, (ReturnOrderLineInput(items_by_sku(summary)["B"].pk, D(1), "Bored"),))
        )
    assert caught.value.errors[0].field == "returnOrderLineItems[0].reasonForReturn"
    with pytest.raises(InvalidInput) as caught:
        create_return_order(
            ReturnOrderInput(summary.pk, (ReturnOrderLineInput(items_by_sku(summary)["DELIVERY-GROUND"].pk, D(1)),))
        )
    assert caught.value.errors[0].field == "returnOrderLineItems[0].orderItemSummaryId"


def test_unmanaged_summaries_take_no_return_orders():
    summary = ingest(order_body(orderLifeCycleType="UNMANAGED"))
    with pytest.raises(InvalidState, match="unmanaged"):
        create_return_order(
            ReturnOrderInput(summary.pk, (ReturnOrderLineInput(summary.item_summaries.first().pk, D(1)),))
        )


def test_processing_refusals(warehouse):
    summary = shipped_worked_example(warehouse)
    return_order = expect(summary, warehouse)
    (line,) = return_order.lines.all()
    with pytest.raises(InvalidState) as caught:
        # 2 returned + 1 canceled > 2 expected
        return_items(return_order.pk, [ReturnItemInput(line.pk, quantity_returned=D(2), quantity_to_cancel=D(1))])
    assert caught.value.errors[0].field == "returnOrderItems[0].quantityReturned"
    with pytest.raises(InvalidInput):
        return_items(return_order.pk, [ReturnItemInput(line.pk)])  # nothing to process
    with pytest.raises(InvalidInput) as caught:
        return_items(return_order.pk, [ReturnItemInput(line.pk, quantity_rejected=D(1), quantity_received=D(0))])
    assert caught.value.errors[0].field == "returnOrderItems[0].quantityReceived"
    return_items(return_order.pk, [ReturnItemInput(line.pk, quantity_returned=D(2))])
    with pytest.raises(InvalidState):
        return_items(return_order.pk, [ReturnItemInput(line.pk, quantity_returned=D(1))])  # closed now


def test_unmanaged_return_order_only_tracks(warehouse):
    summary = shipped_worked_example(warehouse)
    return_order = create_return_order(
        ReturnOrderInput(
            summary.pk,
            (ReturnOrderLineInput(items_by_sku(summary)["A"].pk, D(1)),),
            status="Draft",
            life_cycle_type="Unmanaged",
        )
    )
    assert items_by_sku(summary)["A"].quantity_return_initiated == 0
    with pytest.raises(InvalidState, match="tracking"):
        return_items(return_order.pk, [ReturnItemInput(return_order.lines.first().pk, quantity_returned=D(1))])
