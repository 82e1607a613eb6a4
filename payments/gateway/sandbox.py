"""The deterministic sandbox gateway (DOMAIN.md §3.9), the default adapter.

By token: `tok_visa` and `tok_mastercard` succeed, `tok_decline` declines, `tok_timeout` times out
once and then succeeds (on lookup, or when the same key is sent again), `tok_error` fails
permanently, `tok_slow` succeeds but takes SLOW_SECONDS to answer the first time (long enough for a
test to kill the worker waiting on it). Any other token is refused as a validation error. Like a real
provider it keeps a ledger keyed by idempotency key, so a repeated key returns the first outcome and
moves no money.
"""

import hashlib
import time
from contextlib import nullcontext

from django.db import IntegrityError, transaction

from payments.models import GatewayResultCode, InteractionType, SandboxTransaction

from .base import GatewayOutcome, GatewayRequest, GatewayResult, PaymentGateway

SUCCEEDING_TOKENS = {"tok_visa", "tok_mastercard"}
DECLINING_TOKEN = "tok_decline"
TIMEOUT_TOKEN = "tok_timeout"
FAILING_TOKEN = "tok_error"
SLOW_TOKEN = "tok_slow"
SLOW_SECONDS = 3

_OUTCOME_BY_CODE = {
    GatewayResultCode.SUCCESS: GatewayOutcome.SUCCESS,
    GatewayResultCode.DECLINE: GatewayOutcome.DECLINED,
    GatewayResultCode.PERMANENT_FAIL: GatewayOutcome.FAILED,
    GatewayResultCode.VALIDATION_ERROR: GatewayOutcome.FAILED,
}

_MESSAGES = {
    GatewayResultCode.SUCCESS: "Approved.",
    GatewayResultCode.DECLINE: "Declined by the issuer.",
    GatewayResultCode.PERMANENT_FAIL: "The payment method cannot be charged or credited.",
    GatewayResultCode.VALIDATION_ERROR: "Unknown sandbox token.",
}


def _result_code_for(token: str) -> GatewayResultCode:
    if token in SUCCEEDING_TOKENS or token in (TIMEOUT_TOKEN, SLOW_TOKEN):
        return GatewayResultCode.SUCCESS
    if token == DECLINING_TOKEN:
        return GatewayResultCode.DECLINE
    if token == FAILING_TOKEN:
        return GatewayResultCode.PERMANENT_FAIL
    return GatewayResultCode.VALIDATION_ERROR


def _reference(key: str) -> str:
    return "sbx_" + hashlib.sha256(key.encode()).hexdigest()[:20]


class SandboxGateway(PaymentGateway):
    name = "sandbox"

    def _process(self, request: GatewayRequest) -> GatewayResult:
        code = _result_code_for(request.token)
        try:
            # One autocommitted insert, as a provider's own ledger write; a savepoint inside a transaction.
            with transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext():
                row = SandboxTransaction.objects.create(
                    idempotency_key=request.idempotency_key,
                    interaction_type=str(request.interaction_type),
                    token=request.token,
                    amount=request.amount,
                    currency=request.currency,
                    result_code=code,
                    reference=_reference(request.idempotency_key) if code == GatewayResultCode.SUCCESS else "",
                    answered=request.token != TIMEOUT_TOKEN,
                )
        except IntegrityError:
            # The key was seen before: answer as the first time, and now the answer gets through.
            row = SandboxTransaction.objects.get(idempotency_key=request.idempotency_key)
            if not row.answered:
                SandboxTransaction.objects.filter(pk=row.pk).update(answered=True)
            return self._answer(row, replayed=True)
        if request.token == SLOW_TOKEN:
            time.sleep(SLOW_SECONDS)  # the money has moved (the row is committed); the answer is on its way
        if not row.answered:
            return GatewayResult(
                GatewayOutcome.TIMEOUT,
                GatewayResultCode.INDETERMINATE,
                message="No answer from the provider before the timeout.",
                response={"timeout": True},
            )
        return self._answer(row, replayed=False)

    def _answer(self, row: SandboxTransaction, *, replayed: bool) -> GatewayResult:
        code = GatewayResultCode(row.result_code)
        return GatewayResult(
            _OUTCOME_BY_CODE[code],
            code,
            reference=row.reference,
            message=_MESSAGES[code],
            response={
                "id": row.reference,
                "result": row.result_code,
                "amount": str(row.amount),
                "currency": row.currency,
                "replayed": replayed,
            },
        )

    authorize = capture = refund = void = _process

    def lookup(self, interaction_type: InteractionType, idempotency_key: str) -> GatewayResult:
        row = SandboxTransaction.objects.filter(idempotency_key=idempotency_key).first()
        if row is None:
            return GatewayResult(
                GatewayOutcome.UNKNOWN,
                GatewayResultCode.INDETERMINATE,
                message="The provider has no request with this key.",
                response={"found": False},
            )
        if not row.answered:
            SandboxTransaction.objects.filter(pk=row.pk).update(answered=True)
        return self._answer(row, replayed=True)
