"""Issue 7, case 7: a storefront key never sees or touches another channel's records — through
every API operation the URLconf serves (lists, details, every action)."""

import json
import uuid

import pytest
from django.db import transaction

from orders.models import FulfillmentOrder, OrderSummary, ProcessException, ReturnOrder, SalesChannel
from payments.models import CreditMemo, Invoice
from tests.factories import ApiKeyClient
from tests.security.world import (
    INGESTS,
    LISTS,
    OWN_CHANNEL_CREATES,
    REQUESTS,
    SHARED,
    api_operations,
    build_world,
    row_counts,
)

pytestmark = pytest.mark.django_db

ISOLATED = sorted(set(REQUESTS) - SHARED - OWN_CHANNEL_CREATES)
# A 2xx answer of a multi-record operation ("each one not found") is kept for its Idempotency-Key.
STORED_ANSWERS = ("orders.IdempotencyRecord",)


@pytest.fixture
def worlds():
    return build_world("Web US", "US"), build_world("Web EU", "EU")


@pytest.fixture
def us_storefront(worlds):
    return ApiKeyClient.create(name="us-storefront", scopes=["all"], channel=SalesChannel.objects.get(name="Web US"))


def send(client, method: str, path: str, body):
    """Every POST carries a fresh Idempotency-Key (ingest requires one; the others accept one)."""
    extra = {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex} if method == "POST" else {}
    if body is None:
        return client.generic(method, path, **extra)
    return client.generic(method, path, json.dumps(body, default=str), content_type="application/json", **extra)


def state_of(world) -> dict:
    """What an action on the other channel's records would change, beyond adding rows."""
    summary = OrderSummary.objects.get(pk=world.summary)
    return {
        "summary": (summary.version, summary.grand_total_amount, summary.active_process_exception_count),
        "items": sorted(
            summary.item_summaries.values_list(
                "pk",
                "quantity_canceled",
                "quantity_allocated",
                "quantity_fulfilled",
                "quantity_returned",
                "total_adjustment_amount",
            )
        ),
        "fulfillment": sorted(FulfillmentOrder.objects.filter(order_summary=summary).values_list("pk", "status")),
        "documents": sorted(Invoice.objects.filter(order_summary=summary).values_list("pk", "balance"))
        + sorted(CreditMemo.objects.filter(order_summary=summary).values_list("pk", "balance")),
        "exceptions": sorted(ProcessException.objects.filter(order_summary=summary).values_list("pk", "status")),
        "returns": sorted(ReturnOrder.objects.filter(order_summary=summary).values_list("pk", "status")),
        "payments": sorted(
            summary.payment_summaries.values_list(
                "pk", "captured_amount", "refunded_amount", "pending_capture_amount", "pending_refund_amount"
            )
        ),
    }


def test_every_api_operation_has_a_request():
    assert set(api_operations()) == set(REQUESTS), "add a request for each new operation to tests/security/world.py"


def test_the_shared_operations_are_not_any_channels_records():
    # Locations, stock and routing calculations are configuration shared by all channels, not orders.
    assert {route.split("/")[3] for _, route in SHARED} == {"locations", "inventory-levels", "order-management"}


def refusal_problem(operation, response, ours, theirs) -> str | None:
    """What is wrong with the answer to a storefront key acting on another channel's records, if anything."""
    content = response.content.decode()
    if theirs.number in content or theirs.email in content:
        return f"shows the other channel's order: {content[:300]}"
    if operation in LISTS:
        listed = json.loads(content)
        key, records = LISTS[operation]
        theirs_ids, ours_ids = records(theirs), records(ours)
        rows = listed[key]
        if key == "events":
            # Events are listed by their own ids; whose they are is their order summary (the main one has some).
            rows, ours_ids = [{"id": row["orderSummaryId"]} for row in rows], {ours.summary}
        ids = {row["id"] for row in rows}
        if response.status_code != 200 or ids & {str(pk) for pk in theirs_ids}:
            return f"lists the other channel's records: {content[:300]}"
        if not {str(pk) for pk in ours_ids} <= ids:
            return "does not list the key's own channel either"
        return None
    if operation in INGESTS:
        ok = response.status_code in (200, 201, 400) and "salesChannel" in content
        return None if ok else f"{response.status_code}: {content[:300]}"
    if response.status_code in (200, 201, 202):
        # Operations over several records answer for each one: every one of them was not found.
        found = json.loads(content)
        entries = found.get("invoices") or found.get("fulfillmentOrders") or []
        codes = {e["errorCode"] for entry in entries for e in entry["errors"]}
        if not entries or any(entry["success"] for entry in entries) or codes != {"NOT_FOUND"}:
            return f"{response.status_code}: {content[:300]}"
        return None
    if response.status_code != 404 or json.loads(content)["errors"][0]["errorCode"] != "NOT_FOUND":
        return f"{response.status_code} instead of 404 NOT_FOUND: {content[:300]}"
    return None


def test_a_storefront_key_finds_and_changes_nothing_of_another_channel(worlds, us_storefront):
    ours, theirs = worlds
    problems = {}
    for operation in ISOLATED:
        path, body = REQUESTS[operation](theirs)
        before, their_state = row_counts(ignore=STORED_ANSWERS), state_of(theirs)
        response = send(us_storefront, operation[0], path, body)
        problem = refusal_problem(operation, response, ours, theirs)
        if problem is None and (row_counts(ignore=STORED_ANSWERS), state_of(theirs)) != (before, their_state):
            problem = "wrote something"
        if problem:
            problems[f"{operation[0]} {path}"] = problem
    assert problems == {}
    assert len(ISOLATED) >= 30  # every order, fulfillment, return and money operation


def test_a_back_office_key_reaches_both_channels(worlds, api):
    """The same requests with a key bound to no channel are not refused as not found: the refusals
    above come from the channel, not from a broken request."""
    _ours, theirs = worlds
    problems = {}
    for operation in ISOLATED:
        path, body = REQUESTS[operation](theirs)
        with transaction.atomic():
            response = send(api, operation[0], path, body)
            transaction.set_rollback(True)  # each request starts from the same records
        if response.status_code == 404 or "NOT_FOUND" in response.content.decode():
            problems[f"{operation[0]} {path}"] = f"{response.status_code}: {response.content[:300]}"
    assert problems == {}


def test_filtering_the_list_by_another_channel_shows_nothing(worlds, us_storefront):
    _ours, theirs = worlds
    response = us_storefront.get("/api/v1/commerce/order-management/order-summaries", {"salesChannel": "Web EU"})
    assert response.status_code == 200
    assert json.loads(response.content)["orderSummaries"] == []
    response = us_storefront.get("/api/v1/commerce/process-exceptions", {"orderSummaryId": theirs.summary})
    assert theirs.number not in response.content.decode()
    assert str(theirs.exception) not in {str(row["id"]) for row in json.loads(response.content)["processExceptions"]}


def test_our_path_with_their_ids_in_the_body_changes_nothing(worlds, us_storefront):
    """Our own summary named in the path, their records in the body: refused, nothing written."""
    ours, theirs = worlds
    summaries = "/api/v1/commerce/order-management/order-summaries"
    attempts = [
        (
            f"{summaries}/{ours.summary}/actions/submit-cancel",
            {"changeItems": [{"orderItemSummaryId": str(theirs.a), "quantity": 1, "reason": "Damaged"}]},
        ),
        (
            f"{summaries}/{ours.summary}/actions/submit-return",
            {"changeItems": [{"orderItemSummaryId": str(theirs.b), "quantity": 1, "reason": "Damaged"}]},
        ),
        (
            f"{summaries}/{ours.summary}/actions/adjust-item-submit",
            {
                "adjustItems": [
                    {
                        "orderItemSummaryId": str(theirs.a),
                        "adjustmentType": "AmountWithoutTax",
                        "amount": -1,
                        "reason": "Goodwill",
                    }
                ]
            },
        ),
        (f"{summaries}/{ours.summary}/actions/create-credit-memo", {"changeOrderIds": [str(theirs.change_order)]}),
        (f"{summaries}/{ours.summary}/async-actions/ensure-funds-async", {"invoiceId": str(theirs.invoice)}),
        (f"{summaries}/{ours.summary}/async-actions/ensure-refunds-async", {"creditMemoId": str(theirs.memo)}),
        (
            "/api/v1/commerce/order-management/order-payment-summaries",
            {"orderSummaryId": str(ours.summary), "paymentAuthorizationId": str(theirs.authorization)},
        ),
        (
            "/api/v1/commerce/fulfillment/fulfillment-orders",
            {
                "orderSummaryId": str(ours.summary),
                "orderDeliveryGroupSummaryId": str(theirs.group),
                "fulfillmentGroups": [
                    {
                        "fulfilledFromLocationId": str(ours.location),
                        "fulfillmentType": "Warehouse",
                        "orderItemSummaries": [{"orderItemSummaryId": str(theirs.a), "quantity": 1}],
                    }
                ],
            },
        ),
        (
            f"/api/v1/commerce/fulfillment/fulfillment-orders/{ours.live_fo}/actions/cancel-item",
            {
                "fulfillmentOrderLineItemsToCancel": [
                    {"fulfillmentOrderLineItemId": str(theirs.live_fo_line), "quantity": 1}
                ]
            },
        ),
        (
            "/api/v1/commerce/returns/return-orders",
            {
                "orderSummaryId": str(ours.summary),
                "returnOrderLineItems": [{"orderItemSummaryId": str(theirs.b), "quantityExpected": 1}],
            },
        ),
        (
            f"/api/v1/commerce/returns/return-orders/{ours.return_order}/actions/return-items",
            {"returnOrderItems": [{"returnOrderLineItemId": str(theirs.return_line), "quantityReturned": 1}]},
        ),
    ]
    for path, body in attempts:
        before, their_state, our_state = row_counts(), state_of(theirs), state_of(ours)
        response = us_storefront.post(path, body, format="json")
        assert response.status_code in (400, 404, 409), (path, response.status_code, response.content[:300])
        assert theirs.number not in response.content.decode()
        assert (row_counts(), state_of(theirs), state_of(ours)) == (before, their_state, our_state), path
