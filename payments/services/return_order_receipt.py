"""Receive a return order's units from the console (issue 15): the lines processed by return-items, then the
refund that follows, as for any return an agent makes.

Under the summary's lock: return-items writes the Return change order (and the Fee change order of the
line fees); what it adds to the credit owed (and to the excess funds) is the refund, recorded for the
agent's limit and released at once (credit memo of the Return change order, the fee invoice paid out of
it, one ensure-refunds operation after commit) or held for a supervisor (agent_changes.record_refund).
Rejected units are no longer expected and not refunded; only units received and not rejected go back
on hand at the destination (orders.services.return_orders).
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from orders.errors import Conflict, NotFound
from orders.models import Exchange, ReturnOrder
from orders.money import ZERO, round_money
from orders.selectors.summaries import parse_id
from orders.services.return_orders import ReturnItemInput, ReturnItemsResult, return_items
from payments.funds import funds_position
from payments.models import AgentRefund, AgentRefundKind

from .agent_changes import record_refund
from .locks import lock_summary


@dataclass(frozen=True)
class ReceiptOutcome:
    result: ReturnItemsResult
    change_order_ids: tuple[int, ...]
    refund: AgentRefund | None
    exchange: Exchange | None = None  # the exchange waiting for this return order: as the receipt left it


def receive_return_order(
    return_order_id: int | str,
    items: list[ReturnItemInput],
    *,
    user: User,
    expected_version: int | None = None,
    reason: str = "",
) -> ReceiptOutcome:
    pk = parse_id(return_order_id)
    summary_id = ReturnOrder.objects.filter(pk=pk).values_list("order_summary_id", flat=True).first() if pk else None
    if pk is None or summary_id is None:
        raise NotFound(f"No return order {return_order_id}.")
    with transaction.atomic():
        summary = lock_summary(summary_id)
        if expected_version is not None and summary.version != expected_version:
            raise Conflict(
                f"The order changed since this screen was opened (version {expected_version}, now "
                f"{summary.version}); check the return order again.",
                field="version",
            )
        before = funds_position(summary)
        result = return_items(pk, items, actor=user)
        ids = tuple(pk for pk in (result.change_order_id, result.fee_change_order_id) if pk)
        summary.refresh_from_db()
        after = funds_position(summary)
        credit = round_money(max(ZERO, after.outstanding_credit - before.outstanding_credit), summary.currency)
        excess = round_money(
            max(ZERO, after.total_excess_funds_amount - before.total_excess_funds_amount), summary.currency
        )
        refund = None
        # An exchange's return order: its credit pays the replacement (and any rest is refunded) through the
        # exchange's money, which return-items started (orders.services.exchange_receipt).
        exchange = Exchange.objects.select_related("exchange_summary").filter(return_order_id=pk).first()
        if credit + excess > 0 and exchange is None:
            refund = record_refund(
                summary,
                AgentRefundKind.RETURN,
                user=user,
                change_order_ids=ids,
                credit_ids=[result.change_order_id] if credit > 0 and result.change_order_id else [],
                credit=credit,
                excess=excess,
                reason=(reason or f"Received on return order {ReturnOrder(pk=pk).number}")[:255],
            )
    return ReceiptOutcome(result, ids, refund, exchange)
