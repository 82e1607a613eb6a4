"""What happens to a demo order after it is placed, each step through the service that the API, the
console or a background task calls for it: routing, a warehouse moving its fulfillment orders, billing
and capture, an agent's change with its refund, a return order received in parts.

The money steps the automation would queue (DOMAIN.md §4.3) are called here directly, in order: each
story runs in one transaction, where anything queued after commit would only run once the story ends.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

from console.consequence import describe
from console.models import RefundApproval
from console.services import refund_after_change
from orders.calculations.inputs import AdjustInput, ChangeItemInput
from orders.funds import funds_position
from orders.models import (
    ChangeType,
    FulfillmentOrder,
    FulfillmentOrderStatus,
    FulfillmentOrderStatusCategory,
    ItemType,
    Order,
    OrderItemSummary,
    OrderSummary,
    ReturnOrder,
)
from orders.services.adjust import preview_adjust, submit_adjust
from orders.services.cancel import preview_cancel, submit_cancel
from orders.services.change_orders import ChangeResult
from orders.services.fulfillment_cancel import LineToCancel, cancel_fulfillment_order_items
from orders.services.fulfillment_routing import RoutingOutcome, route_order_summary
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.return_orders import (
    ReturnItemInput,
    ReturnItemsResult,
    ReturnOrderInput,
    ReturnOrderLineInput,
    create_return_order,
    return_items,
)
from orders.services.returns import preview_return, submit_return
from payments.models import OrderPaymentSummary, Payment, PaymentStatus, Refund, RefundStatus
from payments.services import automation as money
from payments.services.background_operations import run_operation, submit_ensure_refunds
from payments.services.change_invoice_create import create_invoice_from_change_orders
from payments.services.credit_memo_create import create_credit_memo
from payments.services.movements import CAPTURE, REFUND, reconcile_movement

CANCEL, RETURN, ADJUST = "cancel", "return", "adjust"
_PREVIEW = {CANCEL: preview_cancel, RETURN: preview_return, ADJUST: preview_adjust}
_SUBMIT = {CANCEL: submit_cancel, RETURN: submit_return, ADJUST: submit_adjust}


@dataclass(frozen=True)
class Staff:
    agent: object
    supervisor: object


# --- Reading what a step needs ---------------------------------------------------------------------------


def products(summary_id: int) -> list[OrderItemSummary]:
    return list(OrderItemSummary.objects.filter(order_summary_id=summary_id, type=ItemType.PRODUCT).order_by("id"))


def fulfillment_orders(summary_id: int, *, group: int | None = None) -> list[FulfillmentOrder]:
    """The summary's live fulfillment orders, of its `group`-th delivery group (0-based) when given."""
    orders = FulfillmentOrder.objects.filter(order_summary_id=summary_id).exclude(
        status_category__in=(FulfillmentOrderStatusCategory.CANCELLED, FulfillmentOrderStatusCategory.REJECTED)
    ).order_by("id")
    if group is not None:
        group_ids = list(OrderSummary.objects.get(pk=summary_id).delivery_group_summaries.order_by("id")
                         .values_list("pk", flat=True))
        orders = orders.filter(delivery_group_summary_id=group_ids[group])
    return list(orders)


# --- Fulfillment ------------------------------------------------------------------------------------------


def route(summary_id: int) -> RoutingOutcome:
    """What the routing task does for a new order: fewest splits, nearest first."""
    return route_order_summary(summary_id)


def advance(summary_id: int, status: str, *, group: int | None = None) -> None:
    for fulfillment_order in fulfillment_orders(summary_id, group=group):
        change_fulfillment_order_status(fulfillment_order.pk, status)


def ship(summary_id: int, *, group: int | None = None) -> None:
    """The warehouse picks, packs and ships; each shipped fulfillment order is invoiced and paid."""
    for fulfillment_order in fulfillment_orders(summary_id, group=group):
        if fulfillment_order.status_category == FulfillmentOrderStatusCategory.CLOSED:
            continue
        # Straight to Fulfilled (a forward move may skip steps): the statuses between leave no trace.
        change_fulfillment_order_status(fulfillment_order.pk, FulfillmentOrderStatus.FULFILLED)
        money.invoice_and_capture(fulfillment_order.pk, summary_id)
    settle_unanswered(summary_id)


def cancel_on_fulfillment_order(summary_id: int, sku: str, quantity) -> None:
    """The location cannot ship some units (found damaged on the shelf): it cancels them on its order."""
    for fulfillment_order in fulfillment_orders(summary_id):
        line = fulfillment_order.lines.filter(sku=sku, quantity__gte=quantity).order_by("id").first()
        if line is not None:
            cancel_fulfillment_order_items(fulfillment_order.pk, [LineToCancel(line.pk, quantity)])
            return
    raise LookupError(f"No fulfillment order of summary {summary_id} holds {quantity} × {sku}.")


# --- Money ------------------------------------------------------------------------------------------------


def settle_unanswered(summary_id: int) -> None:
    """Captures and refunds whose gateway answer was lost are asked about again, as the beat sweep would."""
    captures = Payment.objects.filter(order_payment_summary__order_summary_id=summary_id,
                                      status=PaymentStatus.PENDING).exclude(idempotency_key=None)
    refunds = Refund.objects.filter(order_payment_summary__order_summary_id=summary_id, status=RefundStatus.PENDING)
    for pk in captures.order_by("id").values_list("pk", flat=True):
        reconcile_movement(CAPTURE, pk)
    for pk in refunds.order_by("id").values_list("pk", flat=True):
        reconcile_movement(REFUND, pk)


def refund_for_changes(summary_id: int, change_order_ids: Sequence[int]) -> None:
    """What the console starts after a change: returns and post-fulfillment discounts get a credit memo
    that is refunded; cancels and earlier discounts give back captured funds now in excess."""
    orders = list(Order.objects.filter(pk__in=change_order_ids).order_by("id"))
    owed_back = [order.pk for order in orders if order.is_post_fulfillment_reduction and order.grand_total_amount < 0]
    if owed_back:
        money.credit_and_refund(summary_id, owed_back)
    if any(order.change_type != ChangeType.FEE and not order.is_post_fulfillment_reduction for order in orders):
        money.refund_excess(summary_id)
    settle_unanswered(summary_id)


def _change_order_ids(result: ChangeResult) -> list[int]:
    ids = [pk for _, pk in result.change_orders]
    return [*ids, result.fee_change_order_id] if result.fee_change_order_id else ids


def console_change(summary_id: int, kind: str, request: list[ChangeItemInput] | AdjustInput, staff: Staff, *,
                   as_agent: bool = False) -> ChangeResult:
    """A change made in the console's wizard: preview, its money consequence, submit at the previewed
    version, then the refund, which waits for a supervisor when above the agent limit.

    The agent makes the change unless the refund is above the agent limit, in which case the supervisor
    does, as a team would; `as_agent` keeps the agent on it so that the refund waits for approval.
    """
    summary = OrderSummary.objects.get(pk=summary_id)
    preview = _PREVIEW[kind](summary_id, request)
    consequence = describe(
        summary, preview.balances, funds_position(summary),
        list(OrderPaymentSummary.objects.filter(order_summary=summary).order_by("id")), can_approve=False,
    )
    user = staff.agent
    if consequence.refund_total > settings.OMS_AGENT_REFUND_LIMIT and not as_agent:
        user = staff.supervisor
    result = _SUBMIT[kind](summary_id, request, actor=user, expected_version=preview.version)
    change_order_ids = _change_order_ids(result)
    held = refund_after_change(summary_id, change_order_ids, excess=consequence.excess_refund,
                               refund_total=consequence.refund_total, user=user)
    if consequence.refund_total > 0 and not isinstance(held, RefundApproval):
        refund_for_changes(summary_id, change_order_ids)
    return result


def return_with_fee(summary_id: int, items: list[ChangeItemInput], user) -> ChangeResult:
    """A return with a restocking fee, as an integration does it over the API: the return, its credit memo,
    the fee's invoice, and one ensure-refunds that pays the fee out of the refund."""
    result = submit_return(summary_id, items, actor=user)
    memo = create_credit_memo(summary_id, [result.change_order_id])
    data = {"creditMemoId": memo.pk}
    if result.fee_change_order_id:
        data["invoicesToPay"] = [create_invoice_from_change_orders(summary_id, [result.fee_change_order_id]).pk]
    run_operation(submit_ensure_refunds(summary_id, data, user=user).pk)
    settle_unanswered(summary_id)
    return result


# --- Return orders ----------------------------------------------------------------------------------------


def open_return_order(summary_id: int, lines: list[ReturnOrderLineInput], user, *, description: str) -> ReturnOrder:
    """Units the customer announced they are sending back, to the location that shipped them."""
    shipped_from = fulfillment_orders(summary_id)[0].location_id
    return create_return_order(
        ReturnOrderInput(order_summary_id=summary_id, lines=tuple(lines), destination_location_id=shipped_from,
                         description=description),
        actor=user,
    )


def receive_returns(return_order: ReturnOrder, items: list[ReturnItemInput], user) -> ReturnItemsResult:
    """The returns desk processes what arrived; what came back is credited and refunded."""
    result = return_items(return_order.pk, items, actor=user)
    if result.change_order_id:
        refund_for_changes(return_order.order_summary_id, [result.change_order_id])
    return result
