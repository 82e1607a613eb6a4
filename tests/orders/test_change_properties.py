"""Preview equals submit, and every item rebuilds from its change orders, over random orders and
random sequences of cancels, returns and adjustments written to the database (Hypothesis)."""

from decimal import Decimal as D

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from orders.errors import ServiceError
from orders.models import Order, OrderItemSummary, OrderSummary
from orders.money import round_money
from orders.rollups import compute_rollups
from orders.selectors.change_state import change_state, get_item_summaries
from orders.services.adjust import preview_adjust, submit_adjust
from orders.services.cancel import preview_cancel, submit_cancel
from orders.services.simple_return import preview_return, submit_return
from orders.services.summary_refresh import refresh_summary
from tests.builders import address, ingest, item, order_body, tax
from tests.change_builders import assert_rebuilds, change_actions, order_specs

SERVICES = {
    "cancel": (preview_cancel, submit_cancel),
    "return": (preview_return, submit_return),
    "adjust": (preview_adjust, submit_adjust),
}


def ingest_spec(spec) -> OrderSummary:
    groups = []
    for index, group in enumerate(spec):
        lines = []
        for n, line in enumerate(group.lines):
            adjustments = []
            if line.discount:
                adjustments.append(
                    {"name": "PROMO", "amount": line.discount, "taxes": [tax(line.rate, line.discount_tax)]}
                )
            lines.append(item(f"G{index}L{n}", line.quantity, line.unit_price, rate=line.rate, adjustments=adjustments))
        body = {"referenceId": f"g{index}", "deliverTo": address(), "deliveryMethod": "Ground", "items": lines}
        if group.delivery:
            body["deliveryCharge"] = {"amount": group.delivery, "taxes": [tax(group.delivery_rate, group.delivery_tax)]}
        groups.append(body)
    summary = ingest(order_body(groups=groups))
    products = OrderItemSummary.objects.filter(order_summary=summary, type="Order Product").order_by("id")
    fulfillment = [line for group in spec for line in group.lines]
    for ois, line in zip(products, fulfillment, strict=True):
        OrderItemSummary.objects.filter(pk=ois.pk).update(
            quantity_allocated=line.allocated, quantity_fulfilled=line.fulfilled
        )
    refresh_summary(summary)
    return summary


def written() -> int:
    return Order.objects.count() + OrderItemSummary.objects.count()


class ChangeSequenceProperties(TestCase):
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(spec=order_specs(), data=st.data())
    def test_preview_equals_submit_and_items_rebuild(self, spec, data):
        summary = ingest_spec(spec)
        for _ in range(4):
            summary = OrderSummary.objects.get(pk=summary.pk)
            state = change_state(summary, get_item_summaries(summary))
            action = data.draw(change_actions(state))
            if action is None:
                break
            kind, payload = action
            preview, submit = SERVICES[kind]
            try:
                previewed = preview(summary.pk, payload)
            except ServiceError as refused:
                event(f"{kind} refused")
                before = written()
                with self.assertRaises(type(refused)) as again:
                    submit(summary.pk, payload, actor=None)
                self.assertEqual(again.exception.as_error_list(), refused.as_error_list())
                self.assertEqual(written(), before)
                continue
            submitted = submit(summary.pk, payload, actor=None, expected_version=previewed.version)
            event(f"{kind} submitted")
            self.assertEqual(submitted.balances, previewed.balances)

            after = OrderSummary.objects.get(pk=summary.pk)
            # The summary moved by exactly what the balances announced, fees included.
            moved = summary.grand_total_amount - after.grand_total_amount
            fees = submitted.balances.total_fee_amount + submitted.balances.total_fee_tax_amount
            self.assertEqual(round_money(moved, "USD"), submitted.balances.grand_total_amount - fees)
            self.assertEqual(after.version, summary.version + 1)
            assert_rebuilds(after)
            totals = compute_rollups(after.item_summaries.all(), after.tax_locale_type)
            self.assertEqual(totals["grand_total_amount"], after.grand_total_amount)
            self.assertGreaterEqual(after.grand_total_amount, D(0))
