"""The record of each fulfillment-order move (status change, canceled line) with who made it and the
amounts as they were then, written inside the moving service's transaction (issue 13 point 8)."""

from decimal import Decimal

from orders.models import (
    STATUS_CATEGORY,
    FulfillmentMoveKind,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentOrderMove,
    FulfillmentOrderStatus,
    FulfillmentOrderStatusCategory,
)
from orders.money import round_money
from orders.services.actor import Actor
from orders.services.change_flow import actor_fields

REASON_MAX_LENGTH = 255
_STEPS = list(FulfillmentOrderStatus.values)
_RELEASING = (FulfillmentOrderStatusCategory.CANCELLED, FulfillmentOrderStatusCategory.REJECTED)


def needs_confirmation(current: str, new: str) -> bool:
    """Moves an agent must confirm with a reason: a reject, a cancel, or a step back (Printed to Assigned)."""
    if STATUS_CATEGORY[new] in _RELEASING:
        return True
    return _STEPS.index(new) < _STEPS.index(current)


def line_gross(line: FulfillmentOrderLineItem) -> Decimal:
    gross: Decimal = (
        line.total_line_amount
        + line.total_line_tax_amount
        + line.total_adjustment_amount
        + line.total_adjustment_tax_amount
    )
    return gross


def record_status_move(
    order: FulfillmentOrder, from_status: str, to_status: str, amount: Decimal, *, reason: str = "", actor: Actor = None
) -> None:
    FulfillmentOrderMove.objects.create(
        fulfillment_order=order,
        kind=FulfillmentMoveKind.STATUS,
        from_status=from_status,
        to_status=to_status,
        amount=round_money(amount, order.currency),
        currency=order.currency,
        reason=reason[:255],
        **actor_fields(actor),
    )


def record_line_cancels(
    order: FulfillmentOrder,
    from_status: str,
    canceled: dict[int, Decimal],
    gross_before: dict[int, Decimal],
    *,
    reason: str = "",
    actor: Actor = None,
) -> None:
    """One row per canceled line: its units and what they were worth (the line's gross before less after)."""
    after = {pk: line for pk, line in FulfillmentOrderLineItem.objects.in_bulk(list(canceled)).items()}
    FulfillmentOrderMove.objects.bulk_create(
        [
            FulfillmentOrderMove(
                fulfillment_order=order,
                kind=FulfillmentMoveKind.LINE_CANCEL,
                from_status=from_status,
                to_status=order.status,
                fulfillment_order_line_id=pk,
                line_name=after[pk].name[:255],
                quantity=quantity,
                amount=round_money(gross_before[pk] - line_gross(after[pk]), order.currency),
                currency=order.currency,
                reason=reason[:255],
                **actor_fields(actor),
            )
            for pk, quantity in sorted(canceled.items())
            if quantity > 0
        ]
    )
