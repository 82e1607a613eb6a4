"""Cancel with cancelAllocatedQuantity over random routed orders (Hypothesis, real database): preview equals
submit (balances and fulfillment-order side), and after every submit the fulfillment orders still add up
to the summary: allocation equals the units on open lines, a fulfillment order without products is
Cancelled, and an item with no unit left to place has all its amounts on fulfillment-order lines."""

from decimal import Decimal as D

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from orders.calculations.inputs import CancelOrderInput
from orders.errors import ServiceError
from orders.models import FINAL_STATUS_CATEGORIES, FulfillmentOrder, FulfillmentOrderLineItem, Order, OrderSummary
from orders.rollups import compute_rollups
from orders.services.cancel import preview_cancel, submit_cancel
from orders.services.cancel_order import preview_cancel_order, submit_cancel_order
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.locations import LocationInput, create_location
from tests.builders import address, ingest, item, order_body, tax
from tests.change_builders import assert_rebuilds, change, line_specs
from tests.fulfillment.helpers import place

STATUSES = ("Allocated", "Assigned", "Pickpack")


@st.composite
def routed_specs(draw):
    """Lines (quantity, price, rate, discount) of one delivery group, a delivery charge, and per line the units
    placed on fulfillment order 1 and 2 (the rest unallocated), with each fulfillment order's status."""
    lines = draw(st.lists(line_specs(), min_size=1, max_size=3))
    delivery = D(draw(st.integers(min_value=0, max_value=2500))) / 100
    placements = []
    for line in lines:
        first = draw(st.integers(min_value=0, max_value=line.quantity))
        second = draw(st.integers(min_value=0, max_value=line.quantity - first))
        placements.append((first, second))
    statuses = (draw(st.sampled_from(STATUSES)), draw(st.sampled_from(STATUSES)))
    return lines, delivery, placements, statuses


def build(spec):
    lines, delivery, placements, statuses = spec
    items = []
    for n, line in enumerate(lines):
        adjustments = []
        if line.discount:
            adjustments.append({"name": "PROMO", "amount": line.discount, "taxes": [tax(line.rate, line.discount_tax)]})
        items.append(item(f"L{n}", line.quantity, line.unit_price, rate=line.rate, adjustments=adjustments))
    group = {"referenceId": "g", "deliverTo": address(), "deliveryMethod": "Ground", "items": items}
    if delivery:
        group["deliveryCharge"] = {"amount": delivery, "taxes": [tax(8, (delivery * 8 / 100).quantize(D("0.01")))]}
    summary = ingest(order_body(groups=[group]))
    products = list(summary.item_summaries.filter(type="Order Product").order_by("id"))
    locations = [
        create_location(
            LocationInput(name=f"S{n}", external_reference=f"S{n}-{summary.pk}", is_inventory_location=False)
        )
        for n in (1, 2)
    ]
    for index, location in enumerate(locations):
        wanted = [
            (ois, placement[index]) for ois, placement in zip(products, placements, strict=True) if placement[index]
        ]
        if wanted:
            (order,) = place(summary, (location, wanted))
            if statuses[index] != "Allocated":
                change_fulfillment_order_status(order.pk, statuses[index])
    return OrderSummary.objects.get(pk=summary.pk)


def snapshot():
    return (
        Order.objects.count(),
        list(FulfillmentOrderLineItem.objects.order_by("pk").values_list("quantity", "total_line_amount")),
        list(FulfillmentOrder.objects.order_by("pk").values_list("status", flat=True)),
    )


def assert_fulfillment_adds_up(summary):
    items = list(summary.item_summaries.all())
    lines = list(
        FulfillmentOrderLineItem.objects.filter(fulfillment_order__order_summary=summary).select_related(
            "fulfillment_order"
        )
    )
    for ois in items:
        own = [line for line in lines if line.order_item_summary_id == ois.pk]
        open_units = sum(
            (line.quantity for line in own if line.fulfillment_order.status_category not in FINAL_STATUS_CATEGORIES),
            D(0),
        )
        assert ois.quantity_allocated == open_units, ois
        if ois.quantity_available_to_fulfill == 0:
            # Nothing left to place: every cent of the item is on its fulfillment-order lines.
            placed = [
                sum((getattr(line, name) for line in own), D(0))
                for name in (
                    "total_line_amount",
                    "total_line_tax_amount",
                    "total_adjustment_amount",
                    "total_adjustment_tax_amount",
                )
            ]
            assert placed == [
                ois.total_line_amount,
                ois.total_line_tax_amount,
                ois.total_adjustment_amount,
                ois.total_adjustment_tax_amount,
            ], ois
    for order in FulfillmentOrder.objects.filter(order_summary=summary):
        order_lines = [line for line in lines if line.fulfillment_order_id == order.pk]
        assert compute_rollups(order_lines, order.tax_locale_type)["grand_total_amount"] == order.grand_total_amount
        has_products = any(line.quantity > 0 for line in order_lines if line.type == "Order Product")
        if not has_products and order.status_category not in FINAL_STATUS_CATEGORIES:
            raise AssertionError(f"{order.number} is {order.status} without products")


class CancelAllocatedProperties(TestCase):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(spec=routed_specs(), data=st.data())
    def test_preview_equals_submit_with_cancel_allocated(self, spec, data):
        summary = build(spec)
        for _ in range(3):
            summary = OrderSummary.objects.get(pk=summary.pk)
            products = list(summary.item_summaries.filter(type="Order Product", quantity_ordered__gt=0).order_by("id"))
            held = [ois for ois in products if ois.quantity > 0]
            if data.draw(st.integers(min_value=0, max_value=7)) == 0 or not held:
                preview, submit, payload = preview_cancel_order, submit_cancel_order, CancelOrderInput("Damaged")
                extra = {}
                event("whole order")
            else:
                chosen = data.draw(st.sampled_from(held))
                # Up to everything still held: units in picking make some of these refused.
                quantity = data.draw(st.integers(min_value=1, max_value=int(chosen.quantity)))
                preview, submit = preview_cancel, submit_cancel
                payload = [change(chosen.pk, quantity, reason="Damaged", shipping=data.draw(st.booleans()))]
                # Without the flag too: allocated units refused, and a shipping reduction of an allocated
                # delivery charge must still reach its fulfillment-order line.
                extra = {"cancel_allocated": data.draw(st.sampled_from((True, True, False)))}
            try:
                previewed = preview(summary.pk, payload, **extra)
            except ServiceError as refused:
                event(f"refused {refused.errors[0].code or refused.code}")
                before = snapshot()
                with self.assertRaises(type(refused)) as again:
                    submit(summary.pk, payload, actor=None, **extra)
                self.assertEqual(again.exception.as_error_list(), refused.as_error_list())
                self.assertEqual(snapshot(), before)
                continue
            submitted = submit(summary.pk, payload, actor=None, expected_version=previewed.version, **extra)
            event("submitted")
            self.assertEqual(submitted.balances, previewed.balances)
            self.assertEqual(submitted.fulfillment, previewed.fulfillment)
            self.assertEqual(submitted.charges_canceled_with_last_product, previewed.charges_canceled_with_last_product)
            after = OrderSummary.objects.get(pk=summary.pk)
            moved = summary.grand_total_amount - after.grand_total_amount
            self.assertEqual(moved, submitted.balances.grand_total_amount)
            assert_rebuilds(after)
            assert_fulfillment_adds_up(after)
            if after.status == "Canceled":
                self.assertEqual(after.grand_total_amount, D(0))
