"""GET order summaries: the filtered, paginated list and the detail with the whole current state."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import ProcessException, ProcessExceptionCategory, ProcessExceptionStatus
from orders.services.return_orders import ReturnOrderInput, ReturnOrderLineInput, create_return_order
from orders.services.simple_return import submit_return
from payments.services.credit_memo_create import create_credit_memo
from payments.services.fulfillment_invoice_create import create_invoice_for_fulfillment_order
from tests.api.helpers import SUMMARIES, SUMMARY_TEMPLATE, summary_path
from tests.api.schema import assert_response_matches_schema, check_every_response
from tests.builders import (
    address,
    ensure_channel,
    ingest,
    item,
    items_by_sku,
    mark_captured,
    order_body,
    set_fulfillment_state,
    worked_example,
)
from tests.change_builders import change
from tests.payments.money_builders import ship_everything

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def every_response_checked(monkeypatch):
    check_every_response(monkeypatch)


def list_page(client, **params):
    response = client.get(SUMMARIES, params)
    assert response.status_code == 200, response.content
    return assert_response_matches_schema(response, "get", SUMMARIES)


def numbers(page) -> list[str]:
    return [row["orderNumber"] for row in page["orderSummaries"]]


def placed(number, date, *, channel="Web US", email="ada@example.com", name="Ada Park"):
    return ingest(
        order_body(
            number=number,
            channel=channel,
            orderedDate=date,
            billTo={**address(name=name), "email": email},
        )
    )


# --- The list ------------------------------------------------------------------------------------


def test_list_pages_newest_first_through_an_opaque_cursor(api):
    # Two orders share a date: the id breaks the tie, so no row is skipped or repeated between pages.
    for number, date in [
        ("N-1", "2026-01-01T10:00:00Z"),
        ("N-2", "2026-01-02T10:00:00Z"),
        ("N-3", "2026-01-02T10:00:00Z"),
        ("N-4", "2026-01-03T10:00:00Z"),
        ("N-5", "2026-01-04T10:00:00Z"),
    ]:
        placed(number, date)

    first = list_page(api, limit=2)
    assert numbers(first) == ["N-5", "N-4"]
    second = list_page(api, limit=2, cursor=first["nextCursor"])
    assert numbers(second) == ["N-3", "N-2"]  # same date: the later id first
    third = list_page(api, limit=2, cursor=second["nextCursor"])
    assert numbers(third) == ["N-1"]
    assert third["nextCursor"] is None

    row = first["orderSummaries"][0]
    assert row["salesChannelName"] == "Web US" and row["status"] == "Created"
    assert row["grandTotalAmount"] == Decimal("10.80")  # 1 × 10.00 + 8 % tax


def test_list_filters_by_status_dates_channel_and_search(api):
    ensure_channel("Web EU")
    placed("WEB-100", "2026-02-01T09:00:00Z", email="grace@example.com", name="Grace Hopper")
    placed("WEB-101", "2026-02-02T09:00:00Z", email="ada@example.com", name="Ada Park")
    placed("EU-7", "2026-02-03T09:00:00Z", channel="Web EU", email="linus@example.com", name="Linus T")
    waiting = placed("WEB-1011", "2026-02-04T09:00:00Z", email="alan@example.com", name="Alan Turing")
    set_fulfillment_state(waiting.item_summaries.first(), allocated=1)

    assert numbers(list_page(api, status="Waiting to Fulfill")) == ["WEB-1011"]
    assert numbers(list_page(api, status="Created")) == ["EU-7", "WEB-101", "WEB-100"]
    assert numbers(list_page(api, orderedDateFrom="2026-02-02T09:00:00Z", orderedDateTo="2026-02-03T09:00:00Z")) == [
        "EU-7",
        "WEB-101",
    ]
    assert numbers(list_page(api, salesChannel="Web EU")) == ["EU-7"]
    # q: order number exact or prefix, email exact (any case), customer name prefix.
    assert numbers(list_page(api, q="WEB-101")) == ["WEB-1011", "WEB-101"]
    assert numbers(list_page(api, q="WEB-1011")) == ["WEB-1011"]
    assert numbers(list_page(api, q="GRACE@example.com")) == ["WEB-100"]
    assert numbers(list_page(api, q="grace@")) == []
    assert numbers(list_page(api, q="ada p")) == ["WEB-101"]
    assert numbers(list_page(api, q="WEB", salesChannel="Web EU")) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"status": "Shipped"}, "status"),
        ({"orderedDateFrom": "yesterday"}, "orderedDateFrom"),
    ],
)
def test_list_refuses_bad_parameters(api, params, field):
    response = api.get(SUMMARIES, params)
    assert response.status_code == 400
    body = assert_response_matches_schema(response, "get", SUMMARIES)
    assert body["errors"][0]["field"] == field


def test_a_storefront_key_lists_its_own_channel_only(make_api):
    placed("US-1", "2026-03-01T10:00:00Z", channel="Web US")
    placed("EU-1", "2026-03-02T10:00:00Z", channel="Web EU")
    storefront = make_api(scopes=["orders:read"], channel=ensure_channel("Web EU"))
    assert numbers(list_page(storefront)) == ["EU-1"]
    assert numbers(list_page(storefront, salesChannel="Web US")) == []
    assert numbers(list_page(storefront, q="US-1")) == []


def queries_for(client, path, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    return len(captured)


def test_list_query_count_does_not_grow_with_rows(api, django_assert_max_num_queries):
    for n in range(3):
        placed(f"Q-{n}", f"2026-04-0{n + 1}T10:00:00Z")
    api.get(SUMMARIES)  # the key's last-used time is written on first use only
    small = queries_for(api, SUMMARIES, limit=200)
    for n in range(3, 40):
        placed(f"Q-{n}", "2026-04-10T10:00:00Z")
    with django_assert_max_num_queries(small):
        assert len(api.get(SUMMARIES, {"limit": 200}).json()["orderSummaries"]) == 40
    assert queries_for(api, SUMMARIES, limit=200) == small
    assert small <= 3  # the key, the page (with its channel joined)


# --- The detail ----------------------------------------------------------------------------------


def get_detail(client, summary_id):
    response = client.get(summary_path(summary_id))
    assert response.status_code == 200, response.content
    return assert_response_matches_schema(response, "get", SUMMARY_TEMPLATE)


def shipped_invoiced_returned(summary, *, returns, capture=None):
    """Ship every unit, invoice it, capture `capture` (default the grand total) on the card, return 1 unit
    of each sku in `returns` (without shipping reduction) and credit it.

    Returns (fulfillment order, invoice, change order id, credit memo)."""
    for ois in summary.item_summaries.all():
        set_fulfillment_state(ois, allocated=ois.quantity_ordered, fulfilled=ois.quantity_ordered)
    fulfillment_order = ship_everything(summary)
    invoice = create_invoice_for_fulfillment_order(fulfillment_order.pk)
    mark_captured(summary, summary.grand_total_amount if capture is None else capture)
    items = items_by_sku(summary)
    result = submit_return(
        summary.pk, [change(items[sku].pk, 1, reason="Damaged", text="Cracked sole") for sku in returns], actor=None
    )
    memo = create_credit_memo(summary.pk, [result.change_order_id])
    return fulfillment_order, invoice, result.change_order_id, memo


def test_detail_after_shipping_invoicing_a_return_and_a_credit_memo(api):
    summary = worked_example()
    fulfillment_order, invoice, change_order_id, memo = shipped_invoiced_returned(summary, returns=["A"])
    ProcessException.objects.create(
        order_summary=summary, category=ProcessExceptionCategory.PAYMENT, message="Refund pending review"
    )
    ProcessException.objects.create(
        order_summary=summary,
        category=ProcessExceptionCategory.PAYMENT,
        message="Old capture failure",
        status=ProcessExceptionStatus.RESOLVED,
    )

    state = get_detail(api, summary.pk)

    # Return 1 × A (§6): −40.00 and tax −3.20 → grand total 118.80 − 43.20 = 75.60.
    assert (state["totalAmount"], state["totalTaxAmount"], state["grandTotalAmount"]) == (
        Decimal("70.00"),
        Decimal("5.60"),
        Decimal("75.60"),
    )
    assert (state["totalAdjustedProductAmount"], state["totalAdjProductAmtWithTax"]) == (60, Decimal("64.80"))
    assert state["status"] == "Fulfilled"
    # Captured 118.80; owed 75.60; the 43.20 return is owed back until refunded:
    # excess = max(0, 118.80 − 75.60 − 43.20) = 0, refundable = 0 + 43.20.
    assert state["fundsPosition"] == {"totalExcessFundsAmount": 0, "totalRefundableAmount": Decimal("43.20")}

    a = next(ois for ois in state["orderItemSummaries"] if ois["stockKeepingUnit"] == "A")
    # Ordered 2, fulfilled 2, 1 returned: quantity 1, one more can come back.
    assert {
        key: a[key]
        for key in (
            "quantityOrdered",
            "quantityAllocated",
            "quantityFulfilled",
            "quantityReturnInitiated",
            "quantityReturned",
            "quantity",
            "quantityNetOrdered",
            "quantityAvailableToFulfill",
            "quantityAvailableToReturn",
        )
    } == {
        "quantityOrdered": 2,
        "quantityAllocated": 2,
        "quantityFulfilled": 2,
        "quantityReturnInitiated": 1,
        "quantityReturned": 1,
        "quantity": 1,
        "quantityNetOrdered": 2,
        "quantityAvailableToFulfill": 0,
        "quantityAvailableToReturn": 1,
    }
    assert (a["totalLineAmount"], a["totalLineTaxAmount"], a["totalAmtWithTax"]) == (
        40,
        Decimal("3.20"),
        Decimal("43.20"),
    )
    assert a["status"] == "FULFILLED"

    (entry,) = state["changeHistory"]
    assert entry["changeOrderId"] == str(change_order_id)
    assert (entry["changeType"], entry["reason"], entry["reasonText"], entry["actor"]) == (
        "Return",
        "Damaged",
        "Cracked sole",
        "system",
    )
    assert (entry["totalAmount"], entry["totalTaxAmount"], entry["grandTotalAmount"]) == (
        -40,
        Decimal("-3.20"),
        Decimal("-43.20"),
    )
    (touched,) = entry["items"]
    assert touched["orderItemSummaryId"] == a["id"] and touched["changeType"] == "Return"
    assert (touched["quantity"], touched["totalLineAmount"], touched["totalLineTaxAmount"]) == (
        -1,
        -40,
        Decimal("-3.20"),
    )

    (shipped,) = state["fulfillmentOrders"]
    assert shipped["id"] == str(fulfillment_order.pk)
    assert (shipped["status"], shipped["statusCategory"]) == ("Fulfilled", "CLOSED")
    assert shipped["fulfilledFromLocationName"] == "Main warehouse"
    assert sorted(line["stockKeepingUnit"] for line in shipped["fulfillmentOrderLineItems"]) == [
        "A",
        "B",
        "DELIVERY-GROUND",
    ]

    (billed,) = state["invoices"]
    assert billed["id"] == str(invoice.pk) and billed["fulfillmentOrderId"] == str(fulfillment_order.pk)
    assert (billed["totalAmount"], billed["totalTaxAmount"], billed["totalAmountWithTax"]) == (
        110,
        Decimal("8.80"),
        Decimal("118.80"),
    )
    (credited,) = state["creditMemos"]
    assert credited["id"] == str(memo.pk) and credited["changeOrderIds"] == [str(change_order_id)]
    assert (credited["totalAmountWithTax"], credited["balance"]) == (Decimal("43.20"), Decimal("43.20"))

    (card,) = state["orderPaymentSummaries"]
    assert (card["capturedAmount"], card["availableToRefundAmount"], card["availableToCaptureAmount"]) == (
        Decimal("118.80"),
        Decimal("118.80"),
        0,
    )

    assert [exception["message"] for exception in state["processExceptions"]] == ["Refund pending review"]


def test_detail_shows_a_return_order_and_the_units_it_expects_back(api):
    summary = worked_example()
    b = set_fulfillment_state(items_by_sku(summary)["B"], allocated=1, fulfilled=1)
    return_order = create_return_order(
        ReturnOrderInput(
            order_summary_id=summary.pk,
            lines=(
                ReturnOrderLineInput(
                    order_item_summary_id=b.pk, quantity_expected=Decimal("1"), reason_for_return="Damaged"
                ),
            ),
        )
    )

    state = get_detail(api, summary.pk)
    (listed,) = state["returnOrders"]
    assert (listed["id"], listed["status"], listed["lifeCycleType"]) == (str(return_order.pk), "Submitted", "Managed")
    (line,) = listed["returnOrderLineItems"]
    assert (line["orderItemSummaryId"], line["quantityExpected"], line["quantityReturned"]) == (str(b.pk), 1, 0)
    assert line["reasonForReturn"] == "Damaged" and line["isProcessed"] is False
    shipped_b = next(ois for ois in state["orderItemSummaries"] if ois["id"] == str(b.pk))
    # Its one shipped unit is expected back and not yet processed: §5.1 rule 1.
    assert (shipped_b["quantityReturnInitiated"], shipped_b["quantityAvailableToReturn"]) == (1, 0)
    assert shipped_b["status"] == "RETURNINITIATED"


def test_detail_of_a_missing_or_malformed_id_answers_404(api):
    for summary_id in ("999999", "abc", "9" * 30, "-1"):
        response = api.get(summary_path(summary_id))
        assert response.status_code == 404, summary_id
        body = assert_response_matches_schema(response, "get", SUMMARY_TEMPLATE)
        assert body["errors"][0]["errorCode"] == "NOT_FOUND"


def test_another_channels_summary_answers_404_to_a_storefront_key(make_api):
    us = ingest(order_body(channel="Web US"))
    eu = ingest(order_body(channel="Web EU"))
    storefront = make_api(scopes=["orders:read"], channel=ensure_channel("Web EU"))
    assert get_detail(storefront, eu.pk)["id"] == str(eu.pk)
    response = storefront.get(summary_path(us.pk))
    assert response.status_code == 404
    assert assert_response_matches_schema(response, "get", SUMMARY_TEMPLATE)["errors"][0]["errorCode"] == "NOT_FOUND"


def rich_summary(item_count: int, *, number: str):
    """An order with `item_count` products (2 × 10.00 each) and two payment methods, shipped, invoiced,
    one unit of every product returned and credited, with `item_count` process exceptions."""
    skus = [f"P{n}" for n in range(item_count)]
    groups = [
        {
            "referenceId": "g1",
            "deliverTo": address(),
            "deliveryMethod": "Ground",
            "deliveryCharge": {"amount": Decimal("5.00")},
            "items": [item(sku, 2, "10.00", rate=8) for sku in skus],
        }
    ]
    # Each product 20.00 + 1.60 tax; delivery 5.00 untaxed.
    grand_total = Decimal("21.60") * item_count + Decimal("5.00")
    payments = [
        {"kind": "sale", "method": "GiftCard", "gatewayToken": "tok_gift", "amount": Decimal("5.00")},
        {"kind": "authorization", "method": "Visa", "gatewayToken": "tok_visa", "amount": grand_total - 5},
    ]
    summary = ingest(order_body(number=number, groups=groups, payments=payments))
    shipped_invoiced_returned(summary, returns=skus, capture=grand_total - 5)
    ProcessException.objects.bulk_create(
        [
            ProcessException(order_summary=summary, category=ProcessExceptionCategory.PAYMENT, message=f"Check {n}")
            for n in range(item_count)
        ]
    )
    return summary


def test_detail_query_count_does_not_grow_with_items_or_records(api, django_assert_max_num_queries):
    small = rich_summary(1, number="SMALL")
    large = rich_summary(15, number="LARGE")
    api.get(summary_path(small.pk))  # the key's last-used time is written on first use only

    small_count = queries_for(api, summary_path(small.pk))
    with django_assert_max_num_queries(small_count):
        state = get_detail(api, large.pk)
    assert len(state["orderItemSummaries"]) == 16
    assert len(state["changeHistory"][0]["items"]) == 15
    assert len(state["processExceptions"]) == 15
    assert len(state["orderPaymentSummaries"]) == 2
    assert queries_for(api, summary_path(large.pk)) == small_count
    assert small_count <= 24  # the key, the summary, one per kind of child, the funds position
