"""Default money automation (DOMAIN.md §4.3): the steps a fulfilled order or a refund-worthy change
sets off, each the same service the API calls. A step that cannot run raises a process exception
and loses nothing: the documents already made stay, and a person retries from the exception.
"""

from django.db import transaction

from orders.errors import ServiceError
from orders.models import ProcessExceptionCategory
from orders.services.holds import is_capture_held
from payments.funds import funds_position
from payments.models import BackgroundOperation, Invoice

from .background_operations import run_operation, submit_ensure_funds, submit_ensure_refunds
from .credit_memo_create import create_credit_memo
from .fulfillment_invoice_create import create_invoice_for_fulfillment_order
from .locks import lock_summary
from .process_exceptions import raise_payment_exception


def _record_failure(summary_id, message: str, exc: ServiceError, *, category=ProcessExceptionCategory.PAYMENT):
    with transaction.atomic():
        summary = lock_summary(summary_id, managed=False)
        raise_payment_exception(summary, message=f"{message}: {exc.message}", description=str(exc.as_error_list()),
                                category=category)


def invoice_and_capture(fulfillment_order_id: int, summary_id: int) -> BackgroundOperation | None:
    """A fulfilled fulfillment order: its invoice (made once), then ensure funds for it."""
    invoice = Invoice.objects.filter(fulfillment_order_id=fulfillment_order_id).first()
    if invoice is None:
        try:
            invoice = create_invoice_for_fulfillment_order(fulfillment_order_id)
        except ServiceError as exc:
            _record_failure(summary_id, "Invoicing the fulfillment order failed", exc,
                            category=ProcessExceptionCategory.INVOICING)
            return None
    if invoice.balance == 0 or is_capture_held(summary_id):  # a held order captures on release (issue 16)
        return None
    return _run(summary_id, submit_ensure_funds, {"invoiceId": invoice.pk}, "Ensure funds could not be submitted")


def credit_and_refund(summary_id: int, change_order_ids: list[int]) -> BackgroundOperation | None:
    """A return or post-fulfillment discount submitted by an agent: a credit memo, then its refund."""
    try:
        memo = create_credit_memo(summary_id, change_order_ids)
    except ServiceError as exc:
        _record_failure(summary_id, "The credit memo could not be made", exc)
        return None
    return _run(summary_id, submit_ensure_refunds, {"creditMemoId": memo.pk}, "Ensure refunds could not be submitted")


def refund_excess(summary_id: int) -> BackgroundOperation | None:
    """A pre-fulfillment cancel or discount with captured funds: refund what is now in excess."""
    from orders.models import OrderSummary

    excess = funds_position(OrderSummary.objects.get(pk=summary_id)).total_excess_funds_amount
    if excess <= 0:
        return None
    return _run(summary_id, submit_ensure_refunds, {"excessFundsAmount": str(excess)},
                "Ensure refunds could not be submitted")


def _run(summary_id, submit, data, failure_message) -> BackgroundOperation | None:
    try:
        with transaction.atomic():
            operation = submit(summary_id, data)
    except ServiceError as exc:
        _record_failure(summary_id, failure_message, exc)
        return None
    # Already inside a worker: run it here rather than wait for the queued copy (which then finds it done).
    return run_operation(operation.pk)
