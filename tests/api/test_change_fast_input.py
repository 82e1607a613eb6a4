"""The change resources read their bodies fast when sure (orders/api/fast_validation.py): the same validated
data as their DRF serializers, never a body DRF refuses; anything else goes to DRF and its error body."""

import copy
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from orders.api.change_serializers import (
    AdjustInputSerializer,
    CancelInputSerializer,
    CancelOrderInputSerializer,
    ChangeInputSerializer,
)
from orders.api.fast_validation import fast_reader
from tests.api.test_fast_validation import AWKWARD, _bend, _paths, parsed

SERIALIZERS = [ChangeInputSerializer, CancelInputSerializer, CancelOrderInputSerializer, AdjustInputSerializer]


def change_body() -> dict:
    return parsed(
        {
            "changeItems": [
                {
                    "orderItemSummaryId": "17",
                    "quantity": 2,
                    "reason": "Damaged",
                    "shippingReductionFlag": True,
                    "reasonForChangeText": "  dented  ",
                    "changeItemFees": [
                        {
                            "amount": Decimal("5.00"),
                            "amountType": "AmountWithTax",
                            "description": "Restock",
                            "reason": "Damaged",
                        },
                        {"amount": "12.5", "amountType": "Percentage"},
                    ],
                },
                {"orderItemSummaryId": "18", "quantity": "1.5", "reason": "Customer Changed Mind"},
            ]
        }
    )


def adjust_body() -> dict:
    return parsed(
        {
            "adjustItems": [
                {
                    "orderItemSummaryId": "17",
                    "adjustmentType": "AmountWithoutTax",
                    "amount": Decimal("-4.50"),
                    "reason": "Price Match",
                    "description": "matched",
                },
                {"orderItemSummaryId": "18", "adjustmentType": "Percentage", "amount": -10, "reason": "Goodwill"},
            ],
            "allocatedItemsChangeOrderType": "InFulfillment",
        }
    )


def cancel_body() -> dict:
    return {**change_body(), "cancelAllocatedQuantity": True}


def cancel_order_body() -> dict:
    return parsed({"reason": "Customer Changed Mind", "reasonText": "  ordered twice "})


BODIES = {
    ChangeInputSerializer: change_body,
    CancelInputSerializer: cancel_body,
    CancelOrderInputSerializer: cancel_order_body,
    AdjustInputSerializer: adjust_body,
}
# The key whose entries are cut to their required keys in the smallest body (None: the body's top level).
ITEMS = {
    ChangeInputSerializer: "changeItems",
    CancelInputSerializer: "changeItems",
    CancelOrderInputSerializer: None,
    AdjustInputSerializer: "adjustItems",
}
OPTIONAL = ("shippingReductionFlag", "description", "cancelAllocatedQuantity", "reasonText")


def drf_reading(serializer_class, body):
    try:
        return serializer_class().run_validation(copy.deepcopy(body))
    except ValidationError:
        return None


def assert_same_reading(serializer_class, body) -> bool:
    fast = fast_reader(serializer_class).read(copy.deepcopy(body))
    if fast is None:
        return False
    drf = drf_reading(serializer_class, body)
    assert drf is not None, f"the fast reading accepted a body DRF refuses: {body!r}"
    assert repr(fast) == repr(drf)
    assert serializer_class.input_from(fast) == serializer_class.input_from(drf)
    return True


@pytest.mark.parametrize("serializer_class", SERIALIZERS)
def test_valid_bodies_are_read_fast_and_exactly_as_drf_reads_them(serializer_class):
    assert fast_reader(serializer_class).covers
    assert assert_same_reading(serializer_class, BODIES[serializer_class]())
    # The smallest body: every optional key left to its default.
    smallest = BODIES[serializer_class]()
    items = ITEMS[serializer_class]
    if items is None:
        smallest = {key: value for key, value in smallest.items() if key not in OPTIONAL}
    else:
        smallest = {items: [{key: value for key, value in smallest[items][1].items() if key not in OPTIONAL}]}
    assert assert_same_reading(serializer_class, smallest)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_fast_reading_never_accepts_what_drf_refuses_nor_reads_it_otherwise(data):
    serializer_class = data.draw(st.sampled_from(SERIALIZERS))
    body = BODIES[serializer_class]()
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(_paths(body))))
        action = data.draw(st.sampled_from(["replace", "replace", "replace", "delete", "unknown", "extend"]))
        value = data.draw(
            st.one_of(
                st.sampled_from(
                    [*AWKWARD, "Damaged", "AmountWithoutTax", "Percentage", "PreFulfillment", "Disallowed"]
                ),
                st.decimals(allow_nan=False, allow_infinity=False, places=data.draw(st.integers(0, 6))),
                st.text(max_size=20),
                st.integers(-(10**6), 10**6),
            )
        )
        body = _bend(body, path, action, value)
    assert_same_reading(serializer_class, body)
