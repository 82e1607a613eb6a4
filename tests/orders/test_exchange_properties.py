"""Preview equals submit for exchanges (issue 15), over random orders, returns and replacements (Hypothesis):
the same balances and amounts to the cent, nothing written by the preview, and every cent that leaves the
original arrives on the replacement."""

from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from orders.calculations.exchange import ExchangeInput, ExchangeItemInput, ReplacementInput, ReplacementTaxInput
from orders.models import Exchange, Order, OrderItemSummary, OrderSummary
from orders.money import round_money
from orders.services.exchanges import preview_exchange, submit_exchange
from orders.services.summary_refresh import refresh_summary
from payments.models import OrderPaymentSummary
from payments.money_check import check_money
from tests.builders import address, ingest, item, order_body

CURRENCIES = {"USD": D("0.01"), "JPY": D("1")}


@st.composite
def exchanges(draw):
    currency = draw(st.sampled_from(sorted(CURRENCIES)))
    unit = CURRENCIES[currency]
    ordered = draw(st.integers(1, 4))
    price = draw(st.integers(1, 20000)) * unit
    rate = draw(st.sampled_from([0, 8, 10]))
    back = draw(st.integers(1, ordered))
    new_price = draw(st.integers(0, 30000)) * unit
    new_quantity = draw(st.integers(1, 3))
    new_rate = draw(st.sampled_from([0, 8, 10]))
    paid_by_sale = draw(st.booleans())
    return currency, ordered, price, rate, back, new_price, new_quantity, new_rate, paid_by_sale


def shipped_order(currency, ordered, price, rate, paid_by_sale) -> OrderSummary:
    line = item("A", ordered, price, rate=rate)
    line["taxes"][0]["amount"] = round_money(D(ordered) * price * rate / 100, currency)
    total = D(ordered) * price + line["taxes"][0]["amount"]
    kind = "sale" if paid_by_sale else "authorization"
    payments = [
        {
            "kind": kind,
            "method": "Visa",
            "gatewayToken": "tok_visa",
            "last4": "4242",
            "amount": total,
            "gatewayReference": "ref_1",
        }
    ]
    summary = ingest(
        order_body(
            currency=currency,
            payments=payments,
            groups=[{"referenceId": "g1", "deliverTo": address(), "deliveryMethod": "Ground", "items": [line]}],
        )
    )
    OrderItemSummary.objects.filter(order_summary=summary).update(
        quantity_allocated=ordered, quantity_fulfilled=ordered
    )
    refresh_summary(summary)
    return summary


def written() -> tuple:
    return (
        Order.objects.count(),
        OrderSummary.objects.count(),
        Exchange.objects.count(),
        OrderPaymentSummary.objects.count(),
    )


def net_captured(summary) -> D:
    return sum(
        (
            ops.captured_amount - ops.refunded_amount - ops.pending_refund_amount
            for ops in OrderPaymentSummary.objects.filter(order_summary=summary)
        ),
        D(0),
    )


class ExchangeProperties(TestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case=exchanges())
    def test_preview_equals_submit_and_every_cent_moves_once(self, case):
        currency, ordered, price, rate, back, new_price, new_quantity, new_rate, paid_by_sale = case
        summary = shipped_order(currency, ordered, price, rate, paid_by_sale)
        ois = OrderItemSummary.objects.get(order_summary=summary)
        new_tax = round_money(new_price * new_quantity * new_rate / 100, currency)
        request = ExchangeInput(
            items=(
                ExchangeItemInput(
                    order_item_summary_id=ois.pk,
                    quantity=D(back),
                    reason="Wrong Item",
                    replacement=ReplacementInput(
                        stock_keeping_unit="A-2",
                        name="A, other size",
                        quantity=D(new_quantity),
                        unit_price=new_price,
                        taxes=(ReplacementTaxInput("Tax", new_tax, D(new_rate)),),
                    ),
                ),
            )
        )
        before = written()
        captured_before = net_captured(summary)
        preview = preview_exchange(summary.pk, request)
        self.assertEqual(written(), before)

        submitted = submit_exchange(summary.pk, request, actor=None, expected_version=preview.version)
        self.assertEqual(submitted.balances, preview.balances)
        self.assertEqual(submitted.amounts, preview.amounts)
        amounts = submitted.amounts
        self.assertEqual(amounts.transferred + amounts.to_charge, amounts.replacement_total)
        self.assertEqual(amounts.replacement_total, new_price * new_quantity + new_tax)
        # An order paid at checkout (a sale) holds the credit; one only authorized holds none to move.
        self.assertEqual(
            amounts.transferred, min(amounts.returned_value, amounts.replacement_total) if paid_by_sale else 0
        )

        replacement = OrderSummary.objects.get(pk=submitted.exchange_order_summary_id)
        self.assertEqual(net_captured(summary), captured_before - amounts.transferred)
        self.assertEqual(net_captured(replacement), amounts.transferred)
        if paid_by_sale:
            # (Units shipped by a raw update are never invoiced: an order only authorized would owe the
            # invoice check_money waits for.)
            self.assertEqual(check_money([summary.pk, replacement.pk]), {})

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case=exchanges())
    def test_waiting_for_the_return_preview_equals_submit_equals_the_receipt(self, case):
        """holdReplacementUntilReturned: submit answers the preview and moves nothing; receiving every unit in
        good condition applies exactly the previewed amounts."""
        from orders.models import ReturnOrder
        from orders.services.return_orders import ReturnItemInput, return_items

        currency, ordered, price, rate, back, new_price, new_quantity, new_rate, paid_by_sale = case
        summary = shipped_order(currency, ordered, price, rate, paid_by_sale)
        ois = OrderItemSummary.objects.get(order_summary=summary)
        new_tax = round_money(new_price * new_quantity * new_rate / 100, currency)
        request = ExchangeInput(
            items=(
                ExchangeItemInput(
                    order_item_summary_id=ois.pk,
                    quantity=D(back),
                    reason="Wrong Item",
                    replacement=ReplacementInput(
                        stock_keeping_unit="A-2",
                        name="A, other size",
                        quantity=D(new_quantity),
                        unit_price=new_price,
                        taxes=(ReplacementTaxInput("Tax", new_tax, D(new_rate)),),
                    ),
                ),
            ),
            hold_replacement_until_returned=True,
        )
        before = written()
        captured_before = net_captured(summary)
        preview = preview_exchange(summary.pk, request)
        self.assertEqual(written(), before)

        submitted = submit_exchange(summary.pk, request, actor=None, expected_version=preview.version)
        self.assertEqual((submitted.balances, submitted.amounts), (preview.balances, preview.amounts))
        replacement = OrderSummary.objects.get(pk=submitted.exchange_order_summary_id)
        self.assertEqual(net_captured(summary), captured_before)  # nothing moved while waiting
        self.assertEqual(net_captured(replacement), 0)

        (line,) = ReturnOrder.objects.get(pk=submitted.return_order_id).lines.all()
        return_items(submitted.return_order_id, [ReturnItemInput(line.pk, quantity_returned=D(back))])
        exchange = Exchange.objects.get(pk=submitted.exchange_id)
        amounts = preview.amounts
        self.assertEqual(exchange.status, "Completed")
        self.assertEqual(
            (
                exchange.returned_value,
                exchange.replacement_total,
                exchange.transferred_amount,
                exchange.amount_to_charge,
                exchange.amount_to_refund,
            ),
            (
                amounts.returned_value,
                amounts.replacement_total,
                amounts.transferred,
                amounts.to_charge,
                amounts.to_refund,
            ),
        )
        self.assertEqual(net_captured(summary), captured_before - amounts.transferred)
        self.assertEqual(net_captured(replacement), amounts.transferred)
        if paid_by_sale:
            self.assertEqual(check_money([summary.pk, replacement.pk]), {})
