"""Send reserved captures and refunds to the gateway, and reconcile the ones whose answer was lost.

Every send uses the movement's own idempotency key (`capture:<id>`, `refund:<id>`), so sending again
after a crash cannot move money twice. A movement whose last answer was a timeout is not sent again
by the operation: only reconciliation asks about it, under the same key.
"""

from functools import partial

from django.conf import settings
from django.db import transaction

from payments.gateway import GatewayOutcome, GatewayRequest, GatewayResult
from payments.models import (
    GatewayLogStatus,
    InteractionType,
    Payment,
    PaymentGatewayLog,
    PaymentStatus,
    Refund,
    RefundStatus,
)

from .gateway_calls import lookup_logged, send_logged
from .settlement import settle_capture, settle_refund

CAPTURE = "capture"
REFUND = "refund"


def capture_request(payment: Payment) -> GatewayRequest:
    return GatewayRequest(
        InteractionType.CAPTURE, payment.idempotency_key, payment.amount, payment.currency,
        token=payment.gateway_token,
        reference=payment.authorization.gateway_reference if payment.authorization_id else "",
    )


def refund_request(refund: Refund) -> GatewayRequest:
    return GatewayRequest(
        InteractionType.REFERENCED_REFUND, refund.idempotency_key, refund.amount, refund.currency,
        token=refund.payment.gateway_token, reference=refund.payment.gateway_reference,
    )


def _timed_out(**movement) -> bool:
    last = PaymentGatewayLog.objects.filter(is_reconciliation=False, **movement).order_by("-id").first()
    return last is not None and last.status == GatewayLogStatus.TIMEOUT


def _load(kind: str, pk: int):
    if kind == CAPTURE:
        movement = Payment.objects.select_related("authorization").get(pk=pk)
        return movement, movement.status == PaymentStatus.PENDING, capture_request(movement), {
            "payment": movement, "authorization": movement.authorization,
            "order_payment_summary_id": movement.order_payment_summary_id}
    movement = Refund.objects.select_related("payment").get(pk=pk)
    return movement, movement.status == RefundStatus.PENDING, refund_request(movement), {
        "refund": movement, "payment": movement.payment, "order_payment_summary_id": movement.order_payment_summary_id}


def _settle(kind: str, pk: int, result: GatewayResult) -> None:
    (settle_capture if kind == CAPTURE else settle_refund)(pk, result)
    if result.outcome is GatewayOutcome.TIMEOUT:
        schedule_reconciliation(kind, pk)


def send_movement(kind: str, pk: int) -> GatewayResult | None:
    movement, pending, request, links = _load(kind, pk)
    if not pending or _timed_out(**{"payment" if kind == CAPTURE else "refund": movement}):
        return None
    result = send_logged(request, **links)
    _settle(kind, pk, result)
    return result


def reconcile_movement(kind: str, pk: int) -> GatewayResult | None:
    """Ask the gateway what became of a pending movement; send it (same key) if it never arrived."""
    _movement, pending, request, links = _load(kind, pk)
    if not pending:
        return None
    result = lookup_logged(request, **links)
    if result.outcome is GatewayOutcome.UNKNOWN:
        result = send_logged(request, **links)
    _settle(kind, pk, result)
    return result


def send_operation_movements(operation) -> None:
    for pk in Payment.objects.filter(background_operation=operation, status=PaymentStatus.PENDING).order_by("id") \
            .values_list("pk", flat=True):
        send_movement(CAPTURE, pk)
    for pk in Refund.objects.filter(background_operation=operation, status=RefundStatus.PENDING).order_by("id") \
            .values_list("pk", flat=True):
        send_movement(REFUND, pk)


# Below the broker's visibility timeout, so a message waiting for its time is not delivered twice.
MAX_RECONCILE_DELAY_SECONDS = 1800


def reconcile_countdown(kind: str, pk: int) -> int:
    """The reconcile delay after the first unanswered call, doubled after each further one: a gateway
    that cannot be reached is asked less and less often, always under the movement's own key."""
    key = (Payment if kind == CAPTURE else Refund).objects.values_list("idempotency_key", flat=True).get(pk=pk)
    unanswered = PaymentGatewayLog.objects.filter(idempotency_key=key, status=GatewayLogStatus.TIMEOUT).count()
    delay = settings.OMS_GATEWAY_RECONCILE_DELAY_SECONDS * 2 ** max(0, unanswered - 1)
    return min(delay, MAX_RECONCILE_DELAY_SECONDS)


def schedule_reconciliation(kind: str, pk: int) -> None:
    from payments.tasks import reconcile_payment_movement

    transaction.on_commit(partial(reconcile_payment_movement.apply_async, args=[kind, pk],
                                  countdown=reconcile_countdown(kind, pk)))


def pending_movements(older_than) -> list[tuple[str, int]]:
    captures = Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lt=older_than).exclude(
        idempotency_key=None).values_list("pk", flat=True)
    refunds = Refund.objects.filter(status=RefundStatus.PENDING, created_at__lt=older_than).values_list("pk", flat=True)
    return [(CAPTURE, pk) for pk in captures] + [(REFUND, pk) for pk in refunds]
