"""Everything the order page shows, read in a fixed number of queries whatever the number of items."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404

from console.models import RefundApproval, RefundApprovalStatus
from orders.funds import FundsPosition, funds_position
from orders.models import (
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    ItemType,
    Order,
    OrderDeliveryGroupSummary,
    OrderItem,
    OrderItemSummary,
    OrderItemSummaryChange,
    OrderKind,
    OrderSummary,
    ProcessException,
)
from payments.models import (
    BackgroundOperation,
    CreditMemo,
    Invoice,
    OrderPaymentSummary,
    PaymentGatewayLog,
    Refund,
)


@dataclass
class DeliveryGroupView:
    group: OrderDeliveryGroupSummary
    items: list[OrderItemSummary] = field(default_factory=list)
    fulfillment_orders: list[FulfillmentOrder] = field(default_factory=list)

    @property
    def has_unplaced_units(self) -> bool:
        return any(item.type == ItemType.PRODUCT and item.quantity_available_to_fulfill > 0 for item in self.items)


@dataclass
class PaymentSummaryView:
    payment_summary: OrderPaymentSummary
    gateway_logs: list[PaymentGatewayLog] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)


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


@dataclass
class OrderPage:
    summary: OrderSummary
    items: list[OrderItemSummary]
    delivery_groups: list[DeliveryGroupView]
    funds: FundsPosition
    invoices: list[Invoice]
    credit_memos: list[CreditMemo]
    payment_summaries: list[PaymentSummaryView]
    unlinked_gateway_logs: list[PaymentGatewayLog]
    operations: list[BackgroundOperation]
    process_exceptions: list[ProcessException]
    timeline: list[TimelineEvent]
    refund_approvals: list[RefundApproval] = field(default_factory=list)

    @property
    def pending_approvals(self) -> list[RefundApproval]:
        return [approval for approval in self.refund_approvals if approval.status == RefundApprovalStatus.PENDING]

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
    def products(self) -> list[OrderItemSummary]:
        return [item for item in self.items if item.type == ItemType.PRODUCT]

    @property
    def active_exceptions(self) -> list[ProcessException]:
        return [exception for exception in self.process_exceptions if exception.is_active]

    @property
    def operations_running(self) -> bool:
        return any(not operation.is_final for operation in self.operations)

    @property
    def can_cancel(self) -> bool:
        return self.summary.is_managed and any(item.quantity_available_to_cancel > 0 for item in self.products)

    @property
    def can_return(self) -> bool:
        return self.summary.is_managed and any(item.quantity_available_to_return > 0 for item in self.products)

    @property
    def can_adjust(self) -> bool:
        return self.summary.is_managed and any(
            item.quantity > 0 and item.total_price > 0 for item in self.products
        )


def operations_for(summary_id: int) -> list[BackgroundOperation]:
    """Newest first: what the polling fragment shows."""
    return list(
        BackgroundOperation.objects.filter(order_summary_id=summary_id)
        .select_related("created_by", "created_by_client")
        .order_by("-submitted_at", "-id")
    )


def order_page(summary_id: int) -> OrderPage:
    summary = get_object_or_404(OrderSummary.objects.select_related("sales_channel"), pk=summary_id)
    items = list(OrderItemSummary.objects.filter(order_summary=summary).order_by("line_number", "id"))
    groups = list(OrderDeliveryGroupSummary.objects.filter(order_summary=summary).order_by("id"))
    fulfillment_orders = list(
        FulfillmentOrder.objects.filter(order_summary=summary)
        .select_related("location", "created_by", "created_by_client")
        .prefetch_related(Prefetch("lines", queryset=FulfillmentOrderLineItem.objects.order_by("id")))
        .order_by("created_at", "id")
    )
    group_views = {group.pk: DeliveryGroupView(group=group) for group in groups}
    for item in items:
        # The page already holds the summary: spare every item a query for its currency.
        item.order_summary = summary
        group_views[item.delivery_group_summary_id].items.append(item)
    for fulfillment_order in fulfillment_orders:
        group_views[fulfillment_order.delivery_group_summary_id].fulfillment_orders.append(fulfillment_order)

    payment_summaries = list(OrderPaymentSummary.objects.filter(order_summary=summary).order_by("created_at", "id"))
    logs = list(
        PaymentGatewayLog.objects.filter(
            Q(order_payment_summary__order_summary=summary) | Q(authorization__order_id=summary.original_order_id)
        ).order_by("initiated_at", "id")
    )
    refunds = list(
        Refund.objects.filter(order_payment_summary__order_summary=summary).select_related("credit_memo")
        .order_by("created_at", "id")
    )
    logs_by_ops = defaultdict(list)
    for log in logs:
        logs_by_ops[log.order_payment_summary_id].append(log)
    refunds_by_ops = defaultdict(list)
    for refund in refunds:
        refunds_by_ops[refund.order_payment_summary_id].append(refund)
    payment_views = [
        PaymentSummaryView(ops, gateway_logs=logs_by_ops.get(ops.pk, []), refunds=refunds_by_ops.get(ops.pk, []))
        for ops in payment_summaries
    ]

    invoices = list(
        Invoice.objects.filter(order_summary=summary).select_related("fulfillment_order").order_by("created_at", "id")
    )
    credit_memos = list(CreditMemo.objects.filter(order_summary=summary).order_by("created_at", "id"))
    operations = operations_for(summary.pk)
    process_exceptions = list(ProcessException.objects.filter(order_summary=summary).order_by("-created_at", "-id"))
    change_orders = list(
        Order.objects.filter(order_summary=summary, kind=OrderKind.CHANGE)
        .select_related("created_by", "created_by_client")
        .prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.order_by("line_number", "id")),
            Prefetch("item_summary_changes", queryset=OrderItemSummaryChange.objects.order_by("id")),
        )
        .order_by("created_at", "id")
    )

    approvals = list(
        RefundApproval.objects.filter(order_summary=summary).select_related("requested_by", "decided_by")
        .order_by("-created_at", "-id")
    )
    return OrderPage(
        refund_approvals=approvals,
        summary=summary,
        items=items,
        delivery_groups=list(group_views.values()),
        funds=funds_position(summary),
        invoices=invoices,
        credit_memos=credit_memos,
        payment_summaries=payment_views,
        unlinked_gateway_logs=logs_by_ops.get(None, []),
        operations=operations,
        process_exceptions=process_exceptions,
        timeline=build_timeline(summary, change_orders, fulfillment_orders, invoices, credit_memos, refunds,
                                operations, process_exceptions, approvals),
    )


def _actor(record) -> str:
    if getattr(record, "created_by_id", None):
        return record.created_by.get_username()
    if getattr(record, "created_by_client_id", None):
        return f"API: {record.created_by_client.name}"
    return "System"


def _change_lines(change_order: Order) -> tuple[TimelineLine, ...]:
    """Signed deltas as stored: a cancel of one unit at 40.00 reads −1 and −40.00."""
    return tuple(
        TimelineLine(
            name=change_item.name,
            quantity=change_item.quantity,
            amount=change_item.line_amount + change_item.adjustment_amount,
            tax=change_item.line_tax_amount + change_item.adjustment_tax_amount,
        )
        for change_item in change_order.items.all()
    )


def build_timeline(summary, change_orders, fulfillment_orders, invoices, credit_memos, refunds, operations,
                   process_exceptions, approvals=()) -> list[TimelineEvent]:
    """Every recorded change to the order, oldest first, from the records already loaded."""
    events = [TimelineEvent(when=summary.ordered_date, what="Order placed", who=summary.sales_channel.name,
                            tone="progress")]
    for change_order in change_orders:
        reason_texts = sorted({c.reason_text for c in change_order.item_summary_changes.all() if c.reason_text})
        phase = f" ({change_order.fulfillment_phase}-fulfillment)" if change_order.fulfillment_phase else ""
        why = change_order.reason + (f": {'; '.join(reason_texts)}" if reason_texts else "")
        events.append(TimelineEvent(
            when=change_order.created_at, what=f"{change_order.change_type}{phase}", who=_actor(change_order),
            why=why, amount=change_order.grand_total_amount, lines=_change_lines(change_order), tone="attention",
        ))
    for fulfillment_order in fulfillment_orders:
        events.append(TimelineEvent(
            when=fulfillment_order.created_at, who=_actor(fulfillment_order), tone="progress",
            what=f"{fulfillment_order.number} created at {fulfillment_order.location.name}",
            amount=fulfillment_order.grand_total_amount,
        ))
        for moment, label, tone in (
            (fulfillment_order.fulfilled_at, "fulfilled", "good"),
            (fulfillment_order.canceled_at, "cancelled", "muted"),
            (fulfillment_order.rejected_at, "rejected", "bad"),
        ):
            if moment:
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
        events.append(TimelineEvent(
            when=approval.created_at, what="Refund above the agent limit sent for approval",
            who=approval.requested_by.get_username() if approval.requested_by else "", amount=approval.amount,
            tone="attention",
        ))
        if approval.decided_at:
            events.append(TimelineEvent(
                when=approval.decided_at, what=f"Refund {approval.status.lower()}",
                who=approval.decided_by.get_username() if approval.decided_by else "", amount=approval.amount,
                tone="good" if approval.status == RefundApprovalStatus.APPROVED else "muted",
            ))
    for exception in process_exceptions:
        events.append(TimelineEvent(
            when=exception.created_at, what=f"Process exception: {exception.category}", why=exception.message,
            tone="bad",
        ))
    events.sort(key=lambda event: event.when)
    return events
