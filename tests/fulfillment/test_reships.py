"""Reshipments (issue 15, point 3): fulfilled units sent again at no charge, routed, stock reserved,
QuantityReshipped and status RESHIPPED, never invoiced; refused above what was fulfilled."""

from decimal import Decimal as D

import pytest

from orders.errors import InvalidInput, InvalidState
from orders.models import FulfillmentOrder, ItemStatus, OrderItemSummary, Reshipment
from orders.services.fulfillment_cancel import LineToCancel, cancel_fulfillment_order_items
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.reships import NO_ROUTE, ReshipItemInput, preview_reship, submit_reship
from payments.services.fulfillment_invoice_create import invoice_fulfillment_order
from tests.builders import items_by_sku, worked_example
from tests.fulfillment.helpers import make_location, on_hand_reserved, place, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse():
    location = make_location("WH-1", latitude=39.78, longitude=-89.65)
    stock("WH-1", A=5, B=3)
    return location


@pytest.fixture
def shipped(warehouse):
    """DOMAIN.md §6: A 2 × 40.00, B 1 × 20.00, delivery 10.00, 8 % tax; everything shipped from WH-1."""
    summary = worked_example()
    items = items_by_sku(summary)
    (order,) = place(summary, (warehouse, [(items["A"], 2), (items["B"], 1)]))
    change_fulfillment_order_status(order.pk, "Fulfilled")
    summary.refresh_from_db()
    return summary


def reship(summary, sku, quantity, reason="Damaged"):
    return ReshipItemInput(items_by_sku(summary)[sku].pk, D(quantity), reason, "Box crushed in transit")


def test_reship_part_of_a_fulfilled_line(shipped, warehouse):
    assert on_hand_reserved("WH-1", "A") == (D(3), D(0))
    grand_total, version = shipped.grand_total_amount, shipped.version

    preview = preview_reship(shipped.pk, [reship(shipped, "A", 1)])
    assert preview.fulfillment_order_ids == () and preview.amount_to_charge == 0
    (plan,) = preview.plans
    (group,) = plan.groups
    assert (group.location_id, [(i.order_item_summary_id, i.quantity) for i in group.items]) == (
        warehouse.pk,
        [(items_by_sku(shipped)["A"].pk, D(1))],
    )
    assert not Reshipment.objects.exists() and on_hand_reserved("WH-1", "A") == (D(3), D(0))

    result = submit_reship(shipped.pk, [reship(shipped, "A", 1)])
    (order,) = FulfillmentOrder.objects.filter(pk__in=result.fulfillment_order_ids)
    assert order.reshipment_id == result.reshipment_id and order.location_id == warehouse.pk
    (line,) = order.lines.all()  # no delivery charge rides on a reshipment
    assert (line.sku, line.quantity, line.total_line_amount, line.total_line_tax_amount) == ("A", 1, 0, 0)
    assert order.grand_total_amount == 0
    a = items_by_sku(shipped)["A"]
    assert (a.quantity_allocated, a.quantity_fulfilled, a.quantity_reshipped) == (2, 2, 1)
    assert a.status == ItemStatus.FULFILLED  # one of two fulfilled units reshipped
    assert on_hand_reserved("WH-1", "A") == (D(3), D(1))
    shipped.refresh_from_db()
    assert shipped.grand_total_amount == grand_total and shipped.version == version + 1
    (item,) = Reshipment.objects.get().items.all()
    assert (item.quantity, item.reason, item.reason_text) == (1, "Damaged", "Box crushed in transit")

    # It ships like any fulfillment order, off the shelf, and bills nothing.
    change_fulfillment_order_status(order.pk, "Fulfilled")
    assert on_hand_reserved("WH-1", "A") == (D(2), D(0))
    a.refresh_from_db()
    assert (a.quantity_fulfilled, a.quantity_reshipped) == (2, 1)
    with pytest.raises(InvalidState) as refused:
        invoice_fulfillment_order(order.pk)
    assert refused.value.errors[0].code == "RESHIP_NOT_BILLED"


def test_reship_above_the_fulfilled_quantity_is_refused(shipped):
    with pytest.raises(InvalidState) as refused:
        submit_reship(shipped.pk, [reship(shipped, "A", 3)])
    assert refused.value.errors[0].field == "reshipItems[0].quantity"
    assert "Only 2 of A can be reshipped" in refused.value.message

    submit_reship(shipped.pk, [reship(shipped, "A", 1)])
    # Two lines naming A add up: 1 reshipped already, 1 + 1 asked, 1 left.
    with pytest.raises(InvalidState):
        submit_reship(shipped.pk, [reship(shipped, "A", 1), reship(shipped, "A", 1)])
    assert items_by_sku(shipped)["A"].quantity_reshipped == 1
    assert Reshipment.objects.count() == 1


def test_unshipped_units_and_bad_input_are_refused(warehouse):
    summary = worked_example()
    items = items_by_sku(summary)
    place(summary, (warehouse, [(items["A"], 2)]))  # allocated, not shipped
    with pytest.raises(InvalidState, match="Only 0 of A"):
        preview_reship(summary.pk, [reship(summary, "A", 1)])
    with pytest.raises(InvalidInput) as bad:
        preview_reship(summary.pk, [reship(summary, "A", "0.5"), reship(summary, "B", 1, reason="Nope")])
    assert [error.field for error in bad.value.errors] == ["reshipItems[0].quantity", "reshipItems[1].reason"]
    delivery = OrderItemSummary.objects.get(order_summary=summary, type="Delivery Charge")
    with pytest.raises(InvalidInput, match="Only products"):
        preview_reship(summary.pk, [ReshipItemInput(delivery.pk, D(1), "Damaged")])


def test_every_fulfilled_unit_reshipped_is_status_reshipped_and_a_canceled_reship_gives_them_back(shipped):
    result = submit_reship(shipped.pk, [reship(shipped, "A", 2), reship(shipped, "B", 1)])
    items = items_by_sku(shipped)
    assert (items["A"].status, items["B"].status) == (ItemStatus.RESHIPPED, ItemStatus.RESHIPPED)
    (order,) = FulfillmentOrder.objects.filter(pk__in=result.fulfillment_order_ids)
    line_a = order.lines.get(sku="A")
    cancel_fulfillment_order_items(order.pk, [LineToCancel(line_a.pk, D(2))])
    items = items_by_sku(shipped)
    assert (items["A"].quantity_reshipped, items["A"].quantity_allocated, items["A"].status) == (
        0,
        2,
        ItemStatus.FULFILLED,
    )
    assert on_hand_reserved("WH-1", "A") == (D(3), D(0))
    # A rejected reshipment gives its units back too.
    change_fulfillment_order_status(order.pk, "Rejected")
    assert items_by_sku(shipped)["B"].quantity_reshipped == 0


def test_no_stock_anywhere_is_refused_with_no_route(shipped):
    stock("WH-1", A=0)
    with pytest.raises(InvalidState) as refused:
        submit_reship(shipped.pk, [reship(shipped, "A", 1)])
    assert refused.value.errors[0].code == NO_ROUTE
    assert not Reshipment.objects.exists()


def test_routed_to_the_location_with_stock(shipped):
    stock("WH-1", B=0)
    other = make_location("WH-2", latitude=40.0, longitude=-90.0)
    stock("WH-2", B=4)
    result = submit_reship(shipped.pk, [reship(shipped, "B", 1)])
    (order,) = FulfillmentOrder.objects.filter(pk__in=result.fulfillment_order_ids)
    assert order.location_id == other.pk
    assert on_hand_reserved("WH-2", "B") == (D(4), D(1))


def test_billing_follow_ups_bill_a_reshipment_nothing(shipped, settings, django_capture_on_commit_callbacks):
    """The invoice-and-capture task and the billing sweeper (payments.sweepers) leave a shipped reshipment
    alone: no invoice, no capture, no Invoicing exception."""
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import ProcessException
    from payments.models import Invoice
    from payments.services.money_follow_ups import invoice_and_capture
    from payments.sweepers import sweep_unbilled_fulfillment_orders

    settings.OMS_AUTO_INVOICE_AND_CAPTURE = True
    settings.OMS_SWEEP_AFTER_SECONDS = 600
    original = FulfillmentOrder.objects.get(order_summary=shipped, reshipment__isnull=True)
    invoice_fulfillment_order(original.pk)
    result = submit_reship(shipped.pk, [reship(shipped, "B", 1)])
    (order_id,) = result.fulfillment_order_ids
    with django_capture_on_commit_callbacks(execute=True):
        change_fulfillment_order_status(order_id, "Fulfilled")
    assert invoice_and_capture(order_id, shipped.pk) is None
    FulfillmentOrder.objects.filter(pk=order_id).update(fulfilled_at=timezone.now() - timedelta(minutes=30))
    assert sweep_unbilled_fulfillment_orders() == {"requeued": 0, "exceptions": 0}
    assert not Invoice.objects.filter(fulfillment_order_id=order_id).exists()
    assert not ProcessException.objects.filter(order_summary=shipped).exists()
