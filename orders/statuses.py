"""Status derivation of DOMAIN.md §5.1 and §5.2: one function each, from quantities only."""

from collections.abc import Iterable
from decimal import Decimal

from orders.models import ItemStatus, ItemType, OrderSummaryStatus


def item_status(
    *,
    ordered: Decimal,
    canceled: Decimal,
    allocated: Decimal,
    fulfilled: Decimal,
    return_initiated: Decimal,
    returned: Decimal,
    reshipped: Decimal = Decimal(0),
) -> str:
    """§5.1: the first rule that holds wins. Issue 15 adds RESHIPPED before FULFILLED: every fulfilled unit
    of an item still held was sent again."""
    quantity = ordered - canceled - returned
    net_ordered = ordered - canceled
    if quantity > 0 and return_initiated > 0 and return_initiated == fulfilled and returned < return_initiated:
        return ItemStatus.RETURNINITIATED
    if quantity == 0 and returned > 0:
        return ItemStatus.RETURNED
    if quantity == 0 and canceled > 0 and returned == 0:
        return ItemStatus.CANCELED
    if quantity > 0 and reshipped > 0 and reshipped >= fulfilled:
        return ItemStatus.RESHIPPED
    if quantity > 0 and net_ordered <= fulfilled:
        return ItemStatus.FULFILLED
    if quantity > 0 and fulfilled > 0:
        return ItemStatus.PARTIALLYFULFILLED
    if quantity > 0 and net_ordered <= allocated:
        return ItemStatus.ALLOCATED
    if quantity > 0 and allocated > 0:
        return ItemStatus.PARTIALLYALLOCATED
    return ItemStatus.ORDERED


def item_summary_status(ois) -> str:
    return item_status(
        ordered=ois.quantity_ordered,
        canceled=ois.quantity_canceled,
        allocated=ois.quantity_allocated,
        fulfilled=ois.quantity_fulfilled,
        return_initiated=ois.quantity_return_initiated,
        returned=ois.quantity_returned,
        reshipped=ois.quantity_reshipped,
    )


def order_summary_status(item_summaries: Iterable) -> str:
    """§5.2, from the product item summaries.

    Canceled: every product canceled. Returned: nothing left to ship or keep and something came
    back. Fulfilled: every product still held is fully shipped. Waiting to Fulfill: some units are
    on fulfillment orders. Created otherwise.
    """
    products = [ois for ois in item_summaries if ois.type == ItemType.PRODUCT]
    if not products:
        return OrderSummaryStatus.CREATED
    held = [ois for ois in products if ois.quantity > 0]
    if not held:
        if any(ois.quantity_returned > 0 for ois in products):
            return OrderSummaryStatus.RETURNED
        return OrderSummaryStatus.CANCELED
    if all(ois.quantity_net_ordered <= ois.quantity_fulfilled for ois in held):
        return OrderSummaryStatus.FULFILLED
    if any(ois.quantity_allocated > 0 for ois in products):
        return OrderSummaryStatus.WAITING_TO_FULFILL
    return OrderSummaryStatus.CREATED
