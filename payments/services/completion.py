"""The settling pass (docs/money.md, rules 3, 6 and 7): what an order summary's money needs once nothing is
left to ship — its units all shipped or canceled, no fulfillment order open.

In one transaction under the summary's lock, when no capture, refund or reversal is pending and no
background operation is waiting to run:
1. credit memos are netted against open invoices where nothing was captured (payments.services.netting);
2. excess funds (captured beyond what is owed, §3.6) are refunded — an ensure-refunds operation, run at once —
   when OMS_AUTO_CREDIT_AND_REFUND is on; when it is off a person is told with one process exception; when
   an agent's refund on the summary waits for a supervisor or was declined, the money is left to them;
3. with no invoice left open and no refund about to run, the unused authorizations are reversed.

The pass is safe to run any number of times: each step looks at what is left. It runs after every
background operation (the task that ran it), after every change submitted (a hook), after the invoice and
refund automation, and after a reconciliation; a failed reversal makes its task try again later.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q

from orders.db import CompiledQuery
from orders.errors import ServiceError
from orders.models import (
    ACTIVE_PROCESS_EXCEPTION_STATUSES,
    FINAL_STATUS_CATEGORIES,
    FulfillmentOrder,
    OrderItemSummary,
    OrderSummary,
    ProcessException,
)
from orders.models.orders import ItemType
from orders.money import ZERO, round_money
from payments.funds import funds_position
from payments.models import (
    FINAL_OPERATION_STATUSES,
    AgentRefund,
    AgentRefundStatus,
    AuthorizationReversal,
    BackgroundOperation,
    Invoice,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    ReversalStatus,
)

from .locks import lock_summary
from .movements import log_reserved, send_reserved
from .netting import net_documents
from .process_exceptions import raise_payment_exception
from .reversal import reserve_reversals

EXCESS_EXCEPTION = "Excess funds remain with nothing left to ship"


@dataclass
class Settled:
    netted: object = ZERO
    refund_operation_id: int | None = None
    reversal_ids: list[int] = field(default_factory=list)
    failed_reversal_ids: list[int] = field(default_factory=list)
    excess_reported: bool = False


# Compiled once per process: the pass runs after every operation, and most orders stop at the first.
_UNSHIPPED = CompiledQuery(
    lambda summary_id: OrderItemSummary.objects.filter(
        order_summary_id=summary_id,
        type=ItemType.PRODUCT,
        quantity_ordered__gt=F("quantity_canceled") + F("quantity_fulfilled"),
    ).values_list("pk")[:1],
    numbers=True,
)
_OPEN_FULFILLMENT = CompiledQuery(
    lambda summary_id: (
        FulfillmentOrder.objects.filter(order_summary_id=summary_id)
        .exclude(status_category__in=FINAL_STATUS_CATEGORIES)
        .values_list("pk")[:1]
    ),
    numbers=True,
)


def left_to_ship(summary_id: int) -> bool:
    """A product unit neither shipped nor canceled, or a fulfillment order still open (two queries)."""
    return bool(_UNSHIPPED.rows(summary_id)) or bool(_OPEN_FULFILLMENT.rows(summary_id))


def _busy(summary: OrderSummary) -> bool:
    """Money under way: a movement waiting for its answer, an operation waiting to run."""
    return (
        Payment.objects.filter(order_payment_summary__order_summary=summary, status=PaymentStatus.PENDING).exists()
        or Refund.objects.filter(order_payment_summary__order_summary=summary, status=RefundStatus.PENDING).exists()
        or AuthorizationReversal.objects.filter(
            order_payment_summary__order_summary=summary, status=ReversalStatus.PENDING
        ).exists()
        or BackgroundOperation.objects.filter(order_summary=summary)
        .exclude(status__in=FINAL_OPERATION_STATUSES)
        .exists()
    )


def held_by_a_person(summary: OrderSummary) -> bool:
    """An agent's refund on the summary waits for a supervisor, or a supervisor declined the last one: the
    money stays where it is until a person releases it (payments.services.agent_changes)."""
    latest = AgentRefund.objects.filter(order_summary=summary).order_by("-id").values_list("status", flat=True).first()
    return latest in (AgentRefundStatus.PENDING, AgentRefundStatus.DECLINED)


def refund_awaits_a_person(summary: OrderSummary) -> bool:
    """A refund of the summary failed and its process exception is still open. The pass does not try again
    by itself: a gateway that keeps refusing would be asked forever. A person retries from the exception
    queue, or closes the exception, after which the pass tries again."""
    failed = Refund.objects.filter(order_payment_summary__order_summary=summary, status=RefundStatus.FAILED)
    refund_ids = [str(pk) for pk in failed.values_list("pk", flat=True)]
    if not refund_ids:
        return False
    operation_ids = [
        str(pk) for pk in failed.exclude(background_operation=None).values_list("background_operation_id", flat=True)
    ]
    attached = Q(attached_to_type=ContentType.objects.get_for_model(Refund), attached_to_id__in=refund_ids) | Q(
        attached_to_type=ContentType.objects.get_for_model(BackgroundOperation), attached_to_id__in=operation_ids
    )
    return ProcessException.objects.filter(
        attached, order_summary=summary, status__in=ACTIVE_PROCESS_EXCEPTION_STATUSES
    ).exists()


def _report_excess(summary: OrderSummary, excess: Decimal) -> bool:
    """One active process exception says so, however often the pass runs."""
    already = ProcessException.objects.filter(
        order_summary=summary,
        status__in=ACTIVE_PROCESS_EXCEPTION_STATUSES,
        message__startswith=EXCESS_EXCEPTION,
        attached_to_type=ContentType.objects.get_for_model(OrderSummary),
        attached_to_id=str(summary.pk),
    ).exists()
    if already:
        return False
    raise_payment_exception(
        summary,
        message=f"{EXCESS_EXCEPTION}: {round_money(excess, summary.currency)} {summary.currency}",
        description="Everything is shipped or canceled and more was captured than is owed. Automatic refunds "
        "are off (OMS_AUTO_CREDIT_AND_REFUND): refund it with ensure-refunds (excessFundsAmount).",
        attached_to=summary,
    )
    return True


def settle_summary(summary_id: int, *, _depth: int = 0) -> Settled | None:
    """The settling pass; None when the summary still has something to ship (or is unmanaged)."""
    from .background_operations import run_operation
    from .ensure_refunds import submit_ensure_refunds
    from .operation_input import EnsureRefundsInput

    if left_to_ship(summary_id):
        return None
    settled = Settled()
    calls = []
    with transaction.atomic():
        summary = lock_summary(summary_id, managed=False)
        if not summary.is_managed or left_to_ship(summary_id):
            return None
        settled.netted = net_documents(summary)
        if _busy(summary):
            return settled
        excess = funds_position(summary).total_excess_funds_amount
        if excess > 0 and (held_by_a_person(summary) or refund_awaits_a_person(summary)):
            pass  # a person decides about this money: neither refunded nor reported here
        elif excess > 0 and settings.OMS_AUTO_CREDIT_AND_REFUND:
            try:
                with transaction.atomic():
                    operation = submit_ensure_refunds(summary_id, EnsureRefundsInput(excess_funds_amount=excess))
                settled.refund_operation_id = operation.pk
            except ServiceError as exc:
                raise_payment_exception(
                    summary,
                    message=f"Refunding the excess funds failed: {exc.message}",
                    description=str(exc.as_error_list()),
                    attached_to=summary,
                )
        elif excess > 0:
            settled.excess_reported = _report_excess(summary, excess)
        if (
            settled.refund_operation_id is None
            and not Invoice.objects.filter(order_summary=summary, balance__gt=0).exists()
        ):
            reversals = reserve_reversals(summary)
            calls = log_reserved([], [], reversals)
            settled.reversal_ids = [reversal.pk for reversal in reversals]
    if settled.refund_operation_id is not None:
        run_operation(settled.refund_operation_id)
        if _depth == 0:
            # The refund done, the authorizations can go (the queued copy of the operation finds it done).
            again = settle_summary(summary_id, _depth=1)
            if again is not None:
                settled.reversal_ids += again.reversal_ids
                settled.failed_reversal_ids += again.failed_reversal_ids
        return settled
    if calls:
        send_reserved(calls, summary_id, lambda last: None)
        settled.failed_reversal_ids = list(
            AuthorizationReversal.objects.filter(pk__in=settled.reversal_ids, status=ReversalStatus.FAILED).values_list(
                "pk", flat=True
            )
        )
    return settled


def settle_after_operation(operation_id: int) -> Settled | None:
    summary_id = BackgroundOperation.objects.filter(pk=operation_id).values_list("order_summary_id", flat=True).first()
    return settle_summary(summary_id) if summary_id is not None else None
