"""Send a request to the configured gateway with a log line written before and completed after.

Callers send outside any transaction, after the transaction that reserved the money movement has
committed: the log line and the movement exist before the provider hears of it.
"""

import logging

from django.utils import timezone

from payments.gateway import GatewayOutcome, GatewayRequest, GatewayResult, get_gateway
from payments.models import GatewayResultCode, PaymentGatewayLog

logger = logging.getLogger(__name__)


def _log_start(request: GatewayRequest, *, is_reconciliation: bool, links: dict) -> PaymentGatewayLog:
    return PaymentGatewayLog.objects.create(
        interaction_type=request.interaction_type,
        is_reconciliation=is_reconciliation,
        amount=request.amount,
        currency=request.currency,
        idempotency_key=request.idempotency_key,
        request_body={**request.loggable(), "lookup": is_reconciliation},
        **links,
    )


def _log_finish(log: PaymentGatewayLog, result: GatewayResult) -> None:
    PaymentGatewayLog.objects.filter(pk=log.pk).update(
        status=result.log_status,
        result_code=result.result_code,
        gateway_reference=result.reference,
        message=result.message[:500],
        response_body=result.response,
        completed_at=timezone.now(),
    )


def _unanswered(exc: Exception) -> GatewayResult:
    # An adapter that raised did not tell us whether money moved: as a timeout, only a lookup may settle it.
    logger.exception("Payment gateway call raised")
    return GatewayResult(GatewayOutcome.TIMEOUT, GatewayResultCode.INDETERMINATE,
                         message=f"{type(exc).__name__}: {exc}"[:500])


def send_logged(request: GatewayRequest, **links) -> GatewayResult:
    """links: order_payment_summary, payment, refund, authorization — the records the call is about."""
    log = _log_start(request, is_reconciliation=False, links=links)
    try:
        result = get_gateway().send(request)
    except Exception as exc:
        result = _unanswered(exc)
    _log_finish(log, result)
    return result


def lookup_logged(request: GatewayRequest, **links) -> GatewayResult:
    """Ask what became of an earlier call with the request's key; moves no money."""
    log = _log_start(request, is_reconciliation=True, links=links)
    try:
        result = get_gateway().lookup(request.interaction_type, request.idempotency_key)
    except Exception as exc:
        result = _unanswered(exc)
    _log_finish(log, result)
    return result
