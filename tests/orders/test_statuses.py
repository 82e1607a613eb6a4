"""Status derivation, DOMAIN.md §5.1 (item summaries) and §5.2 (order summaries), rule by rule."""

from decimal import Decimal

import pytest

from orders.models import ItemStatus, ItemType, OrderItemSummary, OrderSummaryStatus
from orders.statuses import item_status, item_summary_status, order_summary_status

D = Decimal


def status_of(ordered, canceled=0, allocated=0, fulfilled=0, return_initiated=0, returned=0) -> str:
    return item_status(
        ordered=D(ordered),
        canceled=D(canceled),
        allocated=D(allocated),
        fulfilled=D(fulfilled),
        return_initiated=D(return_initiated),
        returned=D(returned),
    )


# Each case: quantities (ordered, canceled, allocated, fulfilled, return initiated, returned), the status,
# and why, with Quantity = ordered − canceled − returned and NetOrdered = ordered − canceled.
ITEM_CASES = [
    # 1. RETURNINITIATED: Quantity > 0, RI > 0, RI = Fulfilled, Returned < RI.
    ((2, 0, 2, 2, 2, 0), ItemStatus.RETURNINITIATED, "all shipped units expected back, none processed"),
    ((3, 1, 2, 2, 2, 1), ItemStatus.RETURNINITIATED, "Q = 3−1−1 = 1; RI 2 = fulfilled 2; returned 1 < 2"),
    # Rule 1 wins over rule 4 (NetOrdered 2 ≤ Fulfilled 2 holds too).
    ((2, 0, 2, 2, 2, 1), ItemStatus.RETURNINITIATED, "Q = 1; rule 1 is checked first"),
    # 2. RETURNED: Quantity = 0, Returned > 0.
    ((2, 0, 2, 2, 2, 2), ItemStatus.RETURNED, "Q = 2−0−2 = 0, all came back"),
    ((2, 1, 1, 1, 1, 1), ItemStatus.RETURNED, "Q = 2−1−1 = 0 with a cancel: rule 2 comes before rule 3"),
    # 3. CANCELED: Quantity = 0, Canceled > 0, Returned = 0.
    ((2, 2, 0, 0, 0, 0), ItemStatus.CANCELED, "Q = 0, nothing returned"),
    # 4. FULFILLED: Quantity > 0, NetOrdered ≤ Fulfilled.
    ((2, 0, 2, 2, 0, 0), ItemStatus.FULFILLED, "NetOrdered 2 ≤ fulfilled 2"),
    ((3, 1, 2, 2, 0, 0), ItemStatus.FULFILLED, "NetOrdered 3−1 = 2 ≤ fulfilled 2"),
    ((2, 0, 2, 2, 1, 1), ItemStatus.FULFILLED, "RI 1 ≠ fulfilled 2, so not rule 1; Q 1 > 0; 2 ≤ 2"),
    # 5. PARTIALLYFULFILLED: Quantity > 0, Fulfilled > 0.
    ((3, 0, 3, 1, 0, 0), ItemStatus.PARTIALLYFULFILLED, "1 of 3 shipped"),
    ((3, 0, 1, 1, 0, 0), ItemStatus.PARTIALLYFULFILLED, "rule 5 before rule 7"),
    # 6. ALLOCATED: Quantity > 0, NetOrdered ≤ Allocated.
    ((2, 0, 2, 0, 0, 0), ItemStatus.ALLOCATED, "NetOrdered 2 ≤ allocated 2"),
    ((3, 1, 2, 0, 0, 0), ItemStatus.ALLOCATED, "NetOrdered 2 ≤ allocated 2 after a cancel"),
    # 7. PARTIALLYALLOCATED: Quantity > 0, Allocated > 0.
    ((3, 0, 1, 0, 0, 0), ItemStatus.PARTIALLYALLOCATED, "1 of 3 allocated"),
    # 8. otherwise ORDERED.
    ((2, 0, 0, 0, 0, 0), ItemStatus.ORDERED, "nothing happened yet"),
    ((2, 1, 0, 0, 0, 0), ItemStatus.ORDERED, "Q = 1 left after a partial cancel, nothing allocated"),
    (("1.5", "0.5", 0, 0, 0, 0), ItemStatus.ORDERED, "fractional units: Q = 1.0"),
]


@pytest.mark.parametrize(("quantities", "expected", "why"), ITEM_CASES, ids=[case[2] for case in ITEM_CASES])
def test_item_status_rules(quantities, expected, why):
    assert status_of(*quantities) == expected


def ois(
    ordered, canceled=0, allocated=0, fulfilled=0, return_initiated=0, returned=0, item_type=ItemType.PRODUCT
) -> OrderItemSummary:
    return OrderItemSummary(
        type=item_type,
        quantity_ordered=D(ordered),
        quantity_canceled=D(canceled),
        quantity_allocated=D(allocated),
        quantity_fulfilled=D(fulfilled),
        quantity_return_initiated=D(return_initiated),
        quantity_returned=D(returned),
    )


def test_item_summary_status_reads_the_item_summarys_quantities():
    assert item_summary_status(ois(3, allocated=3, fulfilled=1)) == ItemStatus.PARTIALLYFULFILLED


def delivery(**quantities) -> OrderItemSummary:
    return ois(1, item_type=ItemType.DELIVERY_CHARGE, **quantities)


SUMMARY_CASES = [
    ([ois(2), ois(1), delivery()], OrderSummaryStatus.CREATED, "nothing allocated"),
    ([ois(2, canceled=1), ois(1), delivery()], OrderSummaryStatus.CREATED, "a partial cancel leaves it created"),
    ([delivery()], OrderSummaryStatus.CREATED, "no products at all"),
    (
        [ois(2, allocated=1), ois(1), delivery()],
        OrderSummaryStatus.WAITING_TO_FULFILL,
        "some units on a fulfillment order",
    ),
    (
        [ois(2, allocated=2, fulfilled=2), ois(1, allocated=1), delivery()],
        OrderSummaryStatus.WAITING_TO_FULFILL,
        "one product still to ship",
    ),
    (
        [ois(2, allocated=2, fulfilled=2), ois(1, allocated=1, fulfilled=1), delivery()],
        OrderSummaryStatus.FULFILLED,
        "every product shipped; the delivery charge does not count",
    ),
    (
        [ois(2, allocated=2, fulfilled=2), ois(1, canceled=1), delivery()],
        OrderSummaryStatus.FULFILLED,
        "a canceled product does not hold it back",
    ),
    (
        [ois(2, allocated=2, fulfilled=2, return_initiated=1, returned=1), ois(1, allocated=1, fulfilled=1)],
        OrderSummaryStatus.FULFILLED,
        "a partial return leaves held units fulfilled",
    ),
    ([ois(2, canceled=2), ois(1, canceled=1), delivery()], OrderSummaryStatus.CANCELED, "every product canceled"),
    (
        [
            ois(2, allocated=2, fulfilled=2, return_initiated=2, returned=2),
            ois(1, allocated=1, fulfilled=1, return_initiated=1, returned=1),
        ],
        OrderSummaryStatus.RETURNED,
        "every fulfilled unit came back",
    ),
    (
        [ois(2, allocated=2, fulfilled=2, return_initiated=2, returned=2), ois(1, canceled=1)],
        OrderSummaryStatus.RETURNED,
        "one returned, the other canceled: nothing is held and something came back",
    ),
]


@pytest.mark.parametrize(("items", "expected", "why"), SUMMARY_CASES, ids=[case[2] for case in SUMMARY_CASES])
def test_order_summary_status_rules(items, expected, why):
    assert order_summary_status(items) == expected
