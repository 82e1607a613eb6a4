"""What happens to a demo order after it is placed, each step through the service that the API, the
console or a background task calls for it: routing, a warehouse moving its fulfillment orders, billing
and capture, an agent's change with its refund, a return order received in parts.

The money steps the automation would queue (DOMAIN.md §4.3) are called here directly, in order: each
story runs in one transaction, where anything queued after commit would only run once the story ends.
"""

from collections.abc import Sequence
from dataclasses import dataclass

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
from orders.services.adjust import preview_adjust
from orders.services.cancel import preview_cancel
from orders.services.change_flow import ChangeResult
from orders.services.fulfillment_cancel import LineToCancel, cancel_fulfillment_order_items
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.return_orders import (
    ReturnItemInput,
    ReturnItemsResult,
    ReturnOrderInput,
    ReturnOrderLineInput,
    create_return_order,
    return_items,
)
from orders.services.route_summary import RoutingOutcome, route_order_summary
from orders.services.simple_return import preview_return, submit_return
from payments.models import Payment, PaymentStatus, Refund, RefundStatus
from payments.services import money_follow_ups as money
from payments.services.agent_changes import change_refund, check_limit, submit_agent_change
from payments.services.background_operations import run_operation
from payments.services.change_invoice_create import create_invoice_from_change_orders
from payments.services.credit_memo_create import create_credit_memo
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.movements import CAPTURE, REFUND, reconcile_movement
from payments.services.operation_input import EnsureRefundsInput

CANCEL, RETURN, ADJUST = "cancel", "return", "adjust"
_PREVIEW = {CANCEL: preview_cancel, RETURN: preview_return, ADJUST: preview_adjust}


@dataclass(frozen=True)
class Staff:
    agent: object
    supervisor: object


# --- Reading what a step needs ---------------------------------------------------------------------------


def products(summary_id: int) -> list[OrderItemSummary]:
    return list(OrderItemSummary.objects.filter(order_summary_id=summary_id, type=ItemType.PRODUCT).order_by("id"))


def fulfillment_orders(summary_id: int, *, group: int | None = None) -> list[FulfillmentOrder]:
    """The summary's live fulfillment orders, of its `group`-th delivery group (0-based) when given."""
    orders = (
        FulfillmentOrder.objects.filter(order_summary_id=summary_id)
        .exclude(
            status_category__in=(FulfillmentOrderStatusCategory.CANCELLED, FulfillmentOrderStatusCategory.REJECTED)
        )
        .order_by("id")
    )
    if group is not None:
        group_ids = list(
            OrderSummary.objects.get(pk=summary_id).delivery_group_summaries.order_by("id").values_list("pk", flat=True)
        )
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
    captures = Payment.objects.filter(
        order_payment_summary__order_summary_id=summary_id, status=PaymentStatus.PENDING
    ).exclude(idempotency_key=None)
    refunds = Refund.objects.filter(order_payment_summary__order_summary_id=summary_id, status=RefundStatus.PENDING)
    for pk in captures.order_by("id").values_list("pk", flat=True):
        reconcile_movement(CAPTURE, pk)
    for pk in refunds.order_by("id").values_list("pk", flat=True):
        reconcile_movement(REFUND, pk)


def refund_for_changes(summary_id: int, change_order_ids: Sequence[int]) -> None:
    """What the automation does after a return order is received: returns and post-fulfillment discounts
    get a credit memo that is refunded; cancels and earlier discounts give back captured funds now in excess."""
    orders = list(Order.objects.filter(pk__in=change_order_ids).order_by("id"))
    owed_back = [order.pk for order in orders if order.is_post_fulfillment_reduction and order.grand_total_amount < 0]
    if owed_back:
        money.credit_and_refund(summary_id, owed_back)
    if any(order.change_type != ChangeType.FEE and not order.is_post_fulfillment_reduction for order in orders):
        money.refund_excess(summary_id)
    settle_unanswered(summary_id)


def console_change(
    summary_id: int, kind: str, request: list[ChangeItemInput] | AdjustInput, staff: Staff, *, as_agent: bool = False
) -> ChangeResult:
    """A change made in the console's wizard: preview, then the payments service that submits the change at
    the previewed version and starts the refund from the submit's figures (or holds it for approval).

    The agent makes the change unless the preview shows the refund would wait for approval, in which case
    the supervisor does, as a team would; `as_agent` keeps the agent on it so that the refund waits.
    """
    summary = OrderSummary.objects.get(pk=summary_id)
    preview = _PREVIEW[kind](summary_id, request)
    user = staff.agent
    refund = change_refund(summary, preview.balances, funds_position(summary))
    if not as_agent and check_limit(summary, user, refund.amount).needs_approval:
        user = staff.supervisor
    # The demo loads with the automation off (each story runs its money steps itself): start this refund.
    outcome = submit_agent_change(
        summary_id, kind, request, user=user, expected_version=preview.version, start_refund=True
    )
    if outcome.refund_queued:
        # The story runs in one transaction: the worker would only see the operation once it ends.
        run_operation(outcome.refund.operation_id)
        settle_unanswered(summary_id)
    return outcome.result


def return_with_fee(summary_id: int, items: list[ChangeItemInput], user) -> ChangeResult:
    """A return with a restocking fee, as an integration does it over the API: the return, its credit memo,
    the fee's invoice, and one ensure-refunds that pays the fee out of the refund."""
    result = submit_return(summary_id, items, actor=user)
    memo = create_credit_memo(summary_id, [result.change_order_id])
    fees = ()
    if result.fee_change_order_id:
        fees = (create_invoice_from_change_orders(summary_id, [result.fee_change_order_id]).pk,)
    data = EnsureRefundsInput(credit_memo_id=memo.pk, invoices_to_pay=fees)
    run_operation(submit_ensure_refunds(summary_id, data, user=user).pk)
    settle_unanswered(summary_id)
    return result


# --- Return orders ----------------------------------------------------------------------------------------


def open_return_order(summary_id: int, lines: list[ReturnOrderLineInput], user, *, description: str) -> ReturnOrder:
    """Units the customer announced they are sending back, to the location that shipped them."""
    shipped_from = fulfillment_orders(summary_id)[0].location_id
    return create_return_order(
        ReturnOrderInput(
            order_summary_id=summary_id,
            lines=tuple(lines),
            destination_location_id=shipped_from,
            description=description,
        ),
        actor=user,
    )


def receive_returns(return_order: ReturnOrder, items: list[ReturnItemInput], user) -> ReturnItemsResult:
    """The returns desk processes what arrived; what came back is credited and refunded."""
    result = return_items(return_order.pk, items, actor=user)
    if result.change_order_id:
        refund_for_changes(return_order.order_summary_id, [result.change_order_id])
    return result
