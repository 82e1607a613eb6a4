"""Authorization reversal (docs/money.md, rule 6): the part of each authorization that will never be
captured is released through the gateway (a `Void`), once the summary is fully canceled or its last invoice
is paid with nothing left to fulfil (payments.services.completion decides when).

`reserve_reversals` runs under the summary's lock: each unused remainder becomes a pending
AuthorizationReversal keyed `void:<id>`, counted at once in the payment summary's
AuthorizationReversalAmount (so nothing captures it meanwhile), and the log line of its call is written
in the same transaction. The calls are sent after it commits (movements.send_reserved) and settled with
their answers (settlement.settle_reversal). Idempotent: an authorization with a live (pending or
processed) reversal is never reversed again — a partial unique index says so too — and a pending one is
only ever sent under its own key, or looked up after a timeout.
"""

from collections import defaultdict
from decimal import Decimal

from orders.models import OrderSummary
from orders.models.fields import MoneySum
from orders.money import ZERO
from payments.models import (
    AuthorizationReversal,
    AuthorizationStatus,
    OrderPaymentSummary,
    Payment,
    PaymentAuthorization,
    PaymentStatus,
    ReversalStatus,
)

from .locks import lock_payment_summaries
from .movements import insert_with_keys, update_rows

LIVE = (ReversalStatus.PENDING, ReversalStatus.PROCESSED)


def unused_authorizations(
    payment_summaries: list[OrderPaymentSummary],
) -> list[tuple[OrderPaymentSummary, PaymentAuthorization, Decimal]]:
    """(payment summary, authorization, unused amount) for every authorization with something left that is
    neither captured (or being captured) nor reversed (or being reversed); locked."""
    # Keyed as the authorizations name them (a nullable column; these all have one, by the filter below).
    by_id: dict[int | None, OrderPaymentSummary] = {ops.pk: ops for ops in payment_summaries}
    authorizations = list(
        PaymentAuthorization.objects.select_for_update(no_key=True)
        .filter(order_payment_summary__in=payment_summaries, status=AuthorizationStatus.PROCESSED)
        .order_by("id")
    )
    if not authorizations:
        return []
    captured = dict(
        Payment.objects.filter(
            authorization__in=authorizations, status__in=[PaymentStatus.PENDING, PaymentStatus.PROCESSED]
        )
        .values("authorization_id")
        .annotate(total=MoneySum("amount"))
        .values_list("authorization_id", "total")
    )
    reversed_ = dict(
        AuthorizationReversal.objects.filter(authorization__in=authorizations, status__in=LIVE)
        .values("authorization_id")
        .annotate(total=MoneySum("amount"))
        .values_list("authorization_id", "total")
    )
    found = []
    available = {ops.pk: ops.available_to_capture_amount for ops in payment_summaries}
    for auth in authorizations:
        if auth.pk in reversed_:
            continue
        ops = by_id[auth.order_payment_summary_id]
        # Never more than the payment summary has available to capture (its figures are the ledger).
        unused = min(auth.amount - (captured.get(auth.pk) or ZERO), available[ops.pk])
        if unused > 0:
            available[ops.pk] -= unused
            found.append((ops, auth, unused))
    return found


def reserve_reversals(summary: OrderSummary) -> list[AuthorizationReversal]:
    """Under the summary's lock: the pending reversals of every unused authorization (not yet sent)."""
    payment_summaries = lock_payment_summaries(summary)
    planned = unused_authorizations(payment_summaries)
    if not planned:
        return []
    reversals = []
    touched: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    for ops, auth, amount in planned:
        reversal = AuthorizationReversal(
            order_payment_summary=ops, authorization=auth, amount=amount, currency=auth.currency
        )
        reversal.authorization = auth
        reversals.append(reversal)
        ops.authorization_reversal_amount += amount
        touched[ops.pk] += amount
    insert_with_keys(reversals, "void")
    update_rows([ops for ops in payment_summaries if ops.pk in touched], ["authorization_reversal_amount"])
    return reversals
