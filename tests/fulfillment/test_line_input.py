"""The line list cancel-item and reject-items share (orders.services.line_input): refused before any lock,
every problem named by its path."""

from decimal import Decimal as D

import pytest

from orders.errors import InvalidInput
from orders.services.fulfillment_cancel import LineToCancel, cancel_fulfillment_order_items
from orders.services.fulfillment_reject import LineToReject, reject_fulfillment_order_items

BROKEN = [("x", D(1)), ("7", "many"), ("7", D(0)), ("7", D("-1")), ("7", D("1.005"))]
PATHS = [".fulfillmentOrderLineItemId", ".quantity", ".quantity", ".quantity", ".quantity"]
MESSAGES = [
    "Not a line id.",
    "Must be a number.",
    "Must be greater than zero.",
    "Must be greater than zero.",
    "At most 2 decimal places.",
]


def fields_of(failure) -> list[tuple[str, str]]:
    return [(error.field, error.message) for error in failure.value.errors]


@pytest.mark.django_db
def test_cancel_and_reject_refuse_the_same_shapes_naming_each_path():
    # No such fulfillment order either: the shape is refused before anything is looked up.
    with pytest.raises(InvalidInput) as cancel:
        cancel_fulfillment_order_items(999999, [LineToCancel(pk, quantity) for pk, quantity in BROKEN])
    with pytest.raises(InvalidInput) as reject:
        reject_fulfillment_order_items(999999, [LineToReject(pk, quantity, "Damaged") for pk, quantity in BROKEN])

    expected = [(f"[{index}]{path}", message) for index, (path, message) in enumerate(zip(PATHS, MESSAGES))]
    assert fields_of(cancel) == [(f"fulfillmentOrderLineItemsToCancel{path}", m) for path, m in expected]
    assert fields_of(reject) == [(f"fulfillmentOrderLineItemsToReject{path}", m) for path, m in expected]


@pytest.mark.django_db
def test_an_empty_list_and_reject_reasons():
    with pytest.raises(InvalidInput) as cancel:
        cancel_fulfillment_order_items(1, [])
    assert fields_of(cancel) == [("fulfillmentOrderLineItemsToCancel", "Give at least one line.")]
    with pytest.raises(InvalidInput) as reject:
        reject_fulfillment_order_items(
            1, [LineToReject("7", D(1), "  "), LineToReject("8", D(1), "x" * 256), LineToReject("9", D(1), None)]
        )
    assert fields_of(reject) == [
        ("fulfillmentOrderLineItemsToReject[0].reason", "Give the reason for the rejection."),
        ("fulfillmentOrderLineItemsToReject[1].reason", "At most 255 characters."),
        ("fulfillmentOrderLineItemsToReject[2].reason", "Give the reason for the rejection."),
    ]
