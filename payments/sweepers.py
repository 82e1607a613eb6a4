"""Sweepers of the payments side (issue 14, point 2; orders/sweepers.py explains the pattern).

- Background operations `New` or `Running` past OMS_SWEEP_AFTER_SECONDS with no message pending:
  run again. A run is safe to repeat: a prepared operation sends its pending movements again under
  their own idempotency keys (the provider answers the first result) and finishes.
- Fulfilled fulfillment orders never invoiced, or invoiced and unpaid with no ensure-funds operation
  for the invoice: invoiced and captured again (`invoice_and_capture` makes one invoice per fulfillment
  order). When that task failed for good, an Invoicing process exception instead.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from orders import outbox
from orders.models import (
    FulfillmentOrder,
    FulfillmentOrderStatus,
    LifeCycleType,
    OutboxStatus,
    ProcessExceptionCategory,
)
from orders.sweepers import messages_by_first_arg, raise_for_failed_message, stuck_window
from payments.models import BackgroundOperation, Invoice, OperationStatus, OperationType

logger = logging.getLogger(__name__)

RUN_OPERATION = "payments.tasks.run_background_operation"
INVOICE_AND_CAPTURE = "payments.tasks.invoice_and_capture"


def sweep_stuck_operations(*, limit: int = 500) -> int:
    oldest, newest = stuck_window()
    stuck = list(
        BackgroundOperation.objects.filter(submitted_at__gte=oldest)
        .filter(
            Q(status=OperationStatus.NEW, submitted_at__lt=newest)
            | Q(status=OperationStatus.RUNNING, started_at__lt=newest)
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    pending = messages_by_first_arg(RUN_OPERATION, stuck)[OutboxStatus.PENDING]
    again = [pk for pk in stuck if pk not in pending]
    with transaction.atomic():
        for operation_id in again:
            outbox.enqueue(RUN_OPERATION, operation_id)
    if again:
        logger.warning("Operation sweep: %s stuck background operations run again: %s", len(again), again)
    return len(again)


def sweep_unbilled_fulfillment_orders(*, limit: int = 500) -> dict[str, int]:
    if not settings.OMS_AUTO_INVOICE_AND_CAPTURE:
        return {"requeued": 0, "exceptions": 0}
    oldest, newest = stuck_window()
    shipped = FulfillmentOrder.objects.filter(
        status=FulfillmentOrderStatus.FULFILLED,
        fulfilled_at__gte=oldest,
        fulfilled_at__lt=newest,
        order_summary__life_cycle_type=LifeCycleType.MANAGED,
        reshipment__isnull=True,  # a reshipment bills nothing (issue 15)
    ).order_by("id")
    never_invoiced = list(
        shipped.filter(~Exists(Invoice.objects.filter(fulfillment_order=OuterRef("pk")))).values_list(
            "id", "order_summary_id"
        )[:limit]
    )
    # Invoiced, unpaid, and no ensure-funds operation was ever submitted for the invoice (rare: the
    # process stopped between the two steps), so nothing will pay it.
    unpaid = Invoice.objects.filter(fulfillment_order__in=shipped, balance__gt=0).values_list(
        "fulfillment_order_id", "order_summary_id", "pk"
    )[:limit]
    never_funded = [
        (fo_id, summary_id)
        for fo_id, summary_id, invoice_id in unpaid
        if not BackgroundOperation.objects.filter(
            type=OperationType.ENSURE_FUNDS, order_summary_id=summary_id, input__invoiceId=str(invoice_id)
        ).exists()
    ]
    candidates = sorted(set(never_invoiced) | set(never_funded))[:limit]
    messages = messages_by_first_arg(INVOICE_AND_CAPTURE, [pk for pk, _ in candidates])
    requeued = exceptions = 0
    for fulfillment_order_id, summary_id in candidates:
        if fulfillment_order_id in messages[OutboxStatus.PENDING]:
            continue
        if fulfillment_order_id in messages[OutboxStatus.FAILED]:
            exceptions += raise_for_failed_message(
                INVOICE_AND_CAPTURE,
                fulfillment_order_id,
                summary_id,
                category=ProcessExceptionCategory.INVOICING,
                message="Billing a shipped fulfillment order did not finish: invoice and capture it by hand.",
                about=f" for fulfillment order {fulfillment_order_id}",
            )
            continue
        with transaction.atomic():
            outbox.enqueue(INVOICE_AND_CAPTURE, fulfillment_order_id, summary_id)
        requeued += 1
    if requeued or exceptions:
        logger.warning("Billing sweep: %s fulfillment orders billed again, %s exceptions raised", requeued, exceptions)
    return {"requeued": requeued, "exceptions": exceptions}
