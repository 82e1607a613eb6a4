"""One order summary in a sales channel with a record of every kind the API serves, and for every
API operation a request that acts on those records.

The security suite sends these requests with another channel's key (they must find nothing and
change nothing), the reliability suite replays them with an Idempotency-Key, the bad-input suite
breaks their bodies. `api_operations()` lists what the URLconf serves, so an endpoint added later
without a request here fails `test_every_api_operation_has_a_request`.
"""

from dataclasses import dataclass
from decimal import Decimal as D

from django.apps import apps
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from orders.models import ChangeType, Order, OrderKind, ReturnOrder, WebhookDelivery
from orders.services.create_summary import create_order_summary
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.holds import hold_order_summary
from orders.services.return_orders import ReturnOrderInput, ReturnOrderLineInput, create_return_order
from orders.services.shipments import ShipmentInput, create_shipment
from orders.services.simple_return import submit_return
from orders.services.webhook_endpoints import create_webhook_endpoint
from payments.models import PaymentAuthorization
from payments.services.background_operations import run_operation
from payments.services.credit_memo_create import create_credit_memo
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.fulfillment_invoice_create import create_invoice_for_fulfillment_order
from payments.services.locks import lock_summary
from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
from payments.services.process_exceptions import raise_payment_exception
from tests.builders import address, ensure_channel, ingest, item, items_by_sku, order_body, tax
from tests.change_builders import change, fee
from tests.fulfillment.helpers import make_location, place, stock

API_PREFIX = "api/v1/"
# Served without a key, and not about any record.
PUBLIC = {"api/v1/schema/", "api/v1/docs/"}


@dataclass
class World:
    channel: str
    number: str
    email: str
    summary: int
    order: int
    loose_order: int  # ingested without a summary, for create-summary
    group: int
    a: int  # 5 ordered: 3 shipped (1 expected back on a return order), 1 on a live fulfillment order, 1 free
    b: int  # 3 ordered and shipped: 1 returned and credited, 1 returned with a fee, 1 still here
    location: int
    location_reference: str
    shipped_fo: int  # invoiced and paid
    uninvoiced_fo: int  # shipped in one shipment, no invoice yet
    shipment: int  # the uninvoiced fulfillment order's
    live_fo: int
    live_fo_line: int
    invoice: int
    change_order: int  # a return on a credit memo
    open_change_order: int  # a return on no credit memo yet
    fee_change_order: int  # the fee of that return, not invoiced yet
    memo: int
    operation: int
    exception: int
    ops: int
    authorization: int
    bare_summary: int  # created from an order after ingest: its authorization has no payment summary
    bare_authorization: int
    return_order: int
    return_line: int
    held_summary: int  # on hold, for release-hold
    webhook_endpoint: int  # the channel's, receiving process_exception.created
    webhook_delivery: int  # of the exception below to that endpoint


def build_world(channel: str, prefix: str) -> World:
    """Every record through the services, in `channel`; order numbers start with `prefix`."""
    ensure_channel(channel)
    body = order_body(
        number=f"{prefix}-1",
        channel=channel,
        billTo={**address(name=f"{prefix} Buyer"), "email": f"{prefix.lower()}@example.com", "phone": "+1 555 0100"},
        groups=[
            {
                "referenceId": "g",
                "deliverTo": address(),
                "deliveryMethod": "Ground",
                "deliveryCharge": {"amount": D("5.00"), "taxes": [tax(10, "0.50")]},
                "items": [item("A", 5, "10.00", rate=10), item("B", 3, "20.00", rate=10)],
            }
        ],
    )
    summary = ingest(body)
    ingest(order_body(number=f"{prefix}-LOOSE", channel=channel, createOrderSummary=False))
    ingest(order_body(number=f"{prefix}-BARE", channel=channel, createOrderSummary=False))
    bare = create_order_summary(Order.objects.get(order_number=f"{prefix}-BARE").pk)
    held = ingest(order_body(number=f"{prefix}-HELD", channel=channel))
    hold_order_summary(held.pk, "Address check")
    items = items_by_sku(summary)
    reference = f"WH-{prefix}"
    location = make_location(reference, latitude="39.78", longitude="-89.65")
    stock(reference, A=10, B=10)
    (shipped,) = place(summary, (location, [(items["A"], 2), (items["B"], 3)]))
    change_fulfillment_order_status(shipped.pk, "Fulfilled")
    invoice = create_invoice_for_fulfillment_order(shipped.pk)
    run_operation(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)).pk)
    (uninvoiced,) = place(summary, (location, [(items["A"], 1)]))
    shipment = create_shipment(uninvoiced.pk, ShipmentInput(carrier="UPS", tracking_number="1Z999AA10123456784"))
    (live,) = place(summary, (location, [(items["A"], 1)]))
    returned = submit_return(summary.pk, [change(items["B"].pk, 1)], actor=None)
    memo = create_credit_memo(summary.pk, [returned.change_order_id])
    operation = submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk))
    run_operation(operation.pk)
    with_fee = submit_return(summary.pk, [change(items["B"].pk, 1, fees=(fee("2.00"),))], actor=None)
    # A receiver that never resolves (.invalid): an attempt fails at once, without leaving the machine.
    endpoint = create_webhook_endpoint(
        f"https://{prefix.lower()}.oms-receiver.invalid/hooks",
        ["process_exception.created"],
        channel_id=summary.sales_channel_id,
    ).endpoint
    with transaction.atomic():
        exception = raise_payment_exception(
            lock_summary(summary.pk), message=f"{prefix}: look at this", attached_to=operation
        )
    return_order = create_return_order(
        ReturnOrderInput(
            order_summary_id=summary.pk,
            destination_location_id=location.pk,
            lines=(ReturnOrderLineInput(items["A"].pk, D("1"), "Damaged"),),
        )
    )
    return World(
        channel=channel,
        number=summary.order_number,
        email=body["billTo"]["email"],
        summary=summary.pk,
        order=summary.original_order_id,
        loose_order=Order.objects.get(order_number=f"{prefix}-LOOSE").pk,
        group=summary.delivery_group_summaries.get().pk,
        a=items["A"].pk,
        b=items["B"].pk,
        location=location.pk,
        location_reference=reference,
        shipped_fo=shipped.pk,
        uninvoiced_fo=uninvoiced.pk,
        shipment=shipment.pk,
        live_fo=live.pk,
        live_fo_line=live.lines.get().pk,
        invoice=invoice.pk,
        change_order=returned.change_order_id,
        open_change_order=with_fee.change_order_id,
        fee_change_order=with_fee.fee_change_order_id,
        memo=memo.pk,
        operation=operation.pk,
        exception=exception.pk,
        ops=summary.payment_summaries.get().pk,
        authorization=PaymentAuthorization.objects.get(order_payment_summary__order_summary=summary).pk,
        bare_summary=bare.pk,
        bare_authorization=PaymentAuthorization.objects.get(order_id=bare.original_order_id).pk,
        return_order=return_order.pk,
        return_line=ReturnOrder.objects.get(pk=return_order.pk).lines.get().pk,
        held_summary=held.pk,
        webhook_endpoint=endpoint.pk,
        webhook_delivery=WebhookDelivery.objects.get(endpoint=endpoint).pk,
    )


# --- What the URLconf serves ------------------------------------------------------------------------


def _walk(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def api_operations() -> list[tuple[str, str]]:
    """(METHOD, route) of every API operation the URLconf serves, e.g. ("POST", "api/v1/commerce/orders")."""
    found = []
    for route, pattern in _walk(get_resolver()):
        if not route.startswith(API_PREFIX) or route in PUBLIC:
            continue
        view = getattr(pattern.callback, "cls", None)
        for method in ("get", "post", "put", "patch", "delete"):
            if view is not None and hasattr(view, method):
                found.append((method.upper(), route))
    return sorted(found)


def url(route: str, **ids) -> str:
    path = route
    for name, value in ids.items():
        path = path.replace(f"<str:{name}>", str(value)).replace(f"<int:{name}>", str(value))
    assert "<" not in path, f"{route} needs more ids than {sorted(ids)}"
    return "/" + path


S = "api/v1/commerce/order-management/order-summaries"
FO = "api/v1/commerce/fulfillment/fulfillment-orders"
RO = "api/v1/commerce/returns/return-orders"
WH = "api/v1/webhook-endpoints"


def _change_items(ois):
    return {"changeItems": [{"orderItemSummaryId": str(ois), "quantity": 1, "reason": "Damaged"}]}


def _reship_items(ois):
    return {"reshipItems": [{"orderItemSummaryId": str(ois), "quantity": 1, "reason": "Damaged"}]}


def _adjust(ois):
    return {
        "adjustItems": [
            {"orderItemSummaryId": str(ois), "adjustmentType": "AmountWithoutTax", "amount": -1, "reason": "Goodwill"}
        ]
    }


def _exchange(ois):
    return {
        "exchangeItems": [
            {
                "orderItemSummaryId": str(ois),
                "quantity": 1,
                "reason": "Wrong Item",
                "replacement": {
                    "stockKeepingUnit": "B-BLUE",
                    "name": "B in blue",
                    "quantity": 1,
                    "unitPrice": 1,
                    "taxes": [],
                },
            }
        ]
    }


def _fulfil(w: World):
    return {
        "orderSummaryId": str(w.summary),
        "orderDeliveryGroupSummaryId": str(w.group),
        "fulfillmentGroups": [
            {
                "fulfilledFromLocationId": str(w.location),
                "fulfillmentType": "Warehouse",
                "orderItemSummaries": [{"orderItemSummaryId": str(w.a), "quantity": 1}],
            }
        ],
    }


def _ingest(w: World, number: str):
    return order_body(number=number, channel=w.channel)


# For each operation: (path, body) acting on the world's records. Reads have no body.
REQUESTS = {
    ("GET", S): lambda w: (url(S), None),
    ("POST", S): lambda w: (url(S), {"orderId": str(w.loose_order), "orderLifeCycleType": "MANAGED"}),
    ("GET", f"{S}/<str:summary_id>"): lambda w: (url(f"{S}/<str:summary_id>", summary_id=w.summary), None),
    **{
        ("POST", f"{S}/<str:summary_id>/actions/{name}"): (
            lambda name, make: lambda w: (url(f"{S}/<str:summary_id>/actions/{name}", summary_id=w.summary), make(w))
        )(name, make)
        for name, make in {
            "preview-cancel": lambda w: _change_items(w.a),
            "submit-cancel": lambda w: _change_items(w.a),
            "preview-return": lambda w: _change_items(w.b),
            "submit-return": lambda w: _change_items(w.b),
            "adjust-item-preview": lambda w: _adjust(w.a),
            "adjust-item-submit": lambda w: _adjust(w.a),
            "create-credit-memo": lambda w: {"changeOrderIds": [str(w.open_change_order)]},
            "preview-cancel-order": lambda w: {"reason": "Damaged", "reasonText": "The customer asked"},
            "submit-cancel-order": lambda w: {"reason": "Damaged", "reasonText": "The customer asked"},
            "preview-exchange": lambda w: _exchange(w.b),
            "submit-exchange": lambda w: _exchange(w.b),
            "route": lambda w: {},
            "hold": lambda w: {"reason": "Address check"},
            "preview-reship": lambda w: _reship_items(w.a),
            "submit-reship": lambda w: _reship_items(w.a),
        }.items()
    },
    # Only a held summary can be released: the world keeps one on hold.
    ("POST", f"{S}/<str:summary_id>/actions/release-hold"): lambda w: (
        url(f"{S}/<str:summary_id>/actions/release-hold", summary_id=w.held_summary),
        {},
    ),
    ("POST", f"{S}/actions/create-multiple-change-invoices"): lambda w: (
        url(f"{S}/actions/create-multiple-change-invoices"),
        {"invoicesFromChangeOrders": [{"orderSummaryId": str(w.summary), "changeOrderIds": [str(w.fee_change_order)]}]},
    ),
    ("POST", f"{S}/<str:summary_id>/async-actions/ensure-funds-async"): lambda w: (
        url(f"{S}/<str:summary_id>/async-actions/ensure-funds-async", summary_id=w.summary),
        {"invoiceId": str(w.invoice)},
    ),
    ("POST", f"{S}/async-actions/multiple-ensure-funds-async"): lambda w: (
        url(f"{S}/async-actions/multiple-ensure-funds-async"),
        {"asyncInputs": [{"orderSummaryId": str(w.summary), "invoiceId": str(w.invoice)}]},
    ),
    ("POST", f"{S}/<str:summary_id>/async-actions/ensure-refunds-async"): lambda w: (
        url(f"{S}/<str:summary_id>/async-actions/ensure-refunds-async", summary_id=w.summary),
        {"creditMemoId": str(w.memo)},
    ),
    ("POST", "api/v1/commerce/order-management/order-payment-summaries"): lambda w: (
        url("api/v1/commerce/order-management/order-payment-summaries"),
        {"orderSummaryId": str(w.bare_summary), "paymentAuthorizationId": str(w.bare_authorization)},
    ),
    ("POST", FO): lambda w: (url(FO), _fulfil(w)),
    ("POST", "api/v1/commerce/fulfillment/actions/create-multiple"): lambda w: (
        url("api/v1/commerce/fulfillment/actions/create-multiple"),
        {"fulfillmentOrders": [_fulfil(w)]},
    ),
    ("GET", f"{FO}/<str:fulfillment_order_id>"): lambda w: (
        url(f"{FO}/<str:fulfillment_order_id>", fulfillment_order_id=w.live_fo),
        None,
    ),
    ("PATCH", f"{FO}/<str:fulfillment_order_id>"): lambda w: (
        url(f"{FO}/<str:fulfillment_order_id>", fulfillment_order_id=w.live_fo),
        {"status": "Pickpack"},
    ),
    ("POST", f"{FO}/<str:fulfillment_order_id>/actions/cancel-item"): lambda w: (
        url(f"{FO}/<str:fulfillment_order_id>/actions/cancel-item", fulfillment_order_id=w.live_fo),
        {"fulfillmentOrderLineItemsToCancel": [{"fulfillmentOrderLineItemId": str(w.live_fo_line), "quantity": 1}]},
    ),
    ("POST", f"{FO}/<str:fulfillment_order_id>/actions/reject-items"): lambda w: (
        url(f"{FO}/<str:fulfillment_order_id>/actions/reject-items", fulfillment_order_id=w.live_fo),
        {
            "fulfillmentOrderLineItemsToReject": [
                {"fulfillmentOrderLineItemId": str(w.live_fo_line), "quantity": 1, "reason": "Damaged"}
            ]
        },
    ),
    ("GET", f"{FO}/<str:fulfillment_order_id>/shipments"): lambda w: (
        url(f"{FO}/<str:fulfillment_order_id>/shipments", fulfillment_order_id=w.uninvoiced_fo),
        None,
    ),
    ("POST", f"{FO}/<str:fulfillment_order_id>/shipments"): lambda w: (
        url(f"{FO}/<str:fulfillment_order_id>/shipments", fulfillment_order_id=w.live_fo),
        {
            "carrier": "UPS",
            "trackingNumber": "1Z999AA10123456785",
            "lines": [{"fulfillmentOrderLineItemId": str(w.live_fo_line), "quantity": 1}],
        },
    ),
    ("GET", f"{FO}/<str:fulfillment_order_id>/shipments/<str:shipment_id>"): lambda w: (
        url(
            f"{FO}/<str:fulfillment_order_id>/shipments/<str:shipment_id>",
            fulfillment_order_id=w.uninvoiced_fo,
            shipment_id=w.shipment,
        ),
        None,
    ),
    ("PATCH", f"{FO}/<str:fulfillment_order_id>/shipments/<str:shipment_id>"): lambda w: (
        url(
            f"{FO}/<str:fulfillment_order_id>/shipments/<str:shipment_id>",
            fulfillment_order_id=w.uninvoiced_fo,
            shipment_id=w.shipment,
        ),
        {"deliveredDate": "2026-01-02T03:04:05Z"},
    ),
    ("POST", f"{FO}/<str:fulfillment_order_id>/actions/create-invoice"): lambda w: (
        url(f"{FO}/<str:fulfillment_order_id>/actions/create-invoice", fulfillment_order_id=w.uninvoiced_fo),
        {},
    ),
    ("POST", f"{FO}/actions/create-multiple-invoices"): lambda w: (
        url(f"{FO}/actions/create-multiple-invoices"),
        {"fulfillmentOrderIds": [str(w.uninvoiced_fo)]},
    ),
    ("POST", RO): lambda w: (
        url(RO),
        {
            "orderSummaryId": str(w.summary),
            "destinationLocationId": str(w.location),
            "returnOrderLineItems": [
                {"orderItemSummaryId": str(w.b), "quantityExpected": 1, "reasonForReturn": "Damaged"}
            ],
        },
    ),
    ("GET", f"{RO}/<str:return_order_id>"): lambda w: (
        url(f"{RO}/<str:return_order_id>", return_order_id=w.return_order),
        None,
    ),
    ("POST", f"{RO}/<str:return_order_id>/actions/return-items"): lambda w: (
        url(f"{RO}/<str:return_order_id>/actions/return-items", return_order_id=w.return_order),
        {"returnOrderItems": [{"returnOrderLineItemId": str(w.return_line), "quantityReturned": 1}]},
    ),
    ("GET", "api/v1/commerce/invoices/<str:invoice_id>"): lambda w: (
        url("api/v1/commerce/invoices/<str:invoice_id>", invoice_id=w.invoice),
        None,
    ),
    ("GET", "api/v1/commerce/credit-memos/<str:credit_memo_id>"): lambda w: (
        url("api/v1/commerce/credit-memos/<str:credit_memo_id>", credit_memo_id=w.memo),
        None,
    ),
    ("GET", "api/v1/commerce/background-operations/<str:operation_id>"): lambda w: (
        url("api/v1/commerce/background-operations/<str:operation_id>", operation_id=w.operation),
        None,
    ),
    ("GET", "api/v1/commerce/process-exceptions"): lambda w: (url("api/v1/commerce/process-exceptions"), None),
    ("GET", FO): lambda w: (url(FO), None),
    ("GET", RO): lambda w: (url(RO), None),
    ("GET", "api/v1/commerce/invoices"): lambda w: (url("api/v1/commerce/invoices"), None),
    ("GET", "api/v1/commerce/credit-memos"): lambda w: (url("api/v1/commerce/credit-memos"), None),
    ("GET", "api/v1/commerce/background-operations"): lambda w: (url("api/v1/commerce/background-operations"), None),
    ("GET", "api/v1/commerce/process-exceptions/<str:exception_id>"): lambda w: (
        url("api/v1/commerce/process-exceptions/<str:exception_id>", exception_id=w.exception),
        None,
    ),
    ("PATCH", "api/v1/commerce/process-exceptions/<str:exception_id>"): lambda w: (
        url("api/v1/commerce/process-exceptions/<str:exception_id>", exception_id=w.exception),
        {"status": "Ignored"},
    ),
    ("POST", "api/v1/commerce/process-exceptions/<str:exception_id>/actions/retry"): lambda w: (
        url("api/v1/commerce/process-exceptions/<str:exception_id>/actions/retry", exception_id=w.exception),
        {},
    ),
    ("POST", "api/v1/commerce/orders"): lambda w: (url("api/v1/commerce/orders"), _ingest(w, "NEW-1")),
    ("POST", "api/v1/commerce/orders/batch"): lambda w: (
        url("api/v1/commerce/orders/batch"),
        {"orders": [{**_ingest(w, "NEW-2"), "idempotencyKey": "batch-1"}]},
    ),
    ("GET", WH): lambda w: (url(WH), None),
    ("POST", WH): lambda w: (
        url(WH),
        {
            "url": "https://new.oms-receiver.invalid/hooks",
            "events": ["order_summary.created", "invoice.created"],
            "description": "ERP",
        },
    ),
    ("GET", f"{WH}/<str:endpoint_id>"): lambda w: (
        url(f"{WH}/<str:endpoint_id>", endpoint_id=w.webhook_endpoint),
        None,
    ),
    ("PATCH", f"{WH}/<str:endpoint_id>"): lambda w: (
        url(f"{WH}/<str:endpoint_id>", endpoint_id=w.webhook_endpoint),
        {"events": ["process_exception.created", "refund.failed"], "description": "Support desk", "active": True},
    ),
    ("DELETE", f"{WH}/<str:endpoint_id>"): lambda w: (
        url(f"{WH}/<str:endpoint_id>", endpoint_id=w.webhook_endpoint),
        None,
    ),
    ("GET", f"{WH}/<str:endpoint_id>/deliveries"): lambda w: (
        url(f"{WH}/<str:endpoint_id>/deliveries", endpoint_id=w.webhook_endpoint),
        None,
    ),
    ("POST", f"{WH}/<str:endpoint_id>/deliveries/<str:delivery_id>/actions/redeliver"): lambda w: (
        url(
            f"{WH}/<str:endpoint_id>/deliveries/<str:delivery_id>/actions/redeliver",
            endpoint_id=w.webhook_endpoint,
            delivery_id=w.webhook_delivery,
        ),
        {},
    ),
    ("GET", "api/v1/commerce/events"): lambda w: (url("api/v1/commerce/events"), None),
    # Not any channel's records: locations, stock levels and the routing calculations are shared.
    ("GET", "api/v1/commerce/locations"): lambda w: (url("api/v1/commerce/locations"), None),
    ("POST", "api/v1/commerce/locations"): lambda w: (
        url("api/v1/commerce/locations"),
        {"name": "New", "externalReference": f"NEW-{w.location_reference}"},
    ),
    ("GET", "api/v1/commerce/inventory-levels"): lambda w: (url("api/v1/commerce/inventory-levels"), None),
    ("POST", "api/v1/commerce/inventory-levels"): lambda w: (
        url("api/v1/commerce/inventory-levels"),
        {"locationExternalReference": w.location_reference, "stockKeepingUnit": "A", "quantityOnHand": 20},
    ),
    ("POST", "api/v1/commerce/order-management/routing/actions/find-routes-with-fewest-splits"): lambda w: (
        url("api/v1/commerce/order-management/routing/actions/find-routes-with-fewest-splits"),
        {
            "orderedQuantities": [{"stockKeepingUnit": "A", "quantity": 1}],
            "locationAvailableInventory": [
                {"externalReferenceId": w.location_reference, "stockKeepingUnit": "A", "quantity": 1}
            ],
            "maximumNumberOfSplits": 0,
        },
    ),
    ("POST", "api/v1/commerce/order-management/routing/actions/rank-byaverage-distance"): lambda w: (
        url("api/v1/commerce/order-management/routing/actions/rank-byaverage-distance"),
        {
            "deliveryCountryCode": "US",
            "deliveryPostalCode": "62701",
            "distanceUnit": "mi",
            "sortResult": "ASC",
            "targetLocations": [{"locations": [w.location_reference]}],
        },
    ),
}

SHARED = {
    ("GET", "api/v1/commerce/locations"),
    ("POST", "api/v1/commerce/locations"),
    ("GET", "api/v1/commerce/inventory-levels"),
    ("POST", "api/v1/commerce/inventory-levels"),
    ("POST", "api/v1/commerce/order-management/routing/actions/find-routes-with-fewest-splits"),
    ("POST", "api/v1/commerce/order-management/routing/actions/rank-byaverage-distance"),
}
# Lists: another channel's key gets its own rows (none of the world's). The key of each list's rows, and the
# world's records it holds (events are told apart by their order summary, see test_channel_isolation).
LISTS = {
    ("GET", S): ("orderSummaries", lambda w: {w.summary, w.bare_summary}),
    ("GET", "api/v1/commerce/process-exceptions"): ("processExceptions", lambda w: {w.exception}),
    ("GET", WH): ("webhookEndpoints", lambda w: {w.webhook_endpoint}),
    ("GET", "api/v1/commerce/events"): ("events", lambda w: {w.summary, w.bare_summary}),
    ("GET", FO): ("fulfillmentOrders", lambda w: {w.shipped_fo, w.uninvoiced_fo, w.live_fo}),
    ("GET", RO): ("returnOrders", lambda w: {w.return_order}),
    ("GET", "api/v1/commerce/invoices"): ("invoices", lambda w: {w.invoice}),
    ("GET", "api/v1/commerce/credit-memos"): ("creditMemos", lambda w: {w.memo}),
    ("GET", "api/v1/commerce/background-operations"): ("backgroundOperations", lambda w: {w.operation}),
}
# Make a record in the caller's own channel whatever the path names: nothing of another channel to refuse.
OWN_CHANNEL_CREATES = {("POST", WH)}
# Ingest makes new records in the caller's channel: another channel is named in the body, not the path.
INGESTS = {("POST", "api/v1/commerce/orders"), ("POST", "api/v1/commerce/orders/batch")}


def row_counts(*, ignore: tuple[str, ...] = ()) -> dict[str, int]:
    """Rows of every model of our apps: compared before and after a request that must write nothing."""
    return {
        model._meta.label: model.objects.count()
        for app in ("orders", "payments", "console")
        for model in apps.get_app_config(app).get_models()
        if model._meta.managed and not model._meta.proxy and model._meta.label not in ignore
    }


def change_orders(summary_id: int) -> int:
    return Order.objects.filter(
        order_summary_id=summary_id,
        kind=OrderKind.CHANGE,
        change_type__in=[ChangeType.CANCEL, ChangeType.RETURN, ChangeType.ADJUST],
    ).count()
