"""Create the order summary of an order ingested with createOrderSummary false."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from orders.automation import order_summary_created
from orders.errors import InvalidInput, InvalidState, NotFound
from orders.models import LifeCycleType, Order, OrderItemTaxLine, OrderKind, OrderSummary, OrderSummaryStatus
from orders.money import ZERO
from orders.services.order_write import CreatedOrder, build_order_summary


def _line_tax_rate(tax_lines: Iterable[OrderItemTaxLine]) -> Decimal | None:
    rates = [tax.rate for tax in tax_lines if tax.adjustment_line_id is None]
    known = [rate for rate in rates if rate is not None]
    if not rates or len(known) != len(rates):
        return None
    return sum(known, ZERO)


def create_order_summary(
    order_id: int | str,
    *,
    life_cycle_type: str = LifeCycleType.MANAGED,
    name: str = "",
    status: str | None = None,
    external_reference: str = "",
    channel_id: int | None = None,
) -> OrderSummary:
    """`channel_id` restricts the lookup to one channel (a storefront key); another's order is not found."""
    if status not in (None, "", OrderSummaryStatus.CREATED):
        raise InvalidInput("A new order summary starts in status 'Created'.", field="status")
    if life_cycle_type not in LifeCycleType.values:
        raise InvalidInput(f"Use one of {', '.join(LifeCycleType.values)}.", field="orderLifeCycleType")
    with transaction.atomic():
        orders = Order.objects.select_for_update().filter(kind=OrderKind.ORIGINAL)
        if channel_id is not None:
            orders = orders.filter(sales_channel_id=channel_id)
        order = orders.filter(pk=order_id).first() if str(order_id).isdigit() else None
        if order is None:
            raise NotFound(f"No order {order_id}.", field="orderId")
        if hasattr(order, "summary"):
            raise InvalidState(
                f"Order {order.order_number} has an order summary already.",
                field="orderId",
                output={"orderSummaryId": str(order.summary.pk)},
            )
        items = list(order.items.prefetch_related("tax_lines"))
        for item in items:
            # build_order_summary reads each item's tax rate, an attribute create_order sets on the items it
            # makes (orders.services.ingest), not a column of OrderItem.
            item.tax_rate = _line_tax_rate(item.tax_lines.all())  # type: ignore[attr-defined]
        created = CreatedOrder(order=order, delivery_groups=list(order.delivery_groups.all()), items=items)
        summary = build_order_summary(
            created, life_cycle_type=life_cycle_type, name=name, external_reference=external_reference
        )
        # Like a summary made at ingest, a managed one made later is routed (DOMAIN.md §4.3); the
        # routing is recorded with the summary (outbox).
        order_summary_created(summary)
    return summary
