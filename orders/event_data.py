"""The `data` of an event: the resource as the API renders it, at the moment of the event.

Rendered through the API's own serializers and JSON renderer (Decimal amounts as exact JSON numbers),
so a webhook, the change feed and a GET of the resource agree field for field. The payments app
renders its records (invoices, payments, refunds) in payments/event_data.py.
"""

import json
from functools import cache

from orders.api.order_serializers import (
    IdOut,
    OrderSummaryRowSerializer,
    ShipmentSerializer,
    SummaryFulfillmentOrderSerializer,
    SummaryProcessExceptionSerializer,
    SummaryReturnOrderSerializer,
)
from orders.api.renderers import DecimalJSONRenderer
from orders.events import record_event, record_first_events
from orders.models import EventType, OrderSummary, SalesChannel, Shipment
from orders.selectors.fulfillment import fulfillment_orders_queryset, return_orders_queryset


def as_json(data) -> dict:
    """Serializer output as the API sends it (what a JSONField can keep)."""
    return json.loads(DecimalJSONRenderer().render(data))


def order_summary_data(summary_id: int) -> dict:
    """The summary as the order summary list renders it (its header: totals, status, counts). Read fresh:
    callers hold stale copies of the roll-ups."""
    summary = OrderSummary.objects.select_related("sales_channel").get(pk=summary_id)
    return as_json(OrderSummaryRowSerializer(summary).data)


def fulfillment_order_data(fulfillment_order_id: int) -> dict:
    """As GET /commerce/fulfillment/fulfillment-orders/{id} renders it."""
    order = fulfillment_orders_queryset().get(pk=fulfillment_order_id)
    return as_json(SummaryFulfillmentOrderSerializer(order, context={"currency": order.currency}).data)


def return_order_data(return_order_id: int) -> dict:
    """As GET /commerce/returns/return-orders/{id} renders it."""
    return as_json(SummaryReturnOrderSerializer(return_orders_queryset().get(pk=return_order_id)).data)


class _ProcessExceptionSerializer(SummaryProcessExceptionSerializer):
    orderSummaryId = IdOut(source="order_summary_id")


def process_exception_data(exception) -> dict:
    return as_json(_ProcessExceptionSerializer(exception).data)


# --- Recording: one line for each service that emits ------------------------------------------------


def emit_order_summaries_created(summaries: list[OrderSummary]) -> None:
    """New summaries (an ingest, a batch): rendered from the instances just written, their channels read
    once (not at all when the caller set them: ingest has them), so a batch costs the statements of one order."""
    missing = {summary.sales_channel_id for summary in summaries if not OrderSummary.sales_channel.is_cached(summary)}
    channels = SalesChannel.objects.in_bulk(missing) if missing else {}
    for summary in summaries:
        if summary.sales_channel_id in missing:
            summary.sales_channel = channels[summary.sales_channel_id]
    rows = _summary_rows()
    record_first_events(
        EventType.ORDER_SUMMARY_CREATED, [(summary, as_json(rows.to_representation(summary))) for summary in summaries]
    )


@cache
def _summary_rows() -> OrderSummaryRowSerializer:
    """One serializer per process renders the new summaries: `.data` of a new serializer per summary built
    (deep-copied) its tree of fields each time, a fifth of a batch ingest's CPU. It holds no instance and
    no context; `to_representation` only reads its fields."""
    return OrderSummaryRowSerializer()


def emit_order_summary_changed(summary_id: int, *, saved: OrderSummary | None = None) -> None:
    """A change order was written (cancel, return, adjust; exchanges and reships call this too).

    `saved` is the summary as the caller just saved it under its lock (roll-ups, status, version), with
    its channel: rendered as it is instead of read again (issue 19: a query and a serializer less)."""
    data = order_summary_data(summary_id) if saved is None else as_json(_summary_rows().to_representation(saved))
    record_event(summary_id, EventType.ORDER_SUMMARY_CHANGED, data)


def emit_fulfillment_order(order, event_type: str) -> None:
    """fulfillment_order.created or .status_changed, with the order as it is now (lines and totals saved)."""
    record_event(order.order_summary_id, event_type, fulfillment_order_data(order.pk))


def shipment_data(shipment_id: int) -> dict:
    """As GET …/fulfillment-orders/{id}/shipments/{shipmentId} renders it."""
    return as_json(ShipmentSerializer(Shipment.objects.prefetch_related("lines").get(pk=shipment_id)).data)


def emit_shipment_created(shipment) -> None:
    record_event(shipment.order_summary_id, EventType.SHIPMENT_CREATED, shipment_data(shipment.pk))


def emit_return_order_received(return_order) -> None:
    record_event(return_order.order_summary_id, EventType.RETURN_ORDER_RECEIVED, return_order_data(return_order.pk))


def emit_process_exception_created(exception) -> None:
    record_event(exception.order_summary_id, EventType.PROCESS_EXCEPTION_CREATED, process_exception_data(exception))
