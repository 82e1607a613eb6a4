"""An exchange that waits for its return order (holdReplacementUntilReturned, issue 15): what the receipt does.

Called by return_items (orders.services.return_orders) in its transaction, the original summary, its items and
the return order locked, once the lines are processed. The exchange stays waiting while the return order
still expects units (a receipt in parts). When nothing more is expected (the return order Closed or Canceled):

- some units came back in good condition (returned): the exchange completes on what they are worth — V is the
  grand total of the Return change orders the receipts wrote, rejected and canceled units credit nothing, as on
  any return order — with the same calculation as an immediate exchange (orders.calculations.exchange); the
  money moves through the payments app (the payments link's fund_exchange: credit memo, credit moved,
  difference authorized or refunded), then the replacement's hold is released and it is routed;
- nothing came back (every unit rejected or canceled): the replacement is canceled; nothing moved, nothing is
  charged or refunded.

The receipt's person (or client) is recorded on the hold's release and the cancel; the refund of a cheaper
replacement goes through the agent refund limit of the exchange's author (payments.services.exchange_funds).
"""

from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import Sum
from django.utils import timezone

from orders.calculations.exchange import exchange_amounts
from orders.calculations.inputs import CancelOrderInput
from orders.funds import funds_position
from orders.models import (
    ApiClient,
    Exchange,
    ExchangeStatus,
    Order,
    OrderHold,
    OrderSummary,
    ReturnOrder,
    ReturnOrderLineItem,
    ReturnOrderStatus,
)
from orders.money import ZERO
from orders.payments_link import payments_link

DONE = (ReturnOrderStatus.CLOSED, ReturnOrderStatus.CANCELED)


def return_change_order_ids(return_order_id: int) -> list[int]:
    """The Return change orders the return order's receipts wrote, oldest first."""
    return sorted(
        set(
            ReturnOrderLineItem.objects.filter(
                return_order_id=return_order_id,
                change_order_item__isnull=False,
            ).values_list("change_order_item__order_id", flat=True)
        )
    )


def return_order_processed(
    return_order: ReturnOrder, summary: OrderSummary, *, actor: User | ApiClient | None = None
) -> Exchange | None:
    """Complete or cancel the exchange waiting for `return_order` once it expects nothing more."""
    exchange = (
        Exchange.objects.select_for_update(of=("self",))
        .select_related("exchange_summary")
        .filter(return_order=return_order, status=ExchangeStatus.AWAITING_RETURN)
        .first()
    )
    if exchange is None or return_order.status not in DONE:
        return None
    change_ids = return_change_order_ids(return_order.pk)
    returned_value = -(
        Order.objects.filter(pk__in=change_ids).aggregate(total=Sum("grand_total_amount"))["total"] or ZERO
    )
    if returned_value <= 0:
        _cancel(exchange, actor)
        return exchange
    position = funds_position(summary)
    refundable = min(position.total_refundable_amount, position.net_captured)
    amounts = exchange_amounts(Decimal(returned_value), refundable, exchange.replacement_total, summary.currency)
    exchange.returned_value = amounts.returned_value
    exchange.transferred_amount = amounts.transferred
    exchange.amount_to_charge = amounts.to_charge
    exchange.amount_to_refund = amounts.to_refund
    exchange.return_change_order_id = change_ids[0]
    exchange.status = ExchangeStatus.COMPLETED
    exchange.completed_at = timezone.now()
    exchange.save(
        update_fields=[
            "returned_value",
            "transferred_amount",
            "amount_to_charge",
            "amount_to_refund",
            "return_change_order",
            "status",
            "completed_at",
        ]
    )
    ready = payments_link().fund_exchange(exchange)
    if ready is not False:
        _release(exchange, actor, f"The return {return_order.number} was received.")
    return exchange


def _release(exchange: Exchange, actor: User | ApiClient | None, note: str, *, rules: bool = True) -> None:
    from orders.services.holds import apply_hold_rules, release_holds

    if OrderHold.objects.filter(
        order_summary_id=exchange.exchange_summary_id, fulfillment_order_line__isnull=True, released_at__isnull=True
    ).exists():
        release_holds(exchange.exchange_summary_id, note=note, actor=actor)
    if rules:
        # A hold rule the waiting hold kept from applying at creation applies now (the routing task checks it).
        apply_hold_rules(exchange.exchange_summary)


def _cancel(exchange: Exchange, actor: User | ApiClient | None) -> None:
    """Nothing came back: the replacement is canceled whole, before anything was routed, paid or charged."""
    from orders.services.cancel_order import submit_cancel_order

    exchange.status = ExchangeStatus.CANCELED
    exchange.returned_value = exchange.replacement_total = ZERO
    exchange.transferred_amount = exchange.amount_to_charge = exchange.amount_to_refund = ZERO
    exchange.completed_at = timezone.now()
    exchange.save(
        update_fields=[
            "status",
            "returned_value",
            "replacement_total",
            "transferred_amount",
            "amount_to_charge",
            "amount_to_refund",
            "completed_at",
        ]
    )
    submit_cancel_order(
        exchange.exchange_summary_id,
        CancelOrderInput(
            reason=exchange.reason or "Unknown",
            reason_text=f"Nothing came back on the return {exchange.return_order}: the exchange is canceled."[:255],
        ),
        actor=actor,
    )
    _release(exchange, actor, "The exchange was canceled: nothing came back.", rules=False)
