"""A location refuses units (reject-items, issue 16): the units go back to be placed, elsewhere.

Rejecting lines of a fulfillment order takes the units off it as cancel-item does (amounts back,
allocation and reservation released) and records each rejection with its reason. The location is
then excluded for the order summary, so routing never sends this summary's units there again, and
routing runs after commit for what is now unplaced; when no location can take the units routing
raises a Fulfillment process exception. A fulfillment order left with no product units is Rejected.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from orders.errors import FieldError, InvalidInput, InvalidState
from orders.models import (
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentOrderStatus,
    FulfillmentRejection,
    ItemType,
    OrderItemSummary,
    OrderSummary,
    RoutingExclusion,
)
from orders.money import ZERO
from orders.selectors.summaries import parse_id
from orders.services.actor import Actor
from orders.services.change_flow import actor_fields
from orders.services.fulfillment_cancel import cancel_lines, lock_fulfillment_order, set_status
from orders.services.fulfillment_create import update_totals
from orders.services.line_input import check_line_list
from orders.services.summary_refresh import refresh_summary

FIELD = "fulfillmentOrderLineItemsToReject"
REASON_MAX_LENGTH = 255
REASON_SEPARATOR = "; "


@dataclass(frozen=True)
class LineToReject:
    fulfillment_order_line_item_id: int | str
    quantity: Decimal
    reason: str


def reject_fulfillment_order_items(
    fulfillment_order_id: int | str, lines: list[LineToReject], *, actor: Actor = None, channel_id: int | None = None
) -> FulfillmentOrder:
    check_line_list(lines, FIELD, each=_reason_errors)
    with transaction.atomic():
        order, summary, items = lock_fulfillment_order(fulfillment_order_id, channel_id=channel_id)
        if order.is_final:
            raise InvalidState(f"Fulfillment order {order.number} is {order.status}; nothing can be rejected.")
        order_lines = {line.pk: line for line in order.lines.all()}
        wanted: dict[int, Decimal] = defaultdict(lambda: ZERO)
        reasons: dict[int, list[tuple[Decimal, str]]] = defaultdict(list)
        errors: list[FieldError] = []
        for index, entry in enumerate(lines):
            line_id = parse_id(entry.fulfillment_order_line_item_id)
            line = order_lines.get(line_id) if line_id is not None else None
            if line is None:
                errors.append(
                    FieldError(
                        "No such line on this fulfillment order.", f"{FIELD}[{index}].fulfillmentOrderLineItemId"
                    )
                )
            elif line.type != ItemType.PRODUCT:
                errors.append(
                    FieldError(
                        "Only product lines are rejected; the delivery charge follows the units.",
                        f"{FIELD}[{index}].fulfillmentOrderLineItemId",
                    )
                )
            else:
                wanted[line.pk] += Decimal(entry.quantity)
                reasons[line.pk].append((Decimal(entry.quantity), entry.reason.strip()))
        if errors:
            raise InvalidInput(errors[0].message, errors=errors)
        for pk, quantity in wanted.items():
            line = order_lines[pk]
            if quantity > line.quantity:
                raise InvalidState(
                    f"Only {line.quantity.normalize():f} of {line.sku or line.name} are on this fulfillment order; "
                    f"asked to reject {quantity.normalize():f}.",
                    field=FIELD,
                )
        reject_lines(order, list(order_lines.values()), reasons, items, actor=actor)
        emptied = not any(line.quantity > 0 for line in order_lines.values() if line.type == ItemType.PRODUCT)
        if emptied:
            # Nothing left to ship: the delivery charge goes back to the group for its next fulfillment order.
            remaining = {line.pk: line.quantity for line in order_lines.values() if line.quantity > 0}
            cancel_lines(order, list(order_lines.values()), remaining, items)
        # Totals before the status: the status change's event carries the order as it is left.
        update_totals(order, list(order_lines.values()))
        if emptied:
            set_status(order, FulfillmentOrderStatus.REJECTED)
        refresh_summary(summary, items)
        given = dict.fromkeys(reason for entries in reasons.values() for _, reason in entries)
        exclude_and_reroute(order, summary, REASON_SEPARATOR.join(given))
        # What the location still holds may all have shipped already: then the order is Fulfilled. Imported
        # here: the shipments service builds on the status service, which builds on this module.
        from orders.services.shipments import fulfil_when_all_shipped

        fulfil_when_all_shipped(order, order_lines.values())
    return order


def reject_lines(
    order: FulfillmentOrder,
    lines: list[FulfillmentOrderLineItem],
    rejected: dict[int, list[tuple[Decimal, str]]],
    items: list[OrderItemSummary],
    *,
    actor: Actor = None,
) -> None:
    """Under the summary, item and fulfillment-order locks: take `rejected[line id]` (units, reason) off the
    lines as a cancel does, and keep on each line how many of its units were refused and why, with a
    FulfillmentRejection per reason saying who and when. Reject-items and a whole order moved to Rejected
    (fulfillment_status) both come here, so a rejection reads the same however it was made."""
    who = actor_fields(actor)
    by_id = {line.pk: line for line in lines}
    FulfillmentRejection.objects.bulk_create(
        [
            FulfillmentRejection(
                fulfillment_order=order, fulfillment_order_line=by_id[pk], quantity=quantity, reason=reason, **who
            )
            for pk, entries in rejected.items()
            for quantity, reason in entries
        ]
    )
    cancel_lines(order, lines, {pk: sum((q for q, _ in entries), ZERO) for pk, entries in rejected.items()}, items)
    changed = []
    for pk, entries in rejected.items():
        line = by_id[pk]
        line.quantity_rejected += sum((quantity for quantity, _ in entries), ZERO)
        # Every distinct reason the line was refused for, oldest first, as far as the column holds.
        reasons = [r for r in line.rejection_reason.split(REASON_SEPARATOR) if r] + [r for _, r in entries if r]
        line.rejection_reason = REASON_SEPARATOR.join(dict.fromkeys(reasons))[:REASON_MAX_LENGTH]
        changed.append(line)
    FulfillmentOrderLineItem.objects.bulk_update(changed, ["quantity_rejected", "rejection_reason"])


def exclude_and_reroute(order: FulfillmentOrder, summary: OrderSummary, reason: str) -> None:
    """Inside the rejecting transaction: never route this summary to the location again, and route
    what is unplaced once the rejection commits (when automatic routing is on)."""
    from orders.routing_tasks import schedule_rerouting

    RoutingExclusion.objects.get_or_create(
        order_summary=summary, location_id=order.location_id, defaults={"reason": reason[:REASON_MAX_LENGTH]}
    )
    schedule_rerouting(summary.pk)


def _reason_errors(entry: LineToReject, path: str) -> list[FieldError]:
    reason = entry.reason.strip() if isinstance(entry.reason, str) else ""
    if not reason:
        return [FieldError("Give the reason for the rejection.", f"{path}.reason")]
    if len(reason) > REASON_MAX_LENGTH:
        return [FieldError(f"At most {REASON_MAX_LENGTH} characters.", f"{path}.reason")]
    return []
