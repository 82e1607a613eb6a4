"""Everything the order page shows, read in a fixed number of queries whatever the number of items.

The queries (pinned with the request's own in tests/perf/test_query_counts_console.py):
the delivery groups with their summary, its channel and the sums of its funds position; the items; the
fulfillment orders with their lines; the shipments with their lines; the payment summaries; the gateway
calls; the refunds; the invoices and credit memos; the background operations; the process exceptions;
the change orders with their lines and reasons; the agent refunds (released, pending and decided); the
holds; the exchanges; the return orders and reshipments (console.return_order_selectors); the
fulfillment-order moves.

The rows they read are shaped by console.order_page.rows and console.order_page.timeline.
"""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db.models import BigIntegerField, CharField, OuterRef, Q, Value
from django.shortcuts import get_object_or_404

from console.forms.wizards import BEFORE_PICKING
from console.order_page.rows import (
    ITEM_FIELDS,
    DeliveryGroupView,
    Document,
    FulfillmentOrderView,
    Item,
    Line,
    OrderPage,
    PaymentSummaryView,
    ShipmentView,
    item_rows,
    line_row,
    mark_held_lines,
)
from console.order_page.text import FigureText, actor_of
from console.order_page.timeline import (
    ChangeOrderEntry,
    RefundEntry,
    TimelineEvent,
    TimelineLine,
    build_timeline,
    timeline_rows,
)
from console.return_order_selectors import reshipments_of, return_orders_of, timeline_events
from orders.funds import funds_annotations, funds_position, funds_sums
from orders.models import (
    FINAL_STATUS_CATEGORIES,
    Exchange,
    FulfillmentOrder,
    FulfillmentOrderMove,
    Order,
    OrderDeliveryGroupSummary,
    OrderHold,
    OrderItemSummary,
    OrderKind,
    OrderSummary,
    ProcessException,
    Shipment,
)
from payments.models import (
    AgentRefund,
    BackgroundOperation,
    CreditMemo,
    Invoice,
    OrderPaymentSummary,
    PaymentGatewayLog,
    Refund,
)


def operations_for(summary_id: int) -> list[BackgroundOperation]:
    """Newest first: what the polling fragment shows."""
    return list(
        BackgroundOperation.objects.filter(order_summary_id=summary_id)
        .select_related("created_by", "created_by_client")
        .order_by("-submitted_at", "-id")
    )


def _summary_and_groups(summary_id: int) -> tuple[OrderSummary, list[OrderDeliveryGroupSummary], tuple]:
    """One query: the delivery groups joined to their summary and its channel, each row with the sums the
    funds position is made of (the payments provider's expressions). A summary without groups (none is
    ever made without one) costs a second query, and an unknown id is a 404 as before."""
    funds = funds_annotations(OuterRef("order_summary_id"))
    groups = list(
        OrderDeliveryGroupSummary.objects.filter(order_summary_id=summary_id)
        .select_related("order_summary__sales_channel")
        .annotate(**funds)
        .order_by("id")
    )
    if not groups:
        funds = funds_annotations()
        summary = get_object_or_404(
            OrderSummary.objects.select_related("sales_channel").annotate(**funds), pk=summary_id
        )
        return summary, [], funds_sums(summary, funds)
    summary = groups[0].order_summary
    for group in groups:
        group.order_summary = summary
    return summary, groups, funds_sums(groups[0], funds)


def _items(summary: OrderSummary) -> list[Item]:
    """The items' stored columns, in line order (one query)."""
    values = OrderItemSummary.objects.filter(order_summary=summary).order_by("line_number", "id")
    return list(map(Item._make, values.values_list(*ITEM_FIELDS)))


_USERNAME = f"created_by__{get_user_model().USERNAME_FIELD}"
_FULFILLMENT_ORDER_FIELDS = (
    "id",
    "delivery_group_summary_id",
    "location__name",
    "type",
    "status",
    "status_category",
    "currency",
    "grand_total_amount",
    "created_at",
    "fulfilled_at",
    "canceled_at",
    "rejected_at",
    "created_by_id",
    _USERNAME,
    "created_by_client_id",
    "created_by_client__name",
    "reshipment_id",
)
# The columns of rows.Line, in its order.
_LINE_FIELDS = (
    "lines__id",
    "lines__type",
    "lines__sku",
    "lines__name",
    "lines__original_quantity",
    "lines__quantity",
    "lines__quantity_shipped",
    "lines__total_line_amount",
    "lines__total_line_tax_amount",
    "lines__total_adjustment_amount",
    "lines__total_adjustment_tax_amount",
    "lines__quantity_rejected",
    "lines__rejection_reason",
)


def _fulfillment_orders(summary: OrderSummary, text: FigureText) -> list[FulfillmentOrderView]:
    """The fulfillment orders, oldest first, each with its lines as rows of text: one query (a left join,
    so an order without lines is still listed)."""
    views: dict[int, FulfillmentOrderView] = {}
    rows = (
        FulfillmentOrder.objects.filter(order_summary=summary)
        .order_by("created_at", "id", "lines__id")
        .values_list(*_FULFILLMENT_ORDER_FIELDS, *_LINE_FIELDS)
    )
    width = len(_FULFILLMENT_ORDER_FIELDS)
    for row in rows:
        (
            pk,
            group_id,
            location_name,
            fulfillment_type,
            status,
            status_category,
            currency,
            grand_total,
            created_at,
            fulfilled_at,
            canceled_at,
            rejected_at,
            user_id,
            username,
            client_id,
            client_name,
            reshipment_id,
        ) = row[:width]
        view = views.get(pk)
        if view is None:
            view = views[pk] = FulfillmentOrderView(
                pk=pk,
                number=FulfillmentOrder(pk=pk).number,
                location_name=location_name,
                type=fulfillment_type,
                status=status,
                is_final=status_category in FINAL_STATUS_CATEGORIES,
                currency=currency,
                grand_total_amount=grand_total,
                created_at=created_at,
                fulfilled_at=fulfilled_at,
                canceled_at=canceled_at,
                rejected_at=rejected_at,
                actor=actor_of(user_id, username, client_id, client_name),
                delivery_group_summary_id=group_id,
                reshipment_id=reshipment_id,
            )
        if row[width] is None:
            continue
        view.lines.append(line_row(Line._make(row[width:]), currency, text))
    return list(views.values())


_SHIPMENT_FIELDS = (
    "id",
    "fulfillment_order_id",
    "carrier",
    "service",
    "tracking_number",
    "tracking_url",
    "shipped_at",
    "delivered_at",
    "created_by_id",
    _USERNAME,
    "created_by_client_id",
    "created_by_client__name",
    "lines__quantity",
    "lines__fulfillment_order_line__name",
)


def _attach_shipments(summary: OrderSummary, fulfillment_orders: list[FulfillmentOrderView], text: FigureText) -> None:
    """Each fulfillment order's shipments in the order they left, with what they carry: one query."""
    by_order = {view.pk: view for view in fulfillment_orders}
    views: dict[int, ShipmentView] = {}
    units: dict[int, list[str]] = {}
    rows = (
        Shipment.objects.filter(order_summary=summary)
        .order_by("shipped_at", "id", "lines__id")
        .values_list(*_SHIPMENT_FIELDS)
    )
    for (
        pk,
        order_id,
        carrier,
        service,
        tracking_number,
        tracking_url,
        shipped_at,
        delivered_at,
        user_id,
        username,
        client_id,
        client_name,
        quantity,
        name,
    ) in rows:
        if pk not in views:
            views[pk] = ShipmentView(
                number=Shipment(pk=pk).number,
                carrier=carrier,
                service=service,
                tracking_number=tracking_number,
                tracking_url=tracking_url,
                shipped_at=shipped_at,
                delivered_at=delivered_at,
                actor=actor_of(user_id, username, client_id, client_name),
            )
            units[pk] = []
            if order_id in by_order:
                by_order[order_id].shipments.append(views[pk])
        if quantity is not None:
            units[pk].append(f"{text.qty(quantity)} × {name}")
    for pk, view in views.items():
        view.units = ", ".join(units[pk])


def _payments(summary: OrderSummary) -> tuple[list[PaymentSummaryView], list[PaymentGatewayLog], list[RefundEntry]]:
    """The payment summaries with their gateway calls (and the checkout's calls linked to no payment summary
    yet), and the refunds for the timeline: three queries."""
    payment_summaries = list(OrderPaymentSummary.objects.filter(order_summary=summary).order_by("created_at", "id"))
    logs = (
        PaymentGatewayLog.objects.filter(
            Q(order_payment_summary__order_summary=summary) | Q(authorization__order_id=summary.original_order_id)
        )
        .defer("request_body", "response_body")
        .order_by("initiated_at", "id")
    )
    logs_by_ops = defaultdict(list)
    for log in logs:
        logs_by_ops[log.order_payment_summary_id].append(log)
    refunds = [
        RefundEntry(*values)
        for values in Refund.objects.filter(order_payment_summary__order_summary=summary)
        .order_by("created_at", "id")
        .values_list("status", "amount", "created_at", "processed_at")
    ]
    views = [PaymentSummaryView(ops, gateway_logs=logs_by_ops.get(ops.pk, [])) for ops in payment_summaries]
    return views, logs_by_ops.get(None, []), refunds


_DOCUMENT_FIELDS = ("number", "created_at", "total_amount", "total_tax_amount", "total_amount_with_tax", "balance")


def _documents(summary: OrderSummary) -> tuple[list[Document], list[Document]]:
    """Invoices and credit memos, each oldest first: one query (a union of the two tables)."""
    invoices = (
        Invoice.objects.filter(order_summary=summary)
        .order_by()
        .values_list(
            Value("invoice", output_field=CharField()),
            "id",
            *_DOCUMENT_FIELDS,
            "fulfillment_order_id",
        )
    )
    memos = (
        CreditMemo.objects.filter(order_summary=summary)
        .order_by()
        .values_list(
            Value("memo", output_field=CharField()),
            "id",
            *_DOCUMENT_FIELDS,
            Value(None, output_field=BigIntegerField()),
        )
    )
    found = {"invoice": [], "memo": []}
    for kind, pk, *values, fulfillment_order_id in invoices.union(memos, all=True):
        found[kind].append((values[1], pk, values, fulfillment_order_id))
    return tuple(
        [
            Document(
                *values,
                pk=pk,
                fulfillment_order_number=FulfillmentOrder(pk=fulfillment_order_id).number
                if fulfillment_order_id
                else None,
            )
            for _, pk, values, fulfillment_order_id in sorted(found[kind], key=lambda entry: entry[:2])
        ]
        for kind in ("invoice", "memo")
    )


_CHANGE_ORDER_FIELDS = (
    "id",
    "created_at",
    "change_type",
    "fulfillment_phase",
    "reason",
    "grand_total_amount",
    "created_by_id",
    _USERNAME,
    "created_by_client_id",
    "created_by_client__name",
)
_CHANGE_LINE_FIELDS = (
    "items__id",
    "items__name",
    "items__quantity",
    "items__line_amount",
    "items__adjustment_amount",
    "items__line_tax_amount",
    "items__adjustment_tax_amount",
    "items__item_summary_changes__reason_text",
)


def _change_orders(summary: OrderSummary) -> list[ChangeOrderEntry]:
    """The change orders, oldest first, with their lines (signed deltas as stored: a cancel of one unit
    at 40.00 reads −1 and −40.00) and the reasons given for them: one query (left joins, so a change
    order without lines is still there)."""
    entries: dict[int, ChangeOrderEntry] = {}
    seen_lines = set()
    rows = (
        Order.objects.filter(order_summary=summary, kind=OrderKind.CHANGE)
        .order_by("created_at", "id", "items__line_number", "items__id")
        .values_list(*_CHANGE_ORDER_FIELDS, *_CHANGE_LINE_FIELDS)
    )
    width = len(_CHANGE_ORDER_FIELDS)
    for row in rows:
        pk, created_at, change_type, phase, reason, grand_total, user_id, username, client_id, client_name = row[:width]
        entry = entries.get(pk)
        if entry is None:
            entry = entries[pk] = ChangeOrderEntry(
                created_at=created_at,
                change_type=change_type,
                fulfillment_phase=phase,
                reason=reason,
                grand_total_amount=grand_total,
                actor=actor_of(user_id, username, client_id, client_name),
            )
        line_id, name, quantity, line_amount, adjustment, line_tax, adjustment_tax, reason_text = row[width:]
        if line_id is None:
            continue
        if reason_text:
            entry.reason_texts.add(reason_text)
        if line_id not in seen_lines:
            seen_lines.add(line_id)
            entry.lines.append(
                TimelineLine(
                    name=name,
                    quantity=quantity,
                    amount=line_amount + adjustment,
                    tax=line_tax + adjustment_tax,
                )
            )
    return list(entries.values())


def order_page(summary_id: int) -> OrderPage:
    summary, groups, funds_sums_read = _summary_and_groups(summary_id)
    text = FigureText()
    items, facts = item_rows(_items(summary), summary.currency, text)
    fulfillment_orders = _fulfillment_orders(summary, text)
    _attach_shipments(summary, fulfillment_orders, text)
    group_views = {
        group.pk: DeliveryGroupView(
            group=group, item_count=facts.count_by_group[group.pk], has_unplaced_units=group.pk in facts.unplaced_groups
        )
        for group in groups
    }
    for fulfillment_order in fulfillment_orders:
        group_views[fulfillment_order.delivery_group_summary_id].fulfillment_orders.append(fulfillment_order)
    payment_views, unlinked_logs, refunds = _payments(summary)
    invoices, credit_memos = _documents(summary)
    operations = operations_for(summary.pk)
    process_exceptions = list(ProcessException.objects.filter(order_summary=summary).order_by("-created_at", "-id"))
    change_orders = _change_orders(summary)
    approvals = list(
        AgentRefund.objects.filter(order_summary=summary)
        .select_related("requested_by", "requested_by_client", "decided_by")
        .order_by("-created_at", "-id")
    )
    holds = list(
        OrderHold.objects.filter(order_summary=summary)
        .select_related(
            "held_by", "held_by_client", "rule", "released_by", "released_by_client", "fulfillment_order_line"
        )
        .order_by("held_at", "id")
    )
    mark_held_lines(fulfillment_orders, holds)
    managed = summary.is_managed
    exchanges = _exchanges(summary)
    return_orders = return_orders_of(summary)
    reshipments = reshipments_of(summary, fulfillment_orders)
    moves = list(
        FulfillmentOrderMove.objects.filter(fulfillment_order__order_summary=summary)
        .select_related("created_by", "created_by_client")
        .order_by("created_at", "id")
    )
    timeline = build_timeline(
        summary,
        change_orders,
        fulfillment_orders,
        invoices,
        credit_memos,
        refunds,
        operations,
        process_exceptions,
        approvals,
        holds,
        exchanges,
        moves,
    )
    timeline += [TimelineEvent(**event) for event in timeline_events(return_orders, reshipments)]
    timeline.sort(key=lambda event: event.when)
    return OrderPage(
        refund_approvals=approvals,
        holds=holds,
        exchanges_made=[exchange for exchange in exchanges if exchange.original_summary_id == summary.pk],
        exchange_origin=next((exchange for exchange in exchanges if exchange.exchange_summary_id == summary.pk), None),
        summary=summary,
        items=items,
        delivery_groups=list(group_views.values()),
        funds=funds_position(summary, sums=funds_sums_read),
        invoices=invoices,
        credit_memos=credit_memos,
        payment_summaries=payment_views,
        unlinked_gateway_logs=unlinked_logs,
        operations=operations,
        process_exceptions=process_exceptions,
        timeline=timeline_rows(timeline, summary.currency, text),
        can_cancel=managed
        and (
            facts.can_cancel
            or any(
                fulfillment_order.status in BEFORE_PICKING
                and not fulfillment_order.reshipment_id
                and any(line["cancelable"] for line in fulfillment_order.lines)
                for fulfillment_order in fulfillment_orders
            )
        ),
        can_return=managed and facts.can_return,
        can_reship=managed and facts.can_reship,
        return_orders=return_orders,
        can_adjust=managed and facts.can_adjust,
    )


def _exchanges(summary: OrderSummary) -> list[Exchange]:
    """The exchanges linking this summary to others, either way (one query)."""
    return list(
        Exchange.objects.filter(Q(original_summary_id=summary.pk) | Q(exchange_summary_id=summary.pk))
        .select_related("original_summary", "exchange_summary", "created_by", "created_by_client")
        .order_by("created_at", "id")
    )
