"""Calls to the configured gateway, each with a log line written before it and completed after.

The log line of a call is committed before the provider hears of it: written in the transaction that
reserves the money movement (`log_calls`), or on its own just before the call (`log_call`). The answer
is recorded (`record_answer`) in the transaction that settles the movement, so the log line and the
movement's state are committed together. Callers send outside any transaction.
"""

import logging
from typing import TypedDict, Unpack

from django.utils import timezone

from orders.db import insert_rows, update_row
from payments.gateway import GatewayOutcome, GatewayRequest, GatewayResult, get_gateway
from payments.models import (
    AuthorizationReversal,
    GatewayResultCode,
    OrderPaymentSummary,
    Payment,
    PaymentAuthorization,
    PaymentGatewayLog,
    Refund,
)

logger = logging.getLogger(__name__)


class CallLinks(TypedDict, total=False):
    """The records a gateway call is about: the foreign keys of its log line."""

    order_payment_summary: OrderPaymentSummary | None
    payment: Payment | None
    refund: Refund | None
    authorization: PaymentAuthorization | None
    reversal: AuthorizationReversal | None
    order_payment_summary_id: int | None


def _log_line(request: GatewayRequest, *, is_reconciliation: bool, links: CallLinks) -> PaymentGatewayLog:
    return PaymentGatewayLog(
        interaction_type=request.interaction_type,
        is_reconciliation=is_reconciliation,
        amount=request.amount,
        currency=request.currency,
        idempotency_key=request.idempotency_key,
        request_body={**request.loggable(), "lookup": is_reconciliation},
        **links,
    )


def log_call(
    request: GatewayRequest, *, is_reconciliation: bool = False, **links: Unpack[CallLinks]
) -> PaymentGatewayLog:
    log = _log_line(request, is_reconciliation=is_reconciliation, links=links)
    log.save(force_insert=True)
    return log


def log_calls(calls: list[tuple[GatewayRequest, CallLinks]]) -> list[PaymentGatewayLog]:
    """The log lines of several calls about to be sent, written with one insert."""
    return insert_rows([_log_line(request, is_reconciliation=False, links=links) for request, links in calls])


ANSWER_FIELDS = ("status", "result_code", "gateway_reference", "message", "response_body", "completed_at")


def record_answer(log: PaymentGatewayLog, result: GatewayResult) -> None:
    log.status = result.log_status
    log.result_code = result.result_code
    log.gateway_reference = result.reference
    log.message = result.message[:500]
    log.response_body = result.response
    log.completed_at = timezone.now()
    update_row(log, ANSWER_FIELDS)


def _unanswered(exc: Exception) -> GatewayResult:
    # An adapter that raised did not tell us whether money moved: as a timeout, only a lookup may settle it.
    logger.exception("Payment gateway call raised")
    return GatewayResult(
        GatewayOutcome.TIMEOUT, GatewayResultCode.INDETERMINATE, message=f"{type(exc).__name__}: {exc}"[:500]
    )


def send_logged(request: GatewayRequest, log: PaymentGatewayLog) -> GatewayResult:
    """Send a request whose log line `log` is committed already. The caller records the answer in
    `log` (record_answer) in the transaction that settles the movement."""
    try:
        return get_gateway().send(request)
    except Exception as exc:
        return _unanswered(exc)


def lookup_logged(request: GatewayRequest, **links: Unpack[CallLinks]) -> GatewayResult:
    """Ask what became of an earlier call with the request's key; moves no money. Logged and recorded
    on its own, before anything is settled with its answer."""
    log = log_call(request, is_reconciliation=True, **links)
    try:
        result = get_gateway().lookup(request.interaction_type, request.idempotency_key)
    except Exception as exc:
        result = _unanswered(exc)
    record_answer(log, result)
    return result
