"""Issue 7, case 7: fields a client must not set — status, totals, prices after ingest, the channel —
are refused with 400 naming the field, and nothing is written; not silently ignored.

Every write operation gets its valid request (tests/security/world.py) plus one such field its
request schema does not document.
"""

import json
import uuid

import pytest

from tests.api.schema import served_schema
from tests.security.world import REQUESTS, build_world, row_counts

pytestmark = pytest.mark.django_db

FORBIDDEN = {
    "status": "Fulfilled",
    "grandTotalAmount": 0,
    "totalAmount": 0,
    "unitPrice": 0,
    "salesChannel": "Web EU",
    "salesChannelId": "1",
    "version": 99,
}
WRITES = sorted(op for op in REQUESTS if op[0] in ("POST", "PATCH"))

# Writes that take no body at all: nothing in a request can set a field. Any other write without a
# documented body is a mistake in the schema or the view, and fails below.
BODYLESS = {
    ("POST", "api/v1/commerce/fulfillment/fulfillment-orders/<str:fulfillment_order_id>/actions/create-invoice"),
    ("POST", "api/v1/commerce/process-exceptions/<str:exception_id>/actions/retry"),
    ("POST", "api/v1/commerce/order-management/order-summaries/<str:summary_id>/actions/route"),
    ("POST", "api/v1/webhook-endpoints/<str:endpoint_id>/deliveries/<str:delivery_id>/actions/redeliver"),
}

# The batch envelope is checked whole: anything beside "orders" is refused naming the envelope.
NAMED_AS = {("POST", "api/v1/commerce/orders/batch"): "orders"}


def documented_fields(method: str, route: str) -> set[str] | None:
    """The top-level keys of the operation's request body in the served schema; None: no body."""
    template = "/" + route.replace("<str:", "{").replace(">", "}")
    operation = served_schema()["paths"][template][method.lower()]
    body = operation.get("requestBody")
    if body is None:
        return None
    schema = body["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[1]
    return set(served_schema()["components"]["schemas"][name].get("properties", {}))


def case(operation):
    return pytest.param(operation, id=f"{operation[0]} {operation[1].removeprefix('api/v1/commerce/')}")


@pytest.mark.parametrize("operation", [case(op) for op in WRITES])
def test_a_field_the_client_must_not_set_is_refused_and_nothing_written(operation, api):
    documented = documented_fields(*operation)
    if documented is None:
        assert operation in BODYLESS, "a write with no documented request body"
        return
    assert operation not in BODYLESS, "documents a body now: take it out of BODYLESS"
    world = build_world("Web US", "US")
    path, body = REQUESTS[operation](world)
    accepted = {}
    for key, value in FORBIDDEN.items():
        if key in documented:
            continue  # the operation sets it by design (e.g. a status move); its own tests check the values
        before = row_counts()
        response = api.generic(
            operation[0],
            path,
            json.dumps({**body, key: value}, default=str),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )
        fields = [error["field"] for error in json.loads(response.content).get("errors", [])]
        if response.status_code != 400 or NAMED_AS.get(operation, key) not in fields or row_counts() != before:
            accepted[key] = f"{response.status_code} {fields}"
    assert accepted == {}


def test_prices_are_not_set_after_ingest(api):
    """A change names units and reasons, never prices: a price on a change item is refused, and a
    "discount" that raises the price is refused."""
    world = build_world("Web US", "US")
    summaries = "/api/v1/commerce/order-management/order-summaries"
    before = row_counts()
    raise_price = {
        "adjustItems": [
            {
                "orderItemSummaryId": str(world.a),
                "adjustmentType": "AmountWithoutTax",
                "amount": 5,
                "reason": "Goodwill",
            }
        ]
    }
    response = api.post(f"{summaries}/{world.summary}/actions/adjust-item-submit", raise_price, format="json")
    assert response.status_code == 400, response.content
    assert json.loads(response.content)["errors"][0]["field"] == "adjustItems[0].amount"
    assert row_counts() == before


def test_a_price_on_a_change_item_is_refused(api):
    world = build_world("Web US", "US")
    summaries = "/api/v1/commerce/order-management/order-summaries"
    before = row_counts()
    priced = {"changeItems": [{"orderItemSummaryId": str(world.a), "quantity": 1, "reason": "Damaged", "unitPrice": 0}]}
    response = api.post(f"{summaries}/{world.summary}/actions/submit-cancel", priced, format="json")
    assert response.status_code == 400, response.content
    assert json.loads(response.content)["errors"][0]["field"] == "changeItems[0].unitPrice"
    assert row_counts() == before
