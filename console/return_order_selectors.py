"""What the order page shows of return orders and reshipments (issue 15), and their timeline entries.

Return orders with their lines, items and fees: three queries (the lines and fees only when there are
return orders). Reshipments with their items: none when no fulfillment order of the page is a reshipment's,
two otherwise.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch

from orders.models import (
    Reshipment,
    ReshipmentItem,
    ReturnOrder,
    ReturnOrderLineItem,
    ReturnOrderStatus,
)

OPEN_RETURN_ORDER_STATUSES = (ReturnOrderStatus.SUBMITTED, ReturnOrderStatus.APPROVED)


@dataclass
class ReturnLineView:
    pk: int
    name: str
    sku: str
    expected: Decimal
    received: Decimal
    returned: Decimal
    rejected: Decimal
    canceled: Decimal
    reason: str
    reason_for_rejection: str
    can_reduce_shipping: bool
    is_processed: bool
    processed_at: datetime | None
    fees: list[str]


@dataclass
class ReturnOrderView:
    pk: int
    number: str
    status: str
    is_managed: bool
    destination: str
    expected_arrival_date: datetime | None
    created_at: datetime
    actor: str
    lines: list[ReturnLineView] = field(default_factory=list)

    @property
    def can_receive(self) -> bool:
        return (
            self.is_managed
            and self.status in OPEN_RETURN_ORDER_STATUSES
            and any(not line.is_processed for line in self.lines)
        )

    @property
    def expected(self) -> Decimal:
        """Units still expected: on lines not processed yet."""
        return sum((line.expected for line in self.lines if not line.is_processed), Decimal(0))


def fee_text(fee, currency: str) -> str:
    from console.templatetags.console_tags import money_text

    if fee.amount_type in ("Percentage", "PercentageGross"):
        of = "price with tax" if fee.amount_type == "PercentageGross" else "price"
        what = f"{fee.amount.normalize():f} % of the {of}"
    else:
        tax = "with tax" if fee.amount_type == "AmountWithTax" else "before tax"
        what = f"{money_text(fee.amount, currency)} {tax}"
    return f"{fee.description or 'Fee'}: {what}"


def _actor(record) -> str:
    from console.order_page.text import actor  # the order page's naming; its queries import this module

    return actor(record)


def return_orders_of(summary) -> list[ReturnOrderView]:
    lines = ReturnOrderLineItem.objects.select_related("order_item_summary").prefetch_related("fees").order_by("id")
    orders = (
        ReturnOrder.objects.filter(order_summary=summary)
        .select_related("destination_location", "created_by", "created_by_client")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("created_at", "id")
    )
    views = []
    for order in orders:
        view = ReturnOrderView(
            pk=order.pk,
            number=order.number,
            status=order.status,
            is_managed=order.is_managed,
            destination=order.destination_location.name if order.destination_location else "",
            expected_arrival_date=order.expected_arrival_date,
            created_at=order.created_at,
            actor=_actor(order),
        )
        for line in order.lines.all():
            item = line.order_item_summary
            view.lines.append(
                ReturnLineView(
                    pk=line.pk,
                    name=item.name,
                    sku=item.sku,
                    expected=line.quantity_expected,
                    received=line.quantity_received,
                    returned=line.quantity_returned,
                    rejected=line.quantity_rejected,
                    canceled=line.quantity_canceled,
                    reason=line.reason_for_return,
                    reason_for_rejection=line.reason_for_rejection,
                    can_reduce_shipping=line.can_reduce_shipping,
                    is_processed=line.is_processed,
                    processed_at=line.processed_at,
                    fees=[fee_text(fee, summary.currency) for fee in line.fees.all()],
                )
            )
        views.append(view)
    return views


@dataclass(frozen=True)
class ReshipmentView:
    pk: int
    number: str
    created_at: datetime
    actor: str
    # (item name, units, reason, note)
    items: tuple[tuple[str, Decimal, str, str], ...]


def reshipments_of(summary, fulfillment_orders) -> list[ReshipmentView]:
    if not any(order.reshipment_id for order in fulfillment_orders):
        return []
    items = ReshipmentItem.objects.select_related("order_item_summary").order_by("id")
    found = (
        Reshipment.objects.filter(order_summary=summary)
        .select_related("created_by", "created_by_client")
        .prefetch_related(Prefetch("items", queryset=items))
        .order_by("created_at", "id")
    )
    return [
        ReshipmentView(
            pk=reshipment.pk,
            number=reshipment.number,
            created_at=reshipment.created_at,
            actor=_actor(reshipment),
            items=tuple(
                (item.order_item_summary.name, item.quantity, item.reason, item.reason_text)
                for item in reshipment.items.all()
            ),
        )
        for reshipment in found
    ]


def _units(value: Decimal) -> str:
    return f"{value.normalize():f}"


def timeline_events(return_orders: list[ReturnOrderView], reshipments: list[ReshipmentView]) -> list[dict]:
    """TimelineEvent keyword arguments (console.order_page.timeline) for the return orders and reshipments."""
    events = []
    for order in return_orders:
        expected = defaultdict(Decimal)
        receipts: dict[datetime, list[str]] = defaultdict(list)
        for line in order.lines:
            if line.is_processed and line.processed_at:
                parts = [f"{_units(line.returned)} returned"] if line.returned else []
                if line.rejected:
                    parts.append(f"{_units(line.rejected)} rejected")
                if line.canceled:
                    parts.append(f"{_units(line.canceled)} no longer expected")
                receipts[line.processed_at].append(f"{line.name}: {', '.join(parts)}")
        for line in order.lines:
            # A processed line keeps what it processed; what it still expected is on the line split from it.
            expected[line.name] += line.expected
        events.append(
            {
                "when": order.created_at,
                "who": order.actor,
                "tone": "attention",
                "what": f"Return order {order.number} created: "
                + ", ".join(f"{_units(units)} × {name}" for name, units in expected.items())
                + " expected"
                + (f" at {order.destination}" if order.destination else ""),
                "why": "; ".join(dict.fromkeys(line.reason for line in order.lines if line.reason)),
            }
        )
        for when, parts in sorted(receipts.items()):
            events.append(
                {"when": when, "what": f"Return order {order.number} received: {'; '.join(parts)}", "tone": "progress"}
            )
    for reshipment in reshipments:
        events.append(
            {
                "when": reshipment.created_at,
                "who": reshipment.actor,
                "tone": "attention",
                "what": f"Reshipment {reshipment.number} at no charge: "
                + ", ".join(f"{_units(units)} × {name}" for name, units, _, _ in reshipment.items),
                "why": "; ".join(
                    dict.fromkeys(reason + (f": {note}" if note else "") for _, _, reason, note in reshipment.items)
                ),
            }
        )
    return events
