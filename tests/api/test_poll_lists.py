"""The lists integrations poll (issue 17 point 3): fulfillment orders, return orders, invoices, credit memos,
background operations; their filters, the cursor, channel isolation and a query count that does not grow.

The records are the security world's (tests/security/world.py): one summary in "Web US" with three fulfillment
orders (shipped and invoiced, shipped in a shipment, live), a return order, an invoice, a credit memo and
two background operations (ensure funds, ensure refunds), and the same again in "Web EU".
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import FulfillmentOrder, ReturnOrder, SalesChannel
from payments.models import BackgroundOperation, CreditMemo, Invoice
from tests.api.schema import check_every_response
from tests.factories import ApiKeyClient
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

API = "/api/v1/commerce"
FO = f"{API}/fulfillment/fulfillment-orders"
RO = f"{API}/returns/return-orders"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def every_response_checked(monkeypatch):
    check_every_response(monkeypatch)


@pytest.fixture
def worlds(settings):
    settings.OMS_AUTO_ROUTE_ORDERS = False
    return build_world("Web US", "US"), build_world("Web EU", "EU")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def walk(api, path, **params) -> list[list[str]]:
    """Every page's ids, following nextCursor to the end."""
    pages, cursor = [], None
    while True:
        response = api.get(path, {**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.content
        body = response.json()
        key = next(name for name in body if name != "nextCursor")
        pages.append([row["id"] for row in body[key]])
        cursor = body["nextCursor"]
        if cursor is None:
            return pages


def test_fulfillment_orders_by_summary_status_location_and_modification(api, worlds):
    us, eu = worlds
    # Modification times set by hand, so the order is known: EU's three first, then US's live, shipped, uninvoiced.
    times = {eu.shipped_fo: 1, eu.uninvoiced_fo: 2, eu.live_fo: 3, us.live_fo: 4, us.shipped_fo: 5, us.uninvoiced_fo: 5}
    for pk, minute in times.items():
        FulfillmentOrder.objects.filter(pk=pk).update(updated_at=at(minute))
    ids = [
        str(pk)
        for pk in (eu.shipped_fo, eu.uninvoiced_fo, eu.live_fo, us.live_fo, *sorted((us.shipped_fo, us.uninvoiced_fo)))
    ]

    assert walk(api, FO, limit=2) == [ids[0:2], ids[2:4], ids[4:6]]
    assert walk(api, FO, orderSummaryId=us.summary) == [ids[3:6]]
    assert walk(api, FO, modifiedSince="2026-01-01T00:04:00Z") == [ids[3:6]]
    assert walk(api, FO, modifiedSince="2026-01-01T01:04:00+01:00", status="Fulfilled") == [ids[4:6]]
    assert walk(api, FO, fulfilledFromLocationId=eu.location, status="Allocated") == [[str(eu.live_fo)]]

    body = api.get(FO, {"orderSummaryId": us.summary, "status": "Fulfilled"}).json()
    rows = {row["id"]: row for row in body["fulfillmentOrders"]}
    assert rows[str(us.shipped_fo)]["invoiceId"] == str(us.invoice)
    assert rows[str(us.uninvoiced_fo)]["invoiceId"] is None
    assert [s["id"] for s in rows[str(us.uninvoiced_fo)]["shipments"]] == [str(us.shipment)]
    assert rows[str(us.shipped_fo)]["lastModifiedDate"] == "2026-01-01T00:05:00Z"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "Shipped"}, "status"),
        ({"orderSummaryId": "x1"}, "orderSummaryId"),
        ({"fulfilledFromLocationId": "-3"}, "fulfilledFromLocationId"),
        ({"modifiedSince": "yesterday"}, "modifiedSince"),
        ({"limit": 201}, "limit"),
    ],
)
def test_bad_filters_answer_400_naming_the_field(api, params, field):
    response = api.get(FO, params)
    assert response.status_code == 400
    assert [(e["errorCode"], e["field"]) for e in response.json()["errors"]] == [("INVALID_API_INPUT", field)]


def test_return_orders_invoices_credit_memos_and_operations(api, worlds):
    us, eu = worlds
    ReturnOrder.objects.filter(pk=eu.return_order).update(updated_at=at(1))
    ReturnOrder.objects.filter(pk=us.return_order).update(updated_at=at(2))
    assert walk(api, RO, limit=1) == [[str(eu.return_order)], [str(us.return_order)]]
    assert walk(api, RO, orderSummaryId=us.summary, status="Submitted") == [[str(us.return_order)]]
    assert walk(api, RO, status="Closed") == [[]]

    Invoice.objects.filter(pk=us.invoice).update(last_modified=at(1))
    Invoice.objects.filter(pk=eu.invoice).update(last_modified=at(3))
    assert walk(api, f"{API}/invoices", limit=1) == [[str(us.invoice)], [str(eu.invoice)]]
    assert walk(api, f"{API}/invoices", modifiedSince="2026-01-01T00:02:00Z", status="Posted") == [[str(eu.invoice)]]
    invoice = api.get(f"{API}/invoices", {"orderSummaryId": us.summary}).json()["invoices"][0]
    assert (invoice["balance"], invoice["lastModifiedDate"]) == (0.0, "2026-01-01T00:01:00Z")

    CreditMemo.objects.filter(pk=eu.memo).update(last_modified=at(1))
    CreditMemo.objects.filter(pk=us.memo).update(last_modified=at(2))
    assert walk(api, f"{API}/credit-memos", limit=1) == [[str(eu.memo)], [str(us.memo)]]
    assert walk(api, f"{API}/credit-memos", orderSummaryId=eu.summary) == [[str(eu.memo)]]

    operations = list(BackgroundOperation.objects.filter(order_summary_id=us.summary).order_by("id"))
    assert [op.type for op in operations] == ["EnsureFunds", "EnsureRefunds"]
    BackgroundOperation.objects.filter(order_summary_id=eu.summary).update(last_modified=at(9))
    BackgroundOperation.objects.filter(pk=operations[1].pk).update(last_modified=at(1))
    BackgroundOperation.objects.filter(pk=operations[0].pk).update(last_modified=at(2))
    assert walk(api, f"{API}/background-operations", orderSummaryId=us.summary, limit=1) == [
        [str(operations[1].pk)],
        [str(operations[0].pk)],
    ]
    assert walk(api, f"{API}/background-operations", orderSummaryId=us.summary, status="Running") == [[]]


def test_a_storefront_key_lists_its_own_channel_only(worlds):
    us, eu = worlds
    storefront = ApiKeyClient.create(
        name="eu-storefront", scopes=["all"], channel=SalesChannel.objects.get(name="Web EU")
    )
    expected = {
        FO: {eu.shipped_fo, eu.uninvoiced_fo, eu.live_fo},
        RO: {eu.return_order},
        f"{API}/invoices": {eu.invoice},
        f"{API}/credit-memos": {eu.memo},
        f"{API}/background-operations": set(
            BackgroundOperation.objects.filter(order_summary_id=eu.summary).values_list("pk", flat=True)
        ),
    }
    for path, ids in expected.items():
        (page,) = walk(storefront, path)
        assert sorted(page, key=int) == sorted((str(pk) for pk in ids), key=int), path
        # Asking for the other channel's summary by id finds nothing.
        assert walk(storefront, path, orderSummaryId=us.summary) == [[]], path


@pytest.mark.parametrize("path", [FO, RO, f"{API}/invoices", f"{API}/credit-memos", f"{API}/background-operations"])
def test_a_page_costs_the_same_queries_for_one_row_or_all(api, worlds, path):
    us, _eu = worlds
    # The first row shipped, as others did: its shipments' lines are read on both pages.
    FulfillmentOrder.objects.filter(pk=us.uninvoiced_fo).update(updated_at=at(0))

    def queries(limit):
        with CaptureQueriesContext(connection) as captured:
            response = api.get(path, {"limit": limit})
        assert response.status_code == 200
        return len(captured)

    queries(1)  # the key's first use
    assert queries(1) == queries(50)


def test_what_changes_a_record_shows_in_modified_since(api, worlds):
    from orders.services.return_orders import ReturnItemInput, return_items
    from payments.services.background_operations import run_operation
    from payments.services.ensure_funds import submit_ensure_funds
    from payments.services.fulfillment_invoice_create import create_invoice_for_fulfillment_order
    from payments.services.operation_input import EnsureFundsInput

    us, _eu = worlds
    FulfillmentOrder.objects.update(updated_at=T0)
    ReturnOrder.objects.update(updated_at=T0)
    Invoice.objects.update(last_modified=T0)
    BackgroundOperation.objects.update(last_modified=T0)
    since = {"modifiedSince": "2026-01-01T00:00:01Z"}
    assert walk(api, FO, **since) == walk(api, RO, **since) == walk(api, f"{API}/invoices", **since) == [[]]

    # The shipped fulfillment order gets its invoice (invoiceId appears); paying it moves the invoice.
    invoice = create_invoice_for_fulfillment_order(us.uninvoiced_fo)
    assert walk(api, FO, **since) == [[str(us.uninvoiced_fo)]]
    Invoice.objects.filter(pk=invoice.pk).update(last_modified=T0)
    operation = submit_ensure_funds(us.summary, EnsureFundsInput(invoice_id=invoice.pk))
    assert walk(api, f"{API}/background-operations", **since) == [[str(operation.pk)]]
    run_operation(operation.pk)
    assert walk(api, f"{API}/invoices", **since) == [[str(invoice.pk)]]
    assert Invoice.objects.get(pk=invoice.pk).balance == 0

    # The return order's line received and processed.
    return_items(us.return_order, [ReturnItemInput(us.return_line, quantity_returned=D(1))])
    assert walk(api, RO, **since) == [[str(us.return_order)]]
