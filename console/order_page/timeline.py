"""The order page's timeline: every recorded change to the order, oldest first, made from the records the
queries already read (no query of its own), then printed as rows of text."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.template.defaultfilters import date as date_filter
from django.utils.timezone import template_localtime

from console.order_page.text import FigureText, actor
from console.templatetags.console_tags import money_text
from orders.models import (
    STATUS_CATEGORY,
    ExchangeStatus,
    FulfillmentMoveKind,
    FulfillmentOrder,
    FulfillmentOrderStatusCategory,
)
from payments.models import AgentRefundStatus


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


def _money_extra(exchange) -> str:
    return (
        f"; {money_text(exchange.amount_to_charge, exchange.currency)} more charged at shipment"
        if exchange.amount_to_charge
        else f"; {money_text(exchange.amount_to_refund, exchange.currency)} refunded"
        if exchange.amount_to_refund
        else "; nothing charged or refunded"
    )


def _exchange_events(summary, exchanges) -> list[TimelineEvent]:
    events = []
    for exchange in exchanges:
        original = exchange.original_summary_id == summary.pk
        number = exchange.exchange_summary.order_number if original else exchange.original_summary.order_number
        return_number = exchange.return_order_number
        if exchange.hold_until_returned:
            # Created waiting for the return order; completed or canceled at its receipt.
            events.append(
                TimelineEvent(
                    when=exchange.created_at,
                    who=actor(exchange),
                    why=exchange.reason,
                    tone="attention",
                    what=(
                        f"Exchange: replacement order {number} created, waiting for the return {return_number}"
                        if original
                        else f"Created by an exchange on order {number}: waiting for the return {return_number}"
                    ),
                    amount=exchange.replacement_total if exchange.status != ExchangeStatus.CANCELED else None,
                )
            )
            if exchange.status == ExchangeStatus.COMPLETED and exchange.completed_at:
                events.append(
                    TimelineEvent(
                        when=exchange.completed_at,
                        who="System",
                        why=exchange.reason,
                        tone="progress",
                        what=(
                            f"Exchange completed: the return {return_number} was received, replacement order {number} "
                            "released" + _money_extra(exchange)
                        )
                        if original
                        else (
                            f"Released: the return {return_number} was received; "
                            f"{money_text(exchange.transferred_amount, exchange.currency)} paid by the returned units"
                        ),
                        amount=exchange.replacement_total,
                    )
                )
            elif exchange.status == ExchangeStatus.CANCELED and exchange.completed_at:
                events.append(
                    TimelineEvent(
                        when=exchange.completed_at,
                        who="System",
                        why=exchange.reason,
                        tone="attention",
                        what=f"Exchange canceled: nothing came back on the return {return_number}; "
                        + (f"replacement order {number} canceled" if original else "this order is canceled")
                        + ", nothing charged",
                    )
                )
        elif original:
            events.append(
                TimelineEvent(
                    when=exchange.created_at,
                    who=actor(exchange),
                    why=exchange.reason,
                    tone="attention",
                    what=f"Exchange: replacement order {number} created" + _money_extra(exchange),
                    amount=exchange.replacement_total,
                )
            )
        else:
            events.append(
                TimelineEvent(
                    when=exchange.created_at,
                    who=actor(exchange),
                    why=exchange.reason,
                    tone="progress",
                    what=f"Created by an exchange on order {number}: "
                    f"{money_text(exchange.transferred_amount, exchange.currency)} paid by the returned units",
                    amount=exchange.replacement_total,
                )
            )
    return events


def build_timeline(
    summary,
    change_orders,
    fulfillment_orders,
    invoices,
    credit_memos,
    refunds,
    operations,
    process_exceptions,
    approvals=(),
    holds=(),
    exchanges=(),
    moves=(),
) -> list[TimelineEvent]:
    """Every recorded change to the order, oldest first, from the records already loaded."""
    events = [
        TimelineEvent(when=summary.ordered_date, what="Order placed", who=summary.sales_channel.name, tone="progress")
    ]
    events += _exchange_events(summary, exchanges)
    for change_order in change_orders:
        reason_texts = sorted(change_order.reason_texts)
        phase = f" ({change_order.fulfillment_phase}-fulfillment)" if change_order.fulfillment_phase else ""
        why = change_order.reason + (f": {'; '.join(reason_texts)}" if reason_texts else "")
        events.append(
            TimelineEvent(
                when=change_order.created_at,
                what=f"{change_order.change_type}{phase}",
                who=change_order.actor,
                why=why,
                amount=change_order.grand_total_amount,
                lines=tuple(change_order.lines),
                tone="attention",
            )
        )
    for fulfillment_order in fulfillment_orders:
        reship = " to reship units at no charge" if fulfillment_order.reshipment_id else ""
        events.append(
            TimelineEvent(
                when=fulfillment_order.created_at,
                who=fulfillment_order.actor,
                tone="progress",
                what=f"{fulfillment_order.number} created at {fulfillment_order.location_name}{reship}",
                amount=fulfillment_order.grand_total_amount,
            )
        )
        for shipment in fulfillment_order.shipments:
            carrier = " ".join(part for part in (shipment.carrier, shipment.service) if part)
            tracking = f"tracking {shipment.tracking_number}" if shipment.tracking_number else ""
            details = ", ".join(part for part in (f"with {carrier}" if carrier else "", tracking) if part)
            events.append(
                TimelineEvent(
                    when=shipment.shipped_at,
                    who=shipment.actor,
                    tone="progress",
                    what=f"{shipment.number} of {fulfillment_order.number} shipped{' ' + details if details else ''}: "
                    f"{shipment.units}",
                )
            )
            if shipment.delivered_at:
                events.append(
                    TimelineEvent(when=shipment.delivered_at, what=f"{shipment.number} delivered", tone="good")
                )
        recorded = {
            STATUS_CATEGORY[move.to_status]
            for move in moves
            if move.fulfillment_order_id == fulfillment_order.pk and move.kind == FulfillmentMoveKind.STATUS
        }
        # Moves made before they were recorded (or by a path that records none) still show, without who.
        for moment, label, tone, category in (
            (fulfillment_order.fulfilled_at, "fulfilled", "good", FulfillmentOrderStatusCategory.CLOSED),
            (fulfillment_order.canceled_at, "cancelled", "muted", FulfillmentOrderStatusCategory.CANCELLED),
            (fulfillment_order.rejected_at, "rejected", "bad", FulfillmentOrderStatusCategory.REJECTED),
        ):
            if moment and category not in recorded:
                events.append(TimelineEvent(when=moment, what=f"{fulfillment_order.number} {label}", tone=tone))
    for invoice in invoices:
        events.append(
            TimelineEvent(
                when=invoice.created_at,
                what=f"Invoice {invoice.number} posted",
                amount=invoice.total_amount_with_tax,
                tone="progress",
            )
        )
    for memo in credit_memos:
        events.append(
            TimelineEvent(
                when=memo.created_at,
                what=f"Credit memo {memo.number} posted",
                amount=memo.total_amount_with_tax,
                tone="attention",
            )
        )
    for refund in refunds:
        events.append(
            TimelineEvent(
                when=refund.processed_at or refund.created_at,
                what=f"Refund {refund.status.lower()}",
                amount=refund.amount,
                tone="good" if refund.status == "Processed" else "progress",
            )
        )
    for operation in operations:
        if operation.finished_at:
            events.append(
                TimelineEvent(
                    when=operation.finished_at,
                    what=f"{operation.type} {operation.status.lower()}",
                    who=actor(operation),
                    tone="good" if operation.status == "Complete" else "bad",
                )
            )
    for approval in approvals:
        asked_by = (
            approval.requested_by.get_username()
            if approval.requested_by
            else f"API: {approval.requested_by_client.name}"
            if approval.requested_by_client
            else ""
        )
        if approval.status == AgentRefundStatus.RELEASED:
            events.append(
                TimelineEvent(
                    when=approval.created_at,
                    what=f"Refund started ({approval.get_kind_display()})",
                    who=asked_by,
                    why=approval.reason,
                    amount=approval.amount,
                    tone="progress",
                )
            )
            continue
        events.append(
            TimelineEvent(
                when=approval.created_at,
                what="Refund above the agent limit sent for approval",
                who=asked_by,
                why=approval.reason,
                amount=approval.amount,
                tone="attention",
            )
        )
        if approval.decided_at:
            events.append(
                TimelineEvent(
                    when=approval.decided_at,
                    what=f"Refund {approval.status.lower()}",
                    who=approval.decided_by.get_username() if approval.decided_by else "",
                    amount=approval.amount,
                    why=approval.decline_reason,
                    tone="good" if approval.status == AgentRefundStatus.APPROVED else "muted",
                )
            )
    events += _hold_events(holds)
    events += _move_events(moves)
    for exception in process_exceptions:
        events.append(
            TimelineEvent(
                when=exception.created_at,
                what=f"Process exception: {exception.category}",
                why=exception.message,
                tone="bad",
            )
        )
    events.sort(key=lambda event: event.when)
    return events


_FINAL_LABELS = {
    FulfillmentOrderStatusCategory.CLOSED: "fulfilled",
    FulfillmentOrderStatusCategory.CANCELLED: "cancelled",
    FulfillmentOrderStatusCategory.REJECTED: "rejected",
}
_MOVE_TONES = {
    FulfillmentOrderStatusCategory.CLOSED: "good",
    FulfillmentOrderStatusCategory.CANCELLED: "muted",
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
            what = (
                f"{number} {_FINAL_LABELS[category]}"
                if category in _FINAL_LABELS
                else f"{number} moved from {move.from_status} to {move.to_status}"
            )
            tone = _MOVE_TONES.get(category, "progress")
        events.append(
            TimelineEvent(
                when=move.created_at, what=what, who=actor(move), why=move.reason, amount=move.amount, tone=tone
            )
        )
    return events


def _hold_events(holds) -> list[TimelineEvent]:
    """A hold and its release, each with who and when (OrderHold keeps both)."""
    events = []
    for hold in holds:
        line = hold.fulfillment_order_line
        what = (
            f"{line.name} on {FulfillmentOrder(pk=line.fulfillment_order_id).number}"
            if line is not None
            else "The whole order"
        )
        events.append(
            TimelineEvent(
                when=hold.held_at, what=f"On hold: {what}", who=hold.held_by_name, why=hold.reason, tone="attention"
            )
        )
        if hold.released_at:
            events.append(
                TimelineEvent(
                    when=hold.released_at,
                    what=f"Hold released: {what}",
                    who=hold.released_by_name,
                    why=hold.release_note,
                    tone="progress",
                )
            )
    return events


def timeline_rows(events: list[TimelineEvent], currency: str, text: FigureText) -> list[dict]:
    """The timeline as rows of text: the times as the template's `date` filter prints them (in the current
    time zone), amounts in the order's currency, a line's quantity only when it is not zero."""
    rows = []
    for event in events:
        when = template_localtime(event.when)
        rows.append(
            {
                "when_iso": date_filter(when, "c"),
                "when": date_filter(when, "Y-m-d H:i:s"),
                "who": event.who,
                "what": event.what,
                "why": event.why,
                "amount": None if event.amount is None else text.money(event.amount, currency),
                "lines": [
                    {
                        "quantity": text.qty(line.quantity) if line.quantity else "",
                        "name": line.name,
                        "amount": text.money(line.amount, currency),
                        "tax": text.money(line.tax, currency),
                    }
                    for line in event.lines
                ],
            }
        )
    return rows
