"""Queue a background operation (ensure funds, ensure refunds): the checks both submits share, the
operation row, and its task enqueued through the outbox so it runs once the caller's transaction commits.
The submits themselves live with their operation: `ensure_funds.submit_ensure_funds`,
`ensure_refunds.submit_ensure_refunds`; `background_operations.run_operation` runs what they queue.
"""

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User

from orders import outbox
from orders.errors import InvalidState, NotFound
from orders.models import ApiClient, OrderSummary
from payments.models import BackgroundOperation, OrderPaymentSummary

from . import operation_input
from .operation_input import SequenceInput


def summary_for_submit(summary_id: int) -> OrderSummary:
    summary = OrderSummary.objects.filter(pk=summary_id).first()
    if summary is None:
        raise NotFound(f"Order summary {summary_id} does not exist.")
    if not summary.is_managed:
        raise InvalidState("This order summary is UNMANAGED: payment actions refuse it.")
    return summary


def check_sequences(summary: OrderSummary, steps: Sequence[SequenceInput]) -> None:
    """The steps name the summary's own payment summaries and amounts its currency can hold."""
    if not steps:
        return
    ops_ids = set(OrderPaymentSummary.objects.filter(order_summary=summary).values_list("pk", flat=True))
    operation_input.sequences(steps, ops_ids, summary.currency)


def queue_operation(
    summary: OrderSummary,
    op_type: str,
    data: dict[str, Any],
    *,
    client: ApiClient | None = None,
    user: User | None = None,
    retry_of: BackgroundOperation | None = None,
) -> BackgroundOperation:
    operation = BackgroundOperation.objects.create(
        type=op_type,
        order_summary=summary,
        input=data,
        created_by_client=client,
        created_by=user,
        retry_of=retry_of,
    )
    enqueue(operation.pk)
    return operation


def enqueue(operation_id: int) -> None:
    from payments.tasks import run_background_operation

    outbox.enqueue(run_background_operation, operation_id)
