"""Records the payment services start from, for their tests.

Fulfillment orders and change orders are written directly here (their own services are tested in
their own suites): a fulfillment order shipping every item whole, and a change order taking given
signed deltas off items. The payment services under test then make invoices, memos and movements.
"""

import itertools
from decimal import Decimal

from django.db.models import F

from orders.models import (
    ChangeType,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentPhase,
    Location,
    Order,
    OrderItem,
    OrderKind,
    OrderSummary,
)
from payments.models import BackgroundOperation, OrderPaymentSummary, Payment, PaymentAuthorization
from payments.services import background_operations
from payments.services.fulfillment_invoice_create import create_invoice_for_fulfillment_order

D = Decimal
_numbers = itertools.count(1)


def ship_everything(summary: OrderSummary) -> FulfillmentOrder:
    """One fulfilled fulfillment order carrying every item summary whole."""
    group = summary.delivery_group_summaries.first()
    location, _ = Location.objects.get_or_create(external_reference="WH-1", defaults={"name": "Main warehouse"})
    fulfillment_order = FulfillmentOrder.objects.create(
        order_summary=summary,
        delivery_group_summary=group,
        location=location,
        currency=summary.currency,
        status="Fulfilled",
        status_category="CLOSED",
    )
    for ois in summary.item_summaries.all():
        FulfillmentOrderLineItem.objects.create(
            fulfillment_order=fulfillment_order,
            order_item_summary=ois,
            type=ois.type,
            sku=ois.sku,
            name=ois.name,
            unit_price=ois.unit_price,
            original_quantity=ois.quantity_ordered,
            quantity=ois.quantity_ordered,
            total_line_amount=ois.total_line_amount,
            total_line_tax_amount=ois.total_line_tax_amount,
            total_adjustment_amount=ois.total_adjustment_amount,
            total_adjustment_tax_amount=ois.total_adjustment_tax_amount,
        )
    return fulfillment_order


def invoice_everything(summary: OrderSummary):
    return create_invoice_for_fulfillment_order(ship_everything(summary).pk)


def change_order(
    summary: OrderSummary, change_type: str, deltas: list[tuple[str, str, str, str]], *, phase: str = ""
) -> Order:
    """A change order with one item per (sku or item type, quantity, line amount, line tax) delta, signed."""
    original = summary.original_order
    order = Order.objects.create(
        kind=OrderKind.CHANGE,
        order_summary=summary,
        order_number=f"{summary.order_number}-C{next(_numbers)}",
        sales_channel_id=summary.sales_channel_id,
        currency=summary.currency,
        ordered_date=summary.ordered_date,
        change_type=change_type,
        fulfillment_phase=phase,
    )
    total = tax = D("0")
    # Products by sku; the delivery charge (and fees) also by type, e.g. "Delivery Charge".
    by_sku = {}
    for ois in summary.item_summaries.all():
        by_sku[ois.sku] = by_sku[ois.type] = ois
    for sku, quantity, amount, line_tax in deltas:
        ois = by_sku[sku]
        OrderItem.objects.create(
            order=order,
            delivery_group=original.delivery_groups.first(),
            order_item_summary=ois,
            type=ois.type,
            sku=sku,
            name=ois.name,
            quantity=D(quantity),
            unit_price=ois.unit_price,
            line_amount=D(amount),
            line_tax_amount=D(line_tax),
        )
        total += D(amount)
        tax += D(line_tax)
    Order.objects.filter(pk=order.pk).update(total_amount=total, total_tax_amount=tax, grand_total_amount=total + tax)
    OrderSummary.objects.filter(pk=summary.pk).update(
        grand_total_amount=F("grand_total_amount") + total + tax,
        total_amount=F("total_amount") + total,
        total_tax_amount=F("total_tax_amount") + tax,
    )
    order.refresh_from_db()
    return order


def return_one_a(summary: OrderSummary) -> Order:
    """DOMAIN §6: return 1 × A without shipping reduction: −40.00, tax −3.20."""
    return change_order(summary, ChangeType.RETURN, [("A", "-1", "-40.00", "-3.20")], phase=FulfillmentPhase.POST)


def add_payment_method(
    summary: OrderSummary, method: str, amount, *, token="tok_visa", captured=False, last4="1111"
) -> OrderPaymentSummary:
    """A further payment summary with one authorization (or a sale, when captured) of `amount`."""
    amount = D(str(amount))
    ops = OrderPaymentSummary.objects.create(
        order_summary=summary,
        method=method,
        currency=summary.currency,
        authorization_amount=amount,
        captured_amount=amount if captured else D("0"),
        balance_amount=amount if captured else D("0"),
        last4=last4,
    )
    common = {
        "order": summary.original_order,
        "order_payment_summary": ops,
        "currency": summary.currency,
        "method": method,
        "gateway_token": token,
    }
    if captured:
        Payment.objects.create(kind="Sale", amount=amount, balance=amount, gateway_reference=f"sale_{ops.pk}", **common)
    else:
        PaymentAuthorization.objects.create(amount=amount, gateway_reference=f"auth_{ops.pk}", **common)
    return ops


def run(operation: BackgroundOperation) -> BackgroundOperation:
    """Run the operation's task body in-process, as the worker would."""
    background_operations.run_operation(operation.pk)
    operation.refresh_from_db()
    return operation


def ops_fields(ops: OrderPaymentSummary) -> dict[str, Decimal]:
    ops.refresh_from_db()
    return {
        "authorized": ops.authorization_amount,
        "captured": ops.captured_amount,
        "refunded": ops.refunded_amount,
        "pendingCapture": ops.pending_capture_amount,
        "pendingRefund": ops.pending_refund_amount,
        "balance": ops.balance_amount,
        "availableToCapture": ops.available_to_capture_amount,
        "availableToRefund": ops.available_to_refund_amount,
    }


def set_token(summary: OrderSummary, token: str, method: str = "Visa") -> None:
    PaymentAuthorization.objects.filter(order_payment_summary__order_summary=summary, method=method).update(
        gateway_token=token
    )
    Payment.objects.filter(order_payment_summary__order_summary=summary, method=method).update(gateway_token=token)
