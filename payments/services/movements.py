"""Send reserved captures, refunds and authorization reversals to the gateway, and reconcile the ones
whose answer was lost.

Every send uses the movement's own idempotency key (`capture:<id>`, `refund:<id>`, `void:<id>`), so sending again
after a crash cannot move money twice. A movement whose last answer was a timeout is not sent again
by the operation: only reconciliation asks about it, under the same key.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, DecimalField, Model, Value
from django.db.models.functions import Cast, Concat

from orders import outbox
from orders.db import insert_rows, update_row
from payments.gateway import GatewayOutcome, GatewayRequest, GatewayResult
from payments.models import (
    AuthorizationReversal,
    BackgroundOperation,
    GatewayLogStatus,
    InteractionType,
    Payment,
    PaymentGatewayLog,
    PaymentStatus,
    Refund,
    RefundStatus,
    ReversalStatus,
)

from .gateway_calls import CallLinks, log_call, log_calls, lookup_logged, record_answer, send_logged
from .settlement import settle_capture, settle_refund, settle_reversal

CAPTURE = "capture"
REFUND = "refund"
REVERSAL = "void"

MODEL = {CAPTURE: Payment, REFUND: Refund, REVERSAL: AuthorizationReversal}
# The field of the gateway log line naming the movement.
LOG_FIELD = {CAPTURE: "payment", REFUND: "refund", REVERSAL: "reversal"}


Movement = Payment | Refund | AuthorizationReversal


def _key(movement: Movement) -> str:
    """The movement's idempotency key: set when it is reserved, before any request is made from it."""
    if movement.idempotency_key is None:
        raise ValueError(f"{type(movement).__name__} {movement.pk} has no idempotency key yet.")
    return movement.idempotency_key


def capture_request(payment: Payment) -> GatewayRequest:
    return GatewayRequest(
        InteractionType.CAPTURE,
        _key(payment),
        payment.amount,
        payment.currency,
        token=payment.gateway_token,
        reference=payment.authorization.gateway_reference if payment.authorization is not None else "",
    )


def refund_request(refund: Refund) -> GatewayRequest:
    return GatewayRequest(
        InteractionType.REFERENCED_REFUND,
        _key(refund),
        refund.amount,
        refund.currency,
        token=refund.payment.gateway_token,
        reference=refund.payment.gateway_reference,
    )


def reversal_request(reversal: AuthorizationReversal) -> GatewayRequest:
    return GatewayRequest(
        InteractionType.VOID,
        _key(reversal),
        reversal.amount,
        reversal.currency,
        token=reversal.authorization.gateway_token,
        reference=reversal.authorization.gateway_reference,
    )


def _timed_out(**movement: Movement) -> bool:
    last = PaymentGatewayLog.objects.filter(is_reconciliation=False, **movement).order_by("-id").first()
    return last is not None and last.status == GatewayLogStatus.TIMEOUT


def _links(movement: Movement) -> CallLinks:
    if isinstance(movement, Payment):
        return {
            "payment": movement,
            "authorization": movement.authorization,
            "order_payment_summary_id": movement.order_payment_summary_id,
        }
    if isinstance(movement, AuthorizationReversal):
        return {
            "reversal": movement,
            "authorization": movement.authorization,
            "order_payment_summary_id": movement.order_payment_summary_id,
        }
    return {
        "refund": movement,
        "payment": movement.payment,
        "order_payment_summary_id": movement.order_payment_summary_id,
    }


def _request(movement: Movement) -> GatewayRequest:
    if isinstance(movement, AuthorizationReversal):
        return reversal_request(movement)
    return capture_request(movement) if isinstance(movement, Payment) else refund_request(movement)


def _load(kind: str, pk: int) -> tuple[Movement, bool, GatewayRequest, CallLinks]:
    movement: Movement
    if kind == CAPTURE:
        movement = Payment.objects.select_related("authorization").get(pk=pk)
        pending = movement.status == PaymentStatus.PENDING
    elif kind == REVERSAL:
        movement = AuthorizationReversal.objects.select_related("authorization").get(pk=pk)
        pending = movement.status == ReversalStatus.PENDING
    else:
        movement = Refund.objects.select_related("payment").get(pk=pk)
        pending = movement.status == RefundStatus.PENDING
    return movement, pending, _request(movement), _links(movement)


def _settle_movement(movement: Movement, result: GatewayResult, summary_id: int | None) -> Movement:
    if isinstance(movement, Payment):
        return settle_capture(movement.pk, result, summary_id=summary_id, known=movement)
    if isinstance(movement, Refund):
        return settle_refund(movement.pk, result, summary_id=summary_id, known=movement)
    return settle_reversal(movement.pk, result, summary_id=summary_id, known=movement)


def _settle(
    kind: str,
    movement: Movement,
    result: GatewayResult,
    log: PaymentGatewayLog | None = None,
    *,
    summary_id: int | None = None,
    then: Callable[[Movement], object] | None = None,
) -> None:
    """One transaction: the movement settled with the answer, the answer recorded in the call's log line
    (when the call was a send), and `then` given the settled movement (the operation finished, after its
    last movement)."""
    try:
        with transaction.atomic():
            settled = _settle_movement(movement, result, summary_id)
            if log is not None:
                record_answer(log, result)
            if then is not None:
                then(settled)
    except Exception:
        # The settlement failed (the task will retry it): the log line still tells what the provider said.
        if log is not None:
            record_answer(log, result)
        raise
    if result.outcome is GatewayOutcome.TIMEOUT:
        schedule_reconciliation(kind, movement.pk)


def send_movement(kind: str, pk: int) -> GatewayResult | None:
    movement, pending, request, links = _load(kind, pk)
    if not pending or _timed_out(**{LOG_FIELD[kind]: movement}):
        return None
    log = log_call(request, **links)
    result = send_logged(request, log)
    _settle(kind, movement, result, log)
    return result


def reconcile_movement(kind: str, pk: int) -> GatewayResult | None:
    """Ask the gateway what became of a pending movement; send it (same key) if it never arrived."""
    movement, pending, request, links = _load(kind, pk)
    if not pending:
        return None
    result = lookup_logged(request, **links)
    log = None
    if result.outcome is GatewayOutcome.UNKNOWN:
        log = log_call(request, **links)
        result = send_logged(request, log)
    _settle(kind, movement, result, log)
    return result


def send_operation_movements(operation: BackgroundOperation) -> None:
    """The movements of an operation prepared by an earlier delivery that are still pending."""
    for pk in (
        Payment.objects.filter(background_operation=operation, status=PaymentStatus.PENDING)
        .order_by("id")
        .values_list("pk", flat=True)
    ):
        send_movement(CAPTURE, pk)
    for pk in (
        Refund.objects.filter(background_operation=operation, status=RefundStatus.PENDING)
        .order_by("id")
        .values_list("pk", flat=True)
    ):
        send_movement(REFUND, pk)


@dataclass
class Prepared:
    """What preparing an operation did: its result so far and the movements it reserved (still to send)."""

    outcome: dict[str, Any]
    captures: list[Payment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)


def insert_with_keys(movements: list[Payment] | list[Refund] | list[AuthorizationReversal], prefix: str) -> None:
    """Insert new captures or refunds with one statement, then give each its idempotency key
    `<prefix>:<id>` with another (the key names the row, so it follows the insert). Their amounts are
    then as the database gives them back (to the field's decimal places), as a reload would show them."""
    if not movements:
        return
    model = type(movements[0])
    insert_rows(movements)
    if len(movements) == 1:
        movements[0].idempotency_key = f"{prefix}:{movements[0].pk}"
        update_row(movements[0], ["idempotency_key"])
    else:
        model._default_manager.filter(pk__in=[m.pk for m in movements]).update(
            idempotency_key=Concat(Value(f"{prefix}:"), Cast("pk", output_field=CharField()))
        )
    decimals = [f for f in model._meta.concrete_fields if isinstance(f, DecimalField)]
    for movement in movements:
        movement.idempotency_key = f"{prefix}:{movement.pk}"
        for f in decimals:
            if (value := getattr(movement, f.attname)) is not None:
                setattr(movement, f.attname, Decimal(value).quantize(Decimal(1).scaleb(-f.decimal_places)))


def update_rows(rows: Sequence[Model], fields: list[str]) -> None:
    """Write `fields` of some rows of one model with one statement (a plain update for one row: a bulk
    update's CASE costs twice its CPU)."""
    if len(rows) == 1:
        update_row(rows[0], fields)
    elif rows:
        type(rows[0])._default_manager.bulk_update(rows, fields)


@dataclass(frozen=True)
class Call:
    """A movement just reserved and the log line of its gateway call, written in the same transaction."""

    kind: str
    movement: Movement
    request: GatewayRequest
    log: PaymentGatewayLog


def log_reserved(
    captures: list[Payment], refunds: list[Refund], reversals: Sequence[AuthorizationReversal] = ()
) -> list[Call]:
    """In the transaction that reserves the movements: the log lines of the calls about to be sent
    (one insert), so they are committed with the reservation, before the provider hears of them."""
    planned: list[tuple[str, Movement, GatewayRequest]] = [(CAPTURE, m, capture_request(m)) for m in captures]
    planned += [(REFUND, m, refund_request(m)) for m in refunds]
    planned += [(REVERSAL, m, reversal_request(m)) for m in reversals]
    logs = log_calls([(request, _links(movement)) for _, movement, request in planned])
    return [Call(kind, movement, request, log) for (kind, movement, request), log in zip(planned, logs, strict=True)]


def send_reserved(calls: list[Call], summary_id: int, finish: Callable[[Movement], object]) -> None:
    """Send the calls logged by `log_reserved` once their transaction has committed, settling each in
    its own transaction with its answer; the last settlement also runs `finish(settled_movement)` (the
    operation's end)."""
    for index, call in enumerate(calls):
        result = send_logged(call.request, call.log)
        _settle(
            call.kind,
            call.movement,
            result,
            call.log,
            summary_id=summary_id,
            then=finish if index == len(calls) - 1 else None,
        )


# Below the broker's visibility timeout, so a message waiting for its time is not delivered twice.
MAX_RECONCILE_DELAY_SECONDS = 1800


def reconcile_countdown(kind: str, pk: int) -> int:
    """The reconcile delay after the first unanswered call, doubled after each further one: a gateway
    that cannot be reached is asked less and less often, always under the movement's own key."""
    key: str = MODEL[kind]._default_manager.values_list("idempotency_key", flat=True).get(pk=pk)
    unanswered = PaymentGatewayLog.objects.filter(idempotency_key=key, status=GatewayLogStatus.TIMEOUT).count()
    delay: int = settings.OMS_GATEWAY_RECONCILE_DELAY_SECONDS * 2 ** max(0, unanswered - 1)
    return min(delay, MAX_RECONCILE_DELAY_SECONDS)


def schedule_reconciliation(kind: str, pk: int) -> None:
    from payments.tasks import reconcile_payment_movement

    outbox.enqueue(reconcile_payment_movement, kind, pk, countdown=reconcile_countdown(kind, pk))


def pending_movements(older_than: datetime) -> list[tuple[str, int]]:
    captures = (
        Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lt=older_than)
        .exclude(idempotency_key=None)
        .values_list("pk", flat=True)
    )
    refunds = Refund.objects.filter(status=RefundStatus.PENDING, created_at__lt=older_than).values_list("pk", flat=True)
    reversals = (
        AuthorizationReversal.objects.filter(status=ReversalStatus.PENDING, created_at__lt=older_than)
        .exclude(idempotency_key=None)
        .values_list("pk", flat=True)
    )
    return [(CAPTURE, pk) for pk in captures] + [(REFUND, pk) for pk in refunds] + [(REVERSAL, pk) for pk in reversals]
