"""Real responses of the money resources match the served OpenAPI schema, key for key."""

import pytest

from tests.api.helpers import body_of
from tests.api.schema import assert_response_matches_schema
from tests.builders import worked_example
from tests.payments.money_builders import return_one_a, set_token, ship_everything

pytestmark = pytest.mark.django_db

BASE = "/api/v1/commerce"
SUMMARIES = f"{BASE}/order-management/order-summaries"
SUMMARY_ACTIONS = "/api/v1/commerce/order-management/order-summaries/{summary_id}"
FO_ACTIONS = "/api/v1/commerce/fulfillment/fulfillment-orders/{fulfillment_order_id}/actions"


def test_money_responses_match_the_schema(api, django_capture_on_commit_callbacks):
    summary = worked_example()
    set_token(summary, "tok_decline")
    fulfillment_order = ship_everything(summary)
    created = api.post_json(f"{BASE}/fulfillment/fulfillment-orders/{fulfillment_order.pk}/actions/create-invoice", {})
    assert_response_matches_schema(created, "post", f"{FO_ACTIONS}/create-invoice")
    invoice_id = body_of(created)["invoiceId"]
    assert_response_matches_schema(
        api.get(f"{BASE}/invoices/{invoice_id}"), "get", "/api/v1/commerce/invoices/{invoice_id}"
    )

    with django_capture_on_commit_callbacks(execute=True):
        accepted = api.post_json(
            f"{SUMMARIES}/{summary.pk}/async-actions/ensure-funds-async", {"invoiceId": invoice_id}
        )
    assert_response_matches_schema(accepted, "post", f"{SUMMARY_ACTIONS}/async-actions/ensure-funds-async")
    operation_id = body_of(accepted)["backgroundOperationId"]
    assert_response_matches_schema(
        api.get(f"{BASE}/background-operations/{operation_id}"),
        "get",
        "/api/v1/commerce/background-operations/{operation_id}",
    )
    listing = api.get(f"{BASE}/process-exceptions", {"orderSummaryId": summary.pk})
    assert_response_matches_schema(listing, "get", "/api/v1/commerce/process-exceptions")
    assert len(body_of(listing)["processExceptions"]) == 1

    change = return_one_a(summary)
    memo = api.post_json(f"{SUMMARIES}/{summary.pk}/actions/create-credit-memo", {"changeOrderIds": [change.pk]})
    assert_response_matches_schema(memo, "post", f"{SUMMARY_ACTIONS}/actions/create-credit-memo")
    assert_response_matches_schema(
        api.get(f"{BASE}/credit-memos/{body_of(memo)['creditMemoId']}"),
        "get",
        "/api/v1/commerce/credit-memos/{credit_memo_id}",
    )
