"""Everything the order page shows, read in a fixed number of queries whatever the number of items, and
shaped for the template: the long tables (items, fulfillment order lines) come as plain rows of text,
each distinct figure formatted once (the item rows are then printed by console_tags.item_rows), so a page
of 200 lines costs little more than printing them.

The queries (pinned with the request's own in tests/perf/test_query_counts_console.py):
the delivery groups with their summary, its channel and the sums of its funds position; the items; the
fulfillment orders with their lines; the payment summaries; the gateway calls; the refunds; the invoices
and credit memos; the background operations; the process exceptions; the change orders with their lines
and reasons; the agent refunds (released, pending and decided).
"""

from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import BigIntegerField, CharField, OuterRef, Q, Value
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import date as date_filter
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

from console.forms.wizards import BEFORE_PICKING
from console.return_order_selectors import reshipments_of, return_orders_of, timeline_events
from console.templatetags.console_tags import FigureText, money_text
from orders.funds import FundsPosition, funds_annotations, funds_position, funds_sums
from orders.models import (
    FINAL_STATUS_CATEGORIES,
    STATUS_CATEGORY,
    Exchange,
    FulfillmentMoveKind,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentOrderMove,
    FulfillmentOrderStatusCategory,
    ItemType,
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
    AgentRefundStatus,
    BackgroundOperation,
    CreditMemo,
    Invoice,
    OrderPaymentSummary,
    PaymentGatewayLog,
    Refund,
)
from payments.services.agent_changes import remaining_amounts


@dataclass
class FulfillmentOrderView:
    pk: int
    number: str
    location_name: str
    type: str
    status: str
    is_final: bool
    currency: str
    grand_total_amount: Decimal
    created_at: datetime
    fulfilled_at: datetime | None
    canceled_at: datetime | None
    rejected_at: datetime | None
    actor: str
    delivery_group_summary_id: int
    # Issue 15: a reshipment's fulfillment order ships units again at no charge.
    reshipment_id: int | None = None
    # Rows of text: name, sku, original_quantity, canceled, quantity, shipped, total_price, tax; and for the
    # cancel form pk, cancelable (units left on a product line) and quantity_input.
    lines: list[dict] = field(default_factory=list)
    shipments: list["ShipmentView"] = field(default_factory=list)


@dataclass
class ShipmentView:
    number: str
    carrier: str
    service: str
    tracking_number: str
    tracking_url: str
    shipped_at: datetime
    delivered_at: datetime | None
    actor: str
    # "2 × Shirt, 1 × Cap": what the parcel carries, as text.
    units: str = ""


@dataclass
class DeliveryGroupView:
    group: OrderDeliveryGroupSummary
    item_count: int = 0
    has_unplaced_units: bool = False
    fulfillment_orders: list[FulfillmentOrderView] = field(default_factory=list)


@dataclass
class PaymentSummaryView:
    payment_summary: OrderPaymentSummary
    gateway_logs: list[PaymentGatewayLog] = field(default_factory=list)


@dataclass(frozen=True)
class Document:
    """An invoice or a credit memo: the page lists them in one table."""

    number: str | None
    created_at: datetime
    total_amount: Decimal
    total_tax_amount: Decimal
    total_amount_with_tax: Decimal
    balance: Decimal
    # An invoice's source; None for fees (and for every credit memo).
    fulfillment_order_number: str | None = None


@dataclass(frozen=True)
class TimelineLine:
    name: str
    quantity: Decimal
    amount: Decimal
    tax: Decimal


@dataclass(frozen=True)
class TimelineEvent:
    when: datetime
    what: str
    who: str = ""
    why: str = ""
    amount: Decimal | None = None
    lines: tuple[TimelineLine, ...] = ()
    tone: str = "neutral"


@dataclass(frozen=True)
class RefundEntry:
    status: str
    amount: Decimal
    created_at: datetime
    processed_at: datetime | None


@dataclass
class ChangeOrderEntry:
    created_at: datetime
    change_type: str
    fulfillment_phase: str
    reason: str
    grand_total_amount: Decimal
    actor: str
    lines: list[TimelineLine] = field(default_factory=list)
    reason_texts: set[str] = field(default_factory=set)


@dataclass
class OrderPage:
    summary: OrderSummary
    # Rows of text, one per item, in line order (see _item_rows).
    items: list[dict]
    delivery_groups: list[DeliveryGroupView]
    funds: FundsPosition
    invoices: list[Document]
    credit_memos: list[Document]
    payment_summaries: list[PaymentSummaryView]
    unlinked_gateway_logs: list[PaymentGatewayLog]
    operations: list[BackgroundOperation]
    process_exceptions: list[ProcessException]
    # Rows of text, oldest first (see _timeline_rows).
    timeline: list[dict]
    # The wizards the page offers: on a managed order, with a product that has units to cancel (not yet
    # allocated, or on a fulfillment order not yet picked: Cancel items and Cancel order), to return, or a
    # price to adjust.
    can_cancel: bool
    can_return: bool
    can_adjust: bool
    refund_approvals: list[AgentRefund] = field(default_factory=list)
    # Every hold of the order, active and released, oldest first (the holds card and the timeline).
    holds: list[OrderHold] = field(default_factory=list)
    # Issue 15: exchanges made on this order (its replacements), and the one that made it (a replacement).
    exchanges_made: list[Exchange] = field(default_factory=list)
    exchange_origin: Exchange | None = None
    # Issue 15: the return orders (console.return_order_selectors) and whether units can be reshipped.
    return_orders: list = field(default_factory=list)
    can_reship: bool = False

    @property
    def active_holds(self) -> list[OrderHold]:
        return [hold for hold in self.holds if hold.is_active]

    @property
    def summary_held(self) -> bool:
        return any(hold.fulfillment_order_line_id is None for hold in self.active_holds)

    @property
    def held_line_ids(self) -> set[int]:
        return {hold.fulfillment_order_line_id for hold in self.active_holds if hold.fulfillment_order_line_id}

    @property
    def pending_approvals(self) -> list[AgentRefund]:
        return [approval for approval in self.refund_approvals if approval.status == AgentRefundStatus.PENDING]

    @property
    def remaining_refund(self) -> Decimal:
        """What is left to refund that nobody is refunding (payments' remaining_amounts), from what the
        page read; 0 while a refund job runs, whose amount is not settled yet."""
        if any(not operation.is_final for operation in self.operations):
            return Decimal(0)
        memo_balances = sum((memo.balance for memo in self.credit_memos), Decimal(0))
        credit, excess = remaining_amounts(self.funds, memo_balances, self.pending_approvals, self.summary.currency)
        return credit + excess

    @property
    def total_authorized(self) -> Decimal:
        return sum((view.payment_summary.authorization_amount for view in self.payment_summaries), Decimal(0))

    @property
    def total_captured(self) -> Decimal:
        return sum((view.payment_summary.captured_amount for view in self.payment_summaries), Decimal(0))

    @property
    def total_refunded(self) -> Decimal:
        return sum((view.payment_summary.refunded_amount for view in self.payment_summaries), Decimal(0))

    @property
    def total_pending_refund(self) -> Decimal:
        return sum((view.payment_summary.pending_refund_amount for view in self.payment_summaries), Decimal(0))

    @property
    def active_exceptions(self) -> list[ProcessException]:
        return [exception for exception in self.process_exceptions if exception.is_active]

    @property
    def operations_running(self) -> bool:
        return any(not operation.is_final for operation in self.operations)


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
        .select_related("order_summary__sales_channel").annotate(**funds).order_by("id")
    )
    if not groups:
        funds = funds_annotations()
        summary = get_object_or_404(OrderSummary.objects.select_related("sales_channel").annotate(**funds),
                                    pk=summary_id)
        return summary, [], funds_sums(summary, funds)
    summary = groups[0].order_summary
    for group in groups:
        group.order_summary = summary
    return summary, groups, funds_sums(groups[0], funds)


_ITEM_FIELDS = (
    "delivery_group_summary_id", "line_number", "type", "sku", "name", "status", "tax_locale_type",
    "quantity_ordered", "quantity_canceled", "quantity_allocated", "quantity_fulfilled",
    "quantity_return_initiated", "quantity_returned", "quantity_reshipped", "unit_price", "total_line_amount",
    "total_line_tax_amount", "total_adjustment_amount", "total_adjustment_tax_amount",
)


class _Item(namedtuple("_ItemColumns", _ITEM_FIELDS)):
    """One item's stored columns, read without building a model instance; what is derived from them
    (quantities, total price, tax, total with tax) is OrderItemSummary's own properties."""

    __slots__ = ()
    quantity = OrderItemSummary.quantity
    quantity_net_ordered = OrderItemSummary.quantity_net_ordered
    quantity_available_to_fulfill = OrderItemSummary.quantity_available_to_fulfill
    quantity_available_to_cancel = OrderItemSummary.quantity_available_to_cancel
    quantity_available_to_return = OrderItemSummary.quantity_available_to_return
    quantity_available_to_reship = OrderItemSummary.quantity_available_to_reship
    total_price = OrderItemSummary.total_price
    total_tax_amount = OrderItemSummary.total_tax_amount
    total_amt_with_tax = OrderItemSummary.total_amt_with_tax


@dataclass
class _ItemFacts:
    """What the order's actions and its delivery groups need to know of the items."""

    can_cancel: bool = False
    can_return: bool = False
    can_reship: bool = False
    can_adjust: bool = False
    count_by_group: dict = field(default_factory=lambda: defaultdict(int))
    unplaced_groups: set = field(default_factory=set)


# Between an item's sku and its type: "SKU-1 · Order Product".
_SKU_SEPARATOR = mark_safe(" · ")


def _item_rows(summary: OrderSummary, text: FigureText) -> tuple[list[dict], _ItemFacts]:
    """The items as rows of text for the items table (one query)."""
    currency = summary.currency
    facts = _ItemFacts()
    rows = []
    values = OrderItemSummary.objects.filter(order_summary=summary).order_by("line_number", "id")
    for item in map(_Item._make, values.values_list(*_ITEM_FIELDS)):
        sku = conditional_escape(item.sku)
        facts.count_by_group[item.delivery_group_summary_id] += 1
        if item.type == ItemType.PRODUCT:
            if item.quantity_available_to_cancel > 0:
                facts.can_cancel = True
            if item.quantity_available_to_fulfill > 0:
                facts.unplaced_groups.add(item.delivery_group_summary_id)
            if item.quantity_available_to_return > 0:
                facts.can_return = True
            if item.quantity_available_to_reship > 0:
                facts.can_reship = True
            if item.quantity > 0 and item.total_price > 0:
                facts.can_adjust = True
        rows.append({
            # Escaped text, as the template would print it (a number with no thousands separator).
            "line_number": conditional_escape(item.line_number), "name": conditional_escape(item.name),
            "sku": sku, "sku_prefix": sku + _SKU_SEPARATOR if sku else sku, "type": text.word(item.type),
            "status": text.badge(item.status),
            "quantity_ordered": text.qty(item.quantity_ordered),
            "quantity_canceled": text.qty(item.quantity_canceled),
            "quantity_allocated": text.qty(item.quantity_allocated),
            "quantity_fulfilled": text.qty(item.quantity_fulfilled),
            # Shopify's grouping: what is still to ship of what was not canceled.
            "quantity_unfulfilled": text.qty(max(item.quantity_net_ordered - item.quantity_fulfilled, 0)),
            "quantity_return_initiated": text.qty(item.quantity_return_initiated),
            "quantity_returned": text.qty(item.quantity_returned),
            "quantity_reshipped": text.qty(item.quantity_reshipped),
            "quantity": text.qty(item.quantity),
            "quantity_net_ordered": text.qty(item.quantity_net_ordered),
            "quantity_available_to_fulfill": text.qty(item.quantity_available_to_fulfill),
            "quantity_available_to_cancel": text.qty(item.quantity_available_to_cancel),
            "quantity_available_to_return": text.qty(item.quantity_available_to_return),
            "unit_price": text.amount(item.unit_price, currency),
            "total_line_amount": text.amount(item.total_line_amount, currency),
            "total_adjustment_amount": text.amount(item.total_adjustment_amount, currency),
            "total_price": text.amount(item.total_price, currency),
            "total_tax_amount": text.amount(item.total_tax_amount, currency),
            "total_amt_with_tax": text.amount(item.total_amt_with_tax, currency),
        })
    return rows, facts


def _actor_of(user_id, username, client_id, client_name) -> str:
    """Who made a record, as the timeline names it (see _actor)."""
    if user_id:
        return username
    if client_id:
        return f"API: {client_name}"
    return "System"


_USERNAME = f"created_by__{get_user_model().USERNAME_FIELD}"
_FULFILLMENT_ORDER_FIELDS = (
    "id", "delivery_group_summary_id", "location__name", "type", "status", "status_category", "currency",
    "grand_total_amount", "created_at", "fulfilled_at", "canceled_at", "rejected_at",
    "created_by_id", _USERNAME, "created_by_client_id", "created_by_client__name", "reshipment_id",
)
_LINE_FIELDS = (
    "lines__id", "lines__type", "lines__sku", "lines__name", "lines__original_quantity", "lines__quantity",
    "lines__quantity_shipped",
    "lines__total_line_amount", "lines__total_line_tax_amount", "lines__total_adjustment_amount",
    "lines__total_adjustment_tax_amount", "lines__quantity_rejected", "lines__rejection_reason",
)


_LINE_ATTRIBUTES = (
    "pk", "type", "sku", "name", "original_quantity", "quantity", "quantity_shipped", "total_line_amount",
    "total_line_tax_amount", "total_adjustment_amount", "total_adjustment_tax_amount", "quantity_rejected",
    "rejection_reason",
)


class _Line(namedtuple("_LineColumns", _LINE_ATTRIBUTES)):
    """One fulfillment order line's stored columns (_LINE_FIELDS); its canceled units, total price and tax
    are FulfillmentOrderLineItem's own properties."""

    __slots__ = ()
    quantity_canceled = FulfillmentOrderLineItem.quantity_canceled
    total_price = FulfillmentOrderLineItem.total_price
    total_tax_amount = FulfillmentOrderLineItem.total_tax_amount


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
        (pk, group_id, location_name, fulfillment_type, status, status_category, currency, grand_total,
         created_at, fulfilled_at, canceled_at, rejected_at, user_id, username, client_id, client_name,
         reshipment_id) = row[:width]
        view = views.get(pk)
        if view is None:
            view = views[pk] = FulfillmentOrderView(
                pk=pk, number=FulfillmentOrder(pk=pk).number, location_name=location_name, type=fulfillment_type,
                status=status, is_final=status_category in FINAL_STATUS_CATEGORIES, currency=currency,
                grand_total_amount=grand_total, created_at=created_at, fulfilled_at=fulfilled_at,
                canceled_at=canceled_at, rejected_at=rejected_at,
                actor=_actor_of(user_id, username, client_id, client_name), delivery_group_summary_id=group_id,
                reshipment_id=reshipment_id,
            )
        if row[width] is None:
            continue
        line = _Line._make(row[width:])
        view.lines.append({
            "pk": line.pk, "name": conditional_escape(line.name), "sku": conditional_escape(line.sku),
            "original_quantity": text.qty(line.original_quantity),
            "quantity_canceled": text.qty(line.quantity_canceled),
            "quantity": text.qty(line.quantity),
            "quantity_shipped": text.qty(line.quantity_shipped),
            "total_price": text.money(line.total_price, currency),
            "total_tax_amount": text.money(line.total_tax_amount, currency),
            # The cancel form offers the units left on product lines.
            "cancelable": bool(line.quantity) and line.type == ItemType.PRODUCT,
            "quantity_input": text.qty_input(line.quantity),
            "rejected": _rejected_note(line, text),
            "held": mark_safe(""),  # filled in by _mark_held_lines once the holds are read
        })
    return list(views.values())


def _mark_held_lines(fulfillment_orders: list[FulfillmentOrderView], holds: list[OrderHold]) -> None:
    held = {hold.fulfillment_order_line_id: hold for hold in holds
            if hold.is_active and hold.fulfillment_order_line_id}
    if not held:
        return
    for view in fulfillment_orders:
        for line in view.lines:
            hold = held.get(line["pk"])
            if hold is not None:
                line["held"] = format_html('<span class="sub" data-testid="held">On hold: {}</span>', hold.reason)


def _rejected_note(line: _Line, text: FigureText) -> str:
    """Under the line's name: the units its location refused and why (empty when none were)."""
    if not line.quantity_rejected:
        return mark_safe("")
    return format_html('<span class="sub" data-testid="rejected">Rejected {}: {}</span>',
                       text.qty(line.quantity_rejected), line.rejection_reason or "no reason given")


_SHIPMENT_FIELDS = (
    "id", "fulfillment_order_id", "carrier", "service", "tracking_number", "tracking_url", "shipped_at",
    "delivered_at", "created_by_id", _USERNAME, "created_by_client_id", "created_by_client__name",
    "lines__quantity", "lines__fulfillment_order_line__name",
)


def _attach_shipments(summary: OrderSummary, fulfillment_orders: list[FulfillmentOrderView], text: FigureText) -> None:
    """Each fulfillment order's shipments in the order they left, with what they carry: one query."""
    by_order = {view.pk: view for view in fulfillment_orders}
    views: dict[int, ShipmentView] = {}
    units: dict[int, list[str]] = {}
    rows = (Shipment.objects.filter(order_summary=summary).order_by("shipped_at", "id", "lines__id")
            .values_list(*_SHIPMENT_FIELDS))
    for (pk, order_id, carrier, service, tracking_number, tracking_url, shipped_at, delivered_at, user_id, username,
         client_id, client_name, quantity, name) in rows:
        if pk not in views:
            views[pk] = ShipmentView(
                number=Shipment(pk=pk).number, carrier=carrier, service=service, tracking_number=tracking_number,
                tracking_url=tracking_url, shipped_at=shipped_at, delivered_at=delivered_at,
                actor=_actor_of(user_id, username, client_id, client_name),
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
        .order_by("created_at", "id").values_list("status", "amount", "created_at", "processed_at")
    ]
    views = [PaymentSummaryView(ops, gateway_logs=logs_by_ops.get(ops.pk, [])) for ops in payment_summaries]
    return views, logs_by_ops.get(None, []), refunds


_DOCUMENT_FIELDS = ("number", "created_at", "total_amount", "total_tax_amount", "total_amount_with_tax", "balance")


def _documents(summary: OrderSummary) -> tuple[list[Document], list[Document]]:
    """Invoices and credit memos, each oldest first: one query (a union of the two tables)."""
    invoices = Invoice.objects.filter(order_summary=summary).order_by().values_list(
        Value("invoice", output_field=CharField()), "id", *_DOCUMENT_FIELDS, "fulfillment_order_id",
    )
    memos = CreditMemo.objects.filter(order_summary=summary).order_by().values_list(
        Value("memo", output_field=CharField()), "id", *_DOCUMENT_FIELDS, Value(None, output_field=BigIntegerField()),
    )
    found = {"invoice": [], "memo": []}
    for kind, pk, *values, fulfillment_order_id in invoices.union(memos, all=True):
        found[kind].append((values[1], pk, values, fulfillment_order_id))
    return tuple(
        [
            Document(*values, fulfillment_order_number=FulfillmentOrder(pk=fulfillment_order_id).number
                     if fulfillment_order_id else None)
            for _, _, values, fulfillment_order_id in sorted(found[kind], key=lambda entry: entry[:2])
        ]
        for kind in ("invoice", "memo")
    )


_CHANGE_ORDER_FIELDS = (
    "id", "created_at", "change_type", "fulfillment_phase", "reason", "grand_total_amount",
    "created_by_id", _USERNAME, "created_by_client_id", "created_by_client__name",
)
_CHANGE_LINE_FIELDS = (
    "items__id", "items__name", "items__quantity", "items__line_amount", "items__adjustment_amount",
    "items__line_tax_amount", "items__adjustment_tax_amount", "items__item_summary_changes__reason_text",
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
                created_at=created_at, change_type=change_type, fulfillment_phase=phase, reason=reason,
                grand_total_amount=grand_total, actor=_actor_of(user_id, username, client_id, client_name),
            )
        line_id, name, quantity, line_amount, adjustment, line_tax, adjustment_tax, reason_text = row[width:]
        if line_id is None:
            continue
        if reason_text:
            entry.reason_texts.add(reason_text)
        if line_id not in seen_lines:
            seen_lines.add(line_id)
            entry.lines.append(TimelineLine(
                name=name, quantity=quantity, amount=line_amount + adjustment, tax=line_tax + adjustment_tax,
            ))
    return list(entries.values())


def order_page(summary_id: int) -> OrderPage:
    summary, groups, funds_sums_read = _summary_and_groups(summary_id)
    text = FigureText()
    items, facts = _item_rows(summary, text)
    fulfillment_orders = _fulfillment_orders(summary, text)
    _attach_shipments(summary, fulfillment_orders, text)
    group_views = {
        group.pk: DeliveryGroupView(group=group, item_count=facts.count_by_group[group.pk],
                                    has_unplaced_units=group.pk in facts.unplaced_groups)
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
        .select_related("held_by", "held_by_client", "rule", "released_by", "released_by_client",
                        "fulfillment_order_line")
        .order_by("held_at", "id")
    )
    _mark_held_lines(fulfillment_orders, holds)
    managed = summary.is_managed
    exchanges = _exchanges(summary)
    return_orders = return_orders_of(summary)
    reshipments = reshipments_of(summary, fulfillment_orders)
    moves = list(
        FulfillmentOrderMove.objects.filter(fulfillment_order__order_summary=summary)
        .select_related("created_by", "created_by_client")
        .order_by("created_at", "id")
    )
    timeline = build_timeline(summary, change_orders, fulfillment_orders, invoices, credit_memos, refunds, operations,
                              process_exceptions, approvals, holds, exchanges, moves)
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
        timeline=_timeline_rows(timeline, summary.currency, text),
        can_cancel=managed and (facts.can_cancel or any(
            fulfillment_order.status in BEFORE_PICKING and not fulfillment_order.reshipment_id
            and any(line["cancelable"] for line in fulfillment_order.lines)
            for fulfillment_order in fulfillment_orders
        )),
        can_return=managed and facts.can_return,
        can_reship=managed and facts.can_reship,
        return_orders=return_orders,
        can_adjust=managed and facts.can_adjust,
    )


def _actor(record) -> str:
    if getattr(record, "created_by_id", None):
        return record.created_by.get_username()
    if getattr(record, "created_by_client_id", None):
        return f"API: {record.created_by_client.name}"
    return "System"


def _exchanges(summary: OrderSummary) -> list[Exchange]:
    """The exchanges linking this summary to others, either way (one query)."""
    return list(
        Exchange.objects.filter(Q(original_summary_id=summary.pk) | Q(exchange_summary_id=summary.pk))
        .select_related("original_summary", "exchange_summary", "created_by", "created_by_client")
        .order_by("created_at", "id")
    )


def _exchange_events(summary, exchanges) -> list[TimelineEvent]:
    events = []
    for exchange in exchanges:
        if exchange.original_summary_id == summary.pk:
            extra = (f"; {money_text(exchange.amount_to_charge, exchange.currency)} more charged at shipment"
                     if exchange.amount_to_charge else
                     f"; {money_text(exchange.amount_to_refund, exchange.currency)} refunded"
                     if exchange.amount_to_refund else "; nothing charged or refunded")
            events.append(TimelineEvent(
                when=exchange.created_at, who=_actor(exchange), why=exchange.reason, tone="attention",
                what=f"Exchange: replacement order {exchange.exchange_summary.order_number} created" + extra,
                amount=exchange.replacement_total,
            ))
        else:
            events.append(TimelineEvent(
                when=exchange.created_at, who=_actor(exchange), why=exchange.reason, tone="progress",
                what=f"Created by an exchange on order {exchange.original_summary.order_number}: "
                     f"{money_text(exchange.transferred_amount, exchange.currency)} paid by the returned units",
                amount=exchange.replacement_total,
            ))
    return events


def build_timeline(summary, change_orders, fulfillment_orders, invoices, credit_memos, refunds, operations,
                   process_exceptions, approvals=(), holds=(), exchanges=(), moves=()) -> list[TimelineEvent]:
    """Every recorded change to the order, oldest first, from the records already loaded."""
    events = [TimelineEvent(when=summary.ordered_date, what="Order placed", who=summary.sales_channel.name,
                            tone="progress")]
    events += _exchange_events(summary, exchanges)
    for change_order in change_orders:
        reason_texts = sorted(change_order.reason_texts)
        phase = f" ({change_order.fulfillment_phase}-fulfillment)" if change_order.fulfillment_phase else ""
        why = change_order.reason + (f": {'; '.join(reason_texts)}" if reason_texts else "")
        events.append(TimelineEvent(
            when=change_order.created_at, what=f"{change_order.change_type}{phase}", who=change_order.actor,
            why=why, amount=change_order.grand_total_amount, lines=tuple(change_order.lines), tone="attention",
        ))
    for fulfillment_order in fulfillment_orders:
        reship = " to reship units at no charge" if fulfillment_order.reshipment_id else ""
        events.append(TimelineEvent(
            when=fulfillment_order.created_at, who=fulfillment_order.actor, tone="progress",
            what=f"{fulfillment_order.number} created at {fulfillment_order.location_name}{reship}",
            amount=fulfillment_order.grand_total_amount,
        ))
        for shipment in fulfillment_order.shipments:
            carrier = " ".join(part for part in (shipment.carrier, shipment.service) if part)
            tracking = f"tracking {shipment.tracking_number}" if shipment.tracking_number else ""
            details = ", ".join(part for part in (f"with {carrier}" if carrier else "", tracking) if part)
            events.append(TimelineEvent(
                when=shipment.shipped_at, who=shipment.actor, tone="progress",
                what=f"{shipment.number} of {fulfillment_order.number} shipped{' ' + details if details else ''}: "
                     f"{shipment.units}",
            ))
            if shipment.delivered_at:
                events.append(TimelineEvent(when=shipment.delivered_at, what=f"{shipment.number} delivered",
                                            tone="good"))
        recorded = {STATUS_CATEGORY[move.to_status] for move in moves
                     if move.fulfillment_order_id == fulfillment_order.pk and move.kind == FulfillmentMoveKind.STATUS}
        # Moves made before they were recorded (or by a path that records none) still show, without who.
        for moment, label, tone, category in (
            (fulfillment_order.fulfilled_at, "fulfilled", "good", FulfillmentOrderStatusCategory.CLOSED),
            (fulfillment_order.canceled_at, "cancelled", "muted", FulfillmentOrderStatusCategory.CANCELLED),
            (fulfillment_order.rejected_at, "rejected", "bad", FulfillmentOrderStatusCategory.REJECTED),
        ):
            if moment and category not in recorded:
                events.append(TimelineEvent(when=moment, what=f"{fulfillment_order.number} {label}", tone=tone))
    for invoice in invoices:
        events.append(TimelineEvent(
            when=invoice.created_at, what=f"Invoice {invoice.number} posted", amount=invoice.total_amount_with_tax,
            tone="progress",
        ))
    for memo in credit_memos:
        events.append(TimelineEvent(
            when=memo.created_at, what=f"Credit memo {memo.number} posted", amount=memo.total_amount_with_tax,
            tone="attention",
        ))
    for refund in refunds:
        events.append(TimelineEvent(
            when=refund.processed_at or refund.created_at, what=f"Refund {refund.status.lower()}",
            amount=refund.amount, tone="good" if refund.status == "Processed" else "progress",
        ))
    for operation in operations:
        if operation.finished_at:
            events.append(TimelineEvent(
                when=operation.finished_at, what=f"{operation.type} {operation.status.lower()}",
                who=_actor(operation), tone="good" if operation.status == "Complete" else "bad",
            ))
    for approval in approvals:
        asked_by = (approval.requested_by.get_username() if approval.requested_by
                    else f"API: {approval.requested_by_client.name}" if approval.requested_by_client else "")
        if approval.status == AgentRefundStatus.RELEASED:
            events.append(TimelineEvent(
                when=approval.created_at, what=f"Refund started ({approval.get_kind_display()})", who=asked_by,
                why=approval.reason, amount=approval.amount, tone="progress",
            ))
            continue
        events.append(TimelineEvent(
            when=approval.created_at, what="Refund above the agent limit sent for approval", who=asked_by,
            why=approval.reason, amount=approval.amount, tone="attention",
        ))
        if approval.decided_at:
            events.append(TimelineEvent(
                when=approval.decided_at, what=f"Refund {approval.status.lower()}",
                who=approval.decided_by.get_username() if approval.decided_by else "", amount=approval.amount,
                why=approval.decline_reason,
                tone="good" if approval.status == AgentRefundStatus.APPROVED else "muted",
            ))
    events += _hold_events(holds)
    events += _move_events(moves)
    for exception in process_exceptions:
        events.append(TimelineEvent(
            when=exception.created_at, what=f"Process exception: {exception.category}", why=exception.message,
            tone="bad",
        ))
    events.sort(key=lambda event: event.when)
    return events


_FINAL_LABELS = {
    FulfillmentOrderStatusCategory.CLOSED: "fulfilled", FulfillmentOrderStatusCategory.CANCELLED: "cancelled",
    FulfillmentOrderStatusCategory.REJECTED: "rejected",
}
_MOVE_TONES = {
    FulfillmentOrderStatusCategory.CLOSED: "good", FulfillmentOrderStatusCategory.CANCELLED: "muted",
    FulfillmentOrderStatusCategory.REJECTED: "bad",
}


def _move_events(moves) -> list[TimelineEvent]:
    """Fulfillment-order status changes and line cancels with who made them and the amounts they recorded
    then (the fulfillment order's total before the move, the canceled units' share of the line)."""
    events = []
    for move in moves:
        number = FulfillmentOrder(pk=move.fulfillment_order_id).number
        if move.kind == FulfillmentMoveKind.LINE_CANCEL:
            what = f"{move.quantity.normalize():f} × {move.line_name} canceled on {number}"
            tone = "muted"
        else:
            category = STATUS_CATEGORY[move.to_status]
            # The final moves read as they did before they were recorded ("FO-… fulfilled"), now with who.
            what = (f"{number} {_FINAL_LABELS[category]}" if category in _FINAL_LABELS
                    else f"{number} moved from {move.from_status} to {move.to_status}")
            tone = _MOVE_TONES.get(category, "progress")
        events.append(TimelineEvent(when=move.created_at, what=what, who=_actor(move), why=move.reason,
                                    amount=move.amount, tone=tone))
    return events


def _hold_events(holds) -> list[TimelineEvent]:
    """A hold and its release, each with who and when (OrderHold keeps both)."""
    events = []
    for hold in holds:
        line = hold.fulfillment_order_line
        what = (f"{line.name} on {FulfillmentOrder(pk=line.fulfillment_order_id).number}" if line is not None
                else "The whole order")
        events.append(TimelineEvent(when=hold.held_at, what=f"On hold: {what}", who=hold.held_by_name,
                                    why=hold.reason, tone="attention"))
        if hold.released_at:
            events.append(TimelineEvent(when=hold.released_at, what=f"Hold released: {what}",
                                        who=hold.released_by_name, why=hold.release_note, tone="progress"))
    return events


def _timeline_rows(events: list[TimelineEvent], currency: str, text: FigureText) -> list[dict]:
    """The timeline as rows of text: the times as the template's `date` filter prints them (in the current
    time zone), amounts in the order's currency, a line's quantity only when it is not zero."""
    rows = []
    for event in events:
        when = template_localtime(event.when)
        rows.append({
            "when_iso": date_filter(when, "c"), "when": date_filter(when, "Y-m-d H:i:s"), "who": event.who,
            "what": event.what, "why": event.why,
            "amount": None if event.amount is None else text.money(event.amount, currency),
            "lines": [
                {
                    "quantity": text.qty(line.quantity) if line.quantity else "", "name": line.name,
                    "amount": text.money(line.amount, currency), "tax": text.money(line.tax, currency),
                }
                for line in event.lines
            ],
        })
    return rows
