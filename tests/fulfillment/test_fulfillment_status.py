"""Fulfillment order status moves of DOMAIN.md §5.3 and the quantity and stock effects of cancel-item,
fulfil and reject."""

from decimal import Decimal as D

import pytest

from orders.errors import InvalidInput, InvalidState
from orders.models import STATUS_CATEGORY, FulfillmentOrder, ItemStatus, OrderSummaryStatus
from orders.services.fulfillment_cancel import LineToCancel, cancel_fulfillment_order_items
from orders.services.fulfillment_status import change_fulfillment_order_status
from tests.builders import items_by_sku, worked_example
from tests.fulfillment.helpers import lines_by_sku, make_location, on_hand_reserved, place, stock

pytestmark = pytest.mark.django_db

FULFILLING = ["Assigned", "Pickpack", "Pick Complete", "Printed"]
STATUSES = ["Draft", "Allocated", *FULFILLING, "Fulfilled", "Cancelled", "Rejected"]
# Written out by hand from §5.3: forward along DRAFT → ACTIVATED → FULFILLING → CLOSED (steps may be
# skipped), freely within FULFILLING, and to Cancelled or Rejected from any open status.
ALLOWED = {
    "Draft": {"Allocated", *FULFILLING, "Fulfilled", "Cancelled", "Rejected"},
    "Allocated": {*FULFILLING, "Fulfilled", "Cancelled", "Rejected"},
    **{status: {*FULFILLING, "Fulfilled", "Cancelled", "Rejected"} - {status} for status in FULFILLING},
    "Fulfilled": set(),
    "Cancelled": set(),
    "Rejected": set(),
}


@pytest.fixture
def shipped_from():
    warehouse = make_location("WH-1")
    stock("WH-1", A=5, B=3)
    return warehouse


def allocate_all(warehouse):
    summary = worked_example()
    items = items_by_sku(summary)
    (order,) = place(summary, (warehouse, [(items["A"], 2), (items["B"], 1)]))
    return summary, order


@pytest.mark.parametrize(("current", "new"), [(a, b) for a in STATUSES for b in STATUSES if a != b])
def test_every_move(shipped_from, current, new):
    _, order = allocate_all(shipped_from)
    FulfillmentOrder.objects.filter(pk=order.pk).update(status=current, status_category=STATUS_CATEGORY[current])
    if new in ALLOWED[current]:
        moved = change_fulfillment_order_status(order.pk, new)
        assert (moved.status, moved.status_category) == (new, STATUS_CATEGORY[new])
    else:
        with pytest.raises(InvalidState):
            change_fulfillment_order_status(order.pk, new)
        order.refresh_from_db()
        assert order.status == current


def test_same_status_is_a_no_op(shipped_from):
    summary, order = allocate_all(shipped_from)
    change_fulfillment_order_status(order.pk, "Fulfilled")
    change_fulfillment_order_status(order.pk, "Fulfilled")
    # Fulfilled once: A 2, B 1, delivery 1, not twice.
    assert [ois.quantity_fulfilled for ois in summary.item_summaries.order_by("id")] == [2, 1, 1]


def test_unknown_status_is_bad_input(shipped_from):
    _, order = allocate_all(shipped_from)
    with pytest.raises(InvalidInput) as caught:
        change_fulfillment_order_status(order.pk, "Shipped")
    assert caught.value.errors[0].field == "status"


def test_fulfilled_adds_to_quantity_fulfilled_and_takes_stock_off_hand(shipped_from):
    summary, order = allocate_all(shipped_from)
    assert on_hand_reserved("WH-1", "A") == (D(5), D(2))

    order = change_fulfillment_order_status(order.pk, "Fulfilled")

    assert order.fulfilled_at is not None
    items = items_by_sku(summary)
    assert [items[sku].quantity_fulfilled for sku in ("A", "B", "DELIVERY-GROUND")] == [2, 1, 1]
    assert {ois.status for ois in items.values()} == {ItemStatus.FULFILLED}
    summary.refresh_from_db()
    assert summary.status == OrderSummaryStatus.FULFILLED
    # A: 5 on hand, 2 reserved → 3 on hand, 0 reserved; B: 3, 1 → 2, 0.
    assert on_hand_reserved("WH-1", "A") == (D(3), D(0))
    assert on_hand_reserved("WH-1", "B") == (D(2), D(0))


def test_rejected_releases_everything(shipped_from):
    summary, order = allocate_all(shipped_from)

    order = change_fulfillment_order_status(order.pk, "Rejected")

    assert order.rejected_at is not None
    items = items_by_sku(summary)
    assert [items[sku].quantity_allocated for sku in ("A", "B", "DELIVERY-GROUND")] == [0, 0, 0]
    assert {ois.status for ois in items.values()} == {ItemStatus.ORDERED}
    assert {line.quantity for line in order.lines.all()} == {D(0)}
    assert (order.total_amount, order.grand_total_amount) == (D(0), D(0))
    assert on_hand_reserved("WH-1", "A") == (D(5), D(0))
    summary.refresh_from_db()
    assert summary.status == OrderSummaryStatus.CREATED

    # Everything can be placed again, the delivery charge with it.
    (again,) = place(summary, (shipped_from, [(items["A"], 2)]))
    assert lines_by_sku(again)["DELIVERY-GROUND"].total_line_amount == D("10.00")


def test_cancel_item_gives_back_units_amounts_and_stock(shipped_from):
    summary, order = allocate_all(shipped_from)
    a_line = lines_by_sku(order)["A"]

    order = cancel_fulfillment_order_items(order.pk, [LineToCancel(a_line.pk, D(1))])

    a_line.refresh_from_db()
    # 1 of the line's 2 units: 80.00 × 1/2 = 40.00 and 6.40 × 1/2 = 3.20 go back.
    assert (a_line.original_quantity, a_line.quantity, a_line.quantity_canceled) == (2, 1, 1)
    assert (a_line.total_line_amount, a_line.total_line_tax_amount) == (D("40.00"), D("3.20"))
    # FO: A 40.00 + B 20.00 + delivery 10.00 = 70.00; tax 3.20 + 1.60 + 0.80 = 5.60
    assert (order.total_amount, order.total_tax_amount, order.grand_total_amount) == (D(70), D("5.6"), D("75.6"))
    assert order.status == "Allocated"
    a = items_by_sku(summary)["A"]
    assert (a.quantity_allocated, a.quantity_available_to_fulfill, a.status) == (1, 1, ItemStatus.PARTIALLYALLOCATED)
    assert on_hand_reserved("WH-1", "A") == (D(5), D(1))


def test_cancel_every_product_unit_cancels_the_order_and_frees_the_delivery_charge(shipped_from):
    summary, order = allocate_all(shipped_from)
    lines = lines_by_sku(order)

    order = cancel_fulfillment_order_items(
        order.pk,
        [LineToCancel(lines["A"].pk, D(1)), LineToCancel(lines["B"].pk, D(1)), LineToCancel(lines["A"].pk, D(1))],
    )

    assert order.status == "Cancelled" and order.status_category == "CANCELLED" and order.canceled_at
    items = items_by_sku(summary)
    assert [items[sku].quantity_allocated for sku in ("A", "B", "DELIVERY-GROUND")] == [0, 0, 0]
    assert order.grand_total_amount == 0
    assert on_hand_reserved("WH-1", "B") == (D(3), D(0))


def test_cancel_item_refusals(shipped_from):
    _, order = allocate_all(shipped_from)
    a_line = lines_by_sku(order)["A"]
    with pytest.raises(InvalidState):
        cancel_fulfillment_order_items(order.pk, [LineToCancel(a_line.pk, D(3))])  # only 2 on the line
    with pytest.raises(InvalidInput) as caught:
        cancel_fulfillment_order_items(order.pk, [LineToCancel(a_line.pk, D(0)), LineToCancel("999999", D(1))])
    assert [e.field for e in caught.value.errors] == ["fulfillmentOrderLineItemsToCancel[0].quantity"]
    change_fulfillment_order_status(order.pk, "Fulfilled")
    with pytest.raises(InvalidState, match="Fulfilled"):
        cancel_fulfillment_order_items(order.pk, [LineToCancel(a_line.pk, D(1))])
