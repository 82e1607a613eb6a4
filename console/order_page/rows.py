"""The order page's view models: what the template prints, shaped from the rows the queries read.

The long tables (items, fulfillment order lines) are plain rows of text, each distinct figure formatted
once (console.order_page.text.FigureText) and already escaped, so a page of 200 lines costs little more
than printing them.
"""

from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils.html import conditional_escape

from console.order_page.text import NOTHING, SKU_SEPARATOR, FigureText, held_note, rejected_note
from orders.funds import FundsPosition
from orders.item_rules import may_adjust, may_cancel, may_reship, may_return
from orders.models import (
    Exchange,
    FulfillmentOrderLineItem,
    ItemType,
    OrderDeliveryGroupSummary,
    OrderHold,
    OrderItemSummary,
    OrderSummary,
    ProcessException,
)
from payments.models import (
    AgentRefund,
    AgentRefundStatus,
    BackgroundOperation,
    OrderPaymentSummary,
    PaymentGatewayLog,
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
    # Rows of text (line_row): name, sku, original_quantity, canceled, quantity, shipped, total_price, tax;
    # and for the cancel form pk, cancelable (units left on a product line) and quantity_input.
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
    pk: int = 0  # the row id (the page reads it to know which memo a pending refund holds)


@dataclass
class OrderPage:
    summary: OrderSummary
    # Rows of text, one per item, in line order (see item_rows).
    items: list[dict]
    delivery_groups: list[DeliveryGroupView]
    funds: FundsPosition
    invoices: list[Document]
    credit_memos: list[Document]
    payment_summaries: list[PaymentSummaryView]
    unlinked_gateway_logs: list[PaymentGatewayLog]
    operations: list[BackgroundOperation]
    process_exceptions: list[ProcessException]
    # Rows of text, oldest first (see console.order_page.timeline.timeline_rows).
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
        memos = [(memo.pk, memo.balance) for memo in self.credit_memos]
        credit, excess, _ = remaining_amounts(self.funds, memos, self.pending_approvals, self.summary.currency)
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


ITEM_FIELDS = (
    "delivery_group_summary_id",
    "line_number",
    "type",
    "sku",
    "name",
    "status",
    "tax_locale_type",
    "quantity_ordered",
    "quantity_canceled",
    "quantity_allocated",
    "quantity_fulfilled",
    "quantity_return_initiated",
    "quantity_returned",
    "quantity_reshipped",
    "unit_price",
    "total_line_amount",
    "total_line_tax_amount",
    "total_adjustment_amount",
    "total_adjustment_tax_amount",
)


class Item(namedtuple("_ItemColumns", ITEM_FIELDS)):
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
class ItemFacts:
    """What the order's actions and its delivery groups need to know of the items."""

    can_cancel: bool = False
    can_return: bool = False
    can_reship: bool = False
    can_adjust: bool = False
    count_by_group: dict = field(default_factory=lambda: defaultdict(int))
    unplaced_groups: set = field(default_factory=set)


def item_rows(items, currency: str, text: FigureText) -> tuple[list[dict], ItemFacts]:
    """The items (Item tuples, in line order) as rows of text for the items table, and what the page's
    actions need to know of them."""
    facts = ItemFacts()
    rows = []
    for item in items:
        sku = conditional_escape(item.sku)
        facts.count_by_group[item.delivery_group_summary_id] += 1
        if item.type == ItemType.PRODUCT and item.quantity_available_to_fulfill > 0:
            facts.unplaced_groups.add(item.delivery_group_summary_id)
        # The wizards offer an item by the same rules (orders/item_rules.py): a delivery charge may be canceled
        # or discounted on its own.
        facts.can_cancel = facts.can_cancel or may_cancel(item)
        facts.can_return = facts.can_return or may_return(item)
        facts.can_reship = facts.can_reship or may_reship(item)
        facts.can_adjust = facts.can_adjust or may_adjust(item)
        rows.append(
            {
                # Escaped text, as the template would print it (a number with no thousands separator).
                "line_number": conditional_escape(item.line_number),
                "name": conditional_escape(item.name),
                "sku": sku,
                "sku_prefix": sku + SKU_SEPARATOR if sku else sku,
                "type": text.word(item.type),
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
            }
        )
    return rows, facts


LINE_ATTRIBUTES = (
    "pk",
    "type",
    "sku",
    "name",
    "original_quantity",
    "quantity",
    "quantity_shipped",
    "total_line_amount",
    "total_line_tax_amount",
    "total_adjustment_amount",
    "total_adjustment_tax_amount",
    "quantity_rejected",
    "rejection_reason",
)


class Line(namedtuple("_LineColumns", LINE_ATTRIBUTES)):
    """One fulfillment order line's stored columns; its canceled units, total price and tax are
    FulfillmentOrderLineItem's own properties."""

    __slots__ = ()
    quantity_canceled = FulfillmentOrderLineItem.quantity_canceled
    total_price = FulfillmentOrderLineItem.total_price
    total_tax_amount = FulfillmentOrderLineItem.total_tax_amount


def line_row(line: Line, currency: str, text: FigureText) -> dict:
    """A fulfillment order line as a row of text for its table and the cancel-lines form."""
    return {
        "pk": line.pk,
        "name": conditional_escape(line.name),
        "sku": conditional_escape(line.sku),
        "original_quantity": text.qty(line.original_quantity),
        "quantity_canceled": text.qty(line.quantity_canceled),
        "quantity": text.qty(line.quantity),
        "quantity_shipped": text.qty(line.quantity_shipped),
        "total_price": text.money(line.total_price, currency),
        "total_tax_amount": text.money(line.total_tax_amount, currency),
        # The cancel form offers the units left on product lines.
        "cancelable": bool(line.quantity) and line.type == ItemType.PRODUCT,
        "quantity_input": text.qty_input(line.quantity),
        "rejected": rejected_note(line.quantity_rejected, line.rejection_reason, text),
        "held": NOTHING,  # filled in by mark_held_lines once the holds are read
    }


def mark_held_lines(fulfillment_orders: list[FulfillmentOrderView], holds: list[OrderHold]) -> None:
    held = {hold.fulfillment_order_line_id: hold for hold in holds if hold.is_active and hold.fulfillment_order_line_id}
    if not held:
        return
    for view in fulfillment_orders:
        for line in view.lines:
            hold = held.get(line["pk"])
            if hold is not None:
                line["held"] = held_note(hold.reason)
