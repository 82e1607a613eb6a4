"""The fast reading of an ingest body (orders/api/fast_validation.py) against DRF's serializer.

Whenever the fast reading answers, DRF must accept the same body and validate it to exactly the same
data (same keys in the same order, same types, same Decimal exponents, same choice objects); when it
does not answer, DRF decides and words the error. Checked on valid bodies and on bodies broken or bent
at random places with values of every awkward kind.
"""

import copy
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from orders.api.fast_validation import FastReader, fast_reader
from orders.api.ingest_serializers import OrderIngestSerializer, order_input
from tests.bench.support import storefront_order
from tests.builders import address, item, order_body, tax, worked_example_body


def parsed(body) -> dict:
    """The body as the API's parser hands it over: JSON numbers with a fraction as Decimal."""
    return json.loads(json.dumps(body, default=str), parse_float=Decimal)


def drf_reading(body):
    try:
        return OrderIngestSerializer().run_validation(copy.deepcopy(body))
    except ValidationError:
        return None


def assert_same_reading(body) -> bool:
    """True when the fast reading answered (and then agreed with DRF exactly)."""
    fast = fast_reader(OrderIngestSerializer).read(copy.deepcopy(body))
    if fast is None:
        return False
    drf = drf_reading(body)
    assert drf is not None, f"the fast reading accepted a body DRF refuses: {body!r}"
    assert repr(fast) == repr(drf)
    return True


def full_body() -> dict:
    """Every optional field of the ingest body present, so that each can be bent."""
    body = order_body(
        number="FULL-1",
        groups=[
            {
                "referenceId": "g1",
                "deliverTo": {
                    **address(),
                    "email": "bo@example.com",
                    "phone": "+1 555 0101",
                    "latitude": Decimal("39.781721"),
                    "longitude": Decimal("-89.650148"),
                },
                "deliveryMethod": "Ground",
                "desiredDeliveryDate": "2026-11-24",
                "isGift": True,
                "giftMessage": "Enjoy",
                "deliveryCharge": {
                    "amount": Decimal("5.00"),
                    "name": "Ground",
                    "sku": "SHIP",
                    "taxes": [tax(8, "0.40")],
                    "adjustments": [],
                },
                "items": [
                    item(
                        "SKU-1",
                        2,
                        "10.00",
                        rate=8,
                        productReference="P-1",
                        listPrice=Decimal("12.00"),
                        adjustments=[
                            {
                                "name": "Promo",
                                "promotionCode": "SAVE",
                                "source": "Item",
                                "amount": Decimal("-2.00"),
                                "taxes": [{"name": "Sales tax", "rate": Decimal("8"), "amount": Decimal("-0.16")}],
                            }
                        ],
                    ),
                    item("SKU-2", Decimal("1.5"), "3.3332", tax_amount="0.25"),
                ],
            }
        ],
    )
    body.update(
        {
            "name": "Web order",
            "externalReference": "ext-1",
            "orderLifeCycleType": "MANAGED",
            "createOrderSummary": True,
            "taxLocaleType": "Net",
        }
    )
    body["payments"][0].update({"type": "Credit Card", "expiresAt": "2026-12-01T00:00:00+02:00", "amount": "40.0000"})
    body["payments"].append({"kind": "sale", "method": "Gift card", "gatewayToken": "gc_1", "amount": "1.00"})
    return parsed(body)


def test_the_fast_reading_covers_the_ingest_serializer():
    assert fast_reader(OrderIngestSerializer).covers


@pytest.mark.parametrize(
    "body",
    [
        storefront_order("S-1"),
        order_body(number="B-1"),
        worked_example_body(),
        storefront_order("S-2", lines=100),
    ],
    ids=["storefront", "builders", "worked example", "100 lines"],
)
def test_valid_bodies_are_read_fast_and_exactly_as_drf_reads_them(body):
    assert assert_same_reading(parsed(body))


def test_every_optional_field_is_read_exactly_as_drf_reads_it():
    assert assert_same_reading(full_body())


def test_defaults_are_drfs_own_objects():
    body = parsed(order_body(number="D-1"))
    del body["taxLocaleType"]
    fast = fast_reader(OrderIngestSerializer).read(body)
    assert fast["taxLocaleType"] is OrderIngestSerializer._declared_fields["taxLocaleType"].default
    assert fast["payments"][0]["expiresAt"] is None and "totalAmount" not in fast
    assert assert_same_reading(body)


@pytest.mark.parametrize(
    "path, value",
    [
        (("orderNumber",), "  N-1  "),  # trimmed
        (("billTo", "postalCode"), 62701),  # a number where text is expected: DRF takes its text
        (("billTo", "latitude"), ""),  # a blank nullable number is null
        (("billTo", "latitude"), "  "),
        (("deliveryGroups", 0, "items", 0, "quantity"), "1e0"),
        (("deliveryGroups", 0, "items", 0, "quantity"), 1),
        (("deliveryGroups", 0, "items", 0, "unitPrice"), " 10.0 "),
        (("deliveryGroups", 0, "deliveryCharge"), None),
        (("salesChannel",), None),
        (("billTo", "country"), ""),
        (("orderedDate",), "2026-11-20T10:00:00+05:30"),
        (("orderedDate",), "2026-11-20 10:00"),
    ],
)
def test_bent_but_valid_values(path, value):
    body = full_body()
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert drf_reading(body) is not None
    assert_same_reading(body)


AWKWARD = [
    None,
    "",
    "   ",
    " x ",
    "x" * 81,
    "x" * 256,
    "é",
    "\x00",
    "a\x00b",
    "\ud800",
    "١٢٣٤",
    "4242",
    "US",
    "us",
    "USD",
    "XXX",
    "Item",
    "Distributed",
    "authorization",
    "sale",
    "MANAGED",
    "UNMANAGED",
    "Net",
    "Gross",
    "true",
    "yes",
    "1",
    "0",
    0,
    1,
    -1,
    7,
    10**20,
    True,
    False,
    Decimal("0"),
    Decimal("-0"),
    Decimal("0.01"),
    Decimal("1.005"),
    Decimal("-2.00"),
    Decimal("100"),
    Decimal("100.0001"),
    Decimal("1E+2"),
    Decimal("1E-7"),
    Decimal("99999999999.9999"),
    Decimal("9999999999.9999"),
    "10",
    "10.00000",
    " 5.5 ",
    "+3",
    ".5",
    "5.",
    "1_000",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "0E-10",
    "2026-11-20",
    "2026-11-20T10:00:00Z",
    "2026-02-30T10:00:00Z",
    "2026-11-20T25:00:00Z",
    "20261120",
    "tok_4111111111111111",
    "4111 1111 1111 1111",
    "a@example.com",
    "not-an-email",
    "a@b",
    [],
    [{}],
    {},
    {"name": "x"},
]


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _bend(body, path, action, value):
    if not path:
        return value if action == "replace" else body
    target = body
    for key in path[:-1]:
        target = target[key]
    key = path[-1]
    if action == "replace":
        target[key] = value
    elif action == "delete":
        if isinstance(target, dict):
            del target[key]
        else:
            target.pop(key)
    elif action == "unknown" and isinstance(target, dict):
        target["unknownField"] = value
    elif action == "extend" and isinstance(target[key], list) and target[key]:
        target[key] = target[key] + copy.deepcopy(target[key])
    return body


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_fast_reading_never_accepts_what_drf_refuses_nor_reads_it_otherwise(data):
    body = full_body()
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(_paths(body))
        path = data.draw(st.sampled_from(paths))
        action = data.draw(st.sampled_from(["replace", "replace", "replace", "delete", "unknown", "extend"]))
        value = data.draw(
            st.one_of(
                st.sampled_from(AWKWARD),
                st.decimals(allow_nan=False, allow_infinity=False, places=data.draw(st.integers(0, 6))),
                st.text(max_size=20),
                st.integers(-(10**6), 10**6),
            )
        )
        body = _bend(body, path, action, value)
    assert_same_reading(body)


def test_a_body_the_fast_reading_is_unsure_of_gets_drfs_answer():
    body = parsed(order_body(number="U-1"))
    body["deliveryGroups"][0]["items"][0]["quantity"] = "three"
    assert fast_reader(OrderIngestSerializer).read(body) is None
    with pytest.raises(ValidationError) as refused:
        order_input(body)
    assert refused.value.detail["deliveryGroups"][0]["items"][0]["quantity"] == ["A valid number is required."]


def test_a_serializer_with_a_field_kind_it_does_not_know_is_left_to_drf():
    from rest_framework import serializers

    from orders.api.strict import StrictSerializer

    class WithUuid(StrictSerializer):
        id = serializers.UUIDField()

    class WithValidate(StrictSerializer):
        name = serializers.CharField()

        def validate(self, attrs):
            return attrs

    assert not FastReader(WithUuid).covers and FastReader(WithUuid).read({"id": "x"}) is None
    assert not FastReader(WithValidate).covers
