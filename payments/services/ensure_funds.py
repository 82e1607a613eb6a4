"""Ensure funds (DOMAIN.md §3.7): pay an invoice from captured balances, then by capturing.

`prepare_ensure_funds` runs under the summary's lock: it applies captured funds at once and reserves
each capture as a pending payment with its idempotency key. The captures are sent to the gateway
after that transaction commits (payments.services.movements).
"""

from collections import defaultdict
from collections.abc import Hashable
from decimal import Decimal

from django.contrib.auth.models import User

from orders.db import CompiledQuery, get_row, get_rows, money_sums
from orders.errors import InvalidInput, InvalidState
from orders.models import ApiClient, OrderSummary
from orders.models.fields import MoneySum
from orders.money import ZERO, round_money
from payments.allocation import FundsSource, InsufficientFunds, Source, exact_else_largest, plan_ensure_funds
from payments.models import (
    BackgroundOperation,
    Invoice,
    OperationType,
    OrderPaymentSummary,
    Payment,
    PaymentAuthorization,
    PaymentKind,
    PaymentStatus,
)

from . import operation_input
from .locks import bump_version, lock_payment_summaries
from .movements import Prepared, insert_with_keys, update_rows
from .operation_input import EnsureFundsInput
from .operation_queue import check_sequences, queue_operation, summary_for_submit
from .payment_funds import apply_to_invoice

# Compiled once: the aggregate's compilation costs several times its run.
_PENDING_CAPTURES = CompiledQuery(
    lambda invoice_id: (
        Payment.objects.filter(target_invoice_id=invoice_id, status=PaymentStatus.PENDING)
        .values("target_invoice_id")
        .annotate(total=MoneySum("amount"))
        .values_list("total")
    ),
    numbers=True,
)


def pending_capture_total(invoice: Invoice) -> Decimal:
    rows = _PENDING_CAPTURES.rows(invoice.pk)
    total: Decimal = rows[0][0] if rows else ZERO
    return total


def prepare_ensure_funds(operation: BackgroundOperation, summary: OrderSummary) -> Prepared:
    data = EnsureFundsInput.from_stored(operation.input)
    invoice_id = data.invoice_id
    invoice = get_row(Invoice, invoice_id, where={"order_summary_id": summary.pk}, lock=True)
    if invoice is None:
        raise InvalidInput(f"Invoice {invoice_id} does not belong to this order summary.", field="invoiceId")
    payment_summaries = lock_payment_summaries(summary)
    by_id: dict[Hashable, OrderPaymentSummary] = {ops.pk: ops for ops in payment_summaries}
    steps = operation_input.sequences(data.sequences, {ops.pk for ops in payment_summaries}, summary.currency)
    allow_partial = data.allow_partial

    due = invoice.balance - pending_capture_total(invoice)

    def text(amount: Decimal) -> str:
        return str(round_money(amount, summary.currency))

    outcome = {"invoiceId": str(invoice.pk), "invoiceNumber": invoice.number, "amountDue": text(due)}
    if due <= 0:
        return Prepared({**outcome, "appliedAmount": text(ZERO), "captureAmount": text(ZERO), "shortfall": text(ZERO)})

    sources = [FundsSource(ops.pk, ops.balance_amount, ops.available_to_capture_amount) for ops in payment_summaries]
    try:
        plan = plan_ensure_funds(due, sources, steps, allow_partial)
    except InsufficientFunds as exc:
        raise InvalidState(
            f"Invoice {invoice.number} needs {exc.needed} {summary.currency}; the payment methods hold "
            f"{exc.available} in captured balance and authorizations."
        ) from None

    if plan.applications:
        payments: defaultdict[Hashable, list[Payment]] = defaultdict(list)
        for payment in (
            Payment.objects.select_for_update(no_key=True)
            .filter(order_payment_summary__in=payment_summaries, status=PaymentStatus.PROCESSED, balance__gt=0)
            .order_by("id")
        ):
            payments[payment.order_payment_summary_id].append(payment)
        for ops_id, amount in plan.applications:
            _apply_balances(by_id[ops_id], payments[ops_id], invoice, amount, operation)
        bump_version(summary.pk)  # the invoice is paid (in part) from captured funds
    captures = _reserve_captures([(by_id[ops_id], amount) for ops_id, amount in plan.captures], invoice, operation)
    return Prepared(
        {
            **outcome,
            "appliedAmount": text(plan.applied_amount),
            "captureAmount": text(plan.capture_amount),
            "shortfall": text(plan.shortfall),
        },
        captures=captures,
    )


def _apply_balances(
    ops: OrderPaymentSummary,
    payments: list[Payment],
    invoice: Invoice,
    amount: Decimal,
    operation: BackgroundOperation,
) -> None:
    by_id: dict[Hashable, Payment] = {payment.pk: payment for payment in payments}
    for payment_id, taken in exact_else_largest([Source(p.pk, p.balance) for p in payments], amount):
        payment = by_id[payment_id]
        payment.balance -= taken
        payment.save(update_fields=["balance"])
        apply_to_invoice(payment, invoice, taken, background_operation=operation)
        ops.balance_amount -= taken
    ops.save(update_fields=["balance_amount"])


def _reserve_captures(
    plan: list[tuple[OrderPaymentSummary, Decimal]], invoice: Invoice, operation: BackgroundOperation
) -> list[Payment]:
    """Pending captures on the authorizations of each payment summary in the plan (each is in it once), with
    one query per step whatever their number: the authorizations locked, what they captured already, the
    captures inserted (and keyed), the payment summaries updated."""
    if not plan:
        return []
    by_summary: defaultdict[int | None, list[PaymentAuthorization]] = defaultdict(list)
    for auth in get_rows(
        PaymentAuthorization,
        where={"order_payment_summary_id": [ops.pk for ops, _ in plan], "status": "Processed"},
        lock=True,
        no_key=True,
    ):
        by_summary[auth.order_payment_summary_id].append(auth)
    already = money_sums(
        Payment,
        "amount",
        by="authorization_id",
        where={
            "authorization_id": [auth.pk for auths in by_summary.values() for auth in auths],
            "status": [PaymentStatus.PENDING, PaymentStatus.PROCESSED],
        },
    )
    captures = []
    for ops, amount in plan:
        authorizations = by_summary[ops.pk]
        by_id: dict[Hashable, PaymentAuthorization] = {auth.pk: auth for auth in authorizations}
        capturable = [Source(auth.pk, auth.amount - already.get(auth.pk, ZERO)) for auth in authorizations]
        chosen = exact_else_largest(capturable, amount)
        if sum((taken for _, taken in chosen), ZERO) != amount:
            raise InvalidState(f"The authorizations of {ops.display_name} do not cover a capture of {amount}.")
        for auth_id, taken in chosen:
            auth = by_id[auth_id]
            captures.append(
                Payment(
                    order_id=auth.order_id,
                    order_payment_summary=ops,
                    authorization=auth,
                    method=ops.method,
                    type=ops.type,
                    last4=ops.last4,
                    kind=PaymentKind.CAPTURE,
                    amount=taken,
                    balance=ZERO,
                    currency=ops.currency,
                    gateway_token=auth.gateway_token,
                    status=PaymentStatus.PENDING,
                    target_invoice=invoice,
                    background_operation=operation,
                )
            )
            ops.pending_capture_amount += taken
    update_rows([ops for ops, _ in plan], ["pending_capture_amount"])
    insert_with_keys(captures, "capture")
    return captures


def submit_ensure_funds(
    summary_id: int,
    data: EnsureFundsInput,
    *,
    client: ApiClient | None = None,
    user: User | None = None,
    retry_of: BackgroundOperation | None = None,
) -> BackgroundOperation:
    summary = summary_for_submit(summary_id)
    if not Invoice.objects.filter(pk=data.invoice_id, order_summary=summary).exists():
        raise InvalidInput(f"Invoice {data.invoice_id} does not belong to this order summary.", field="invoiceId")
    check_sequences(summary, data.sequences)
    return queue_operation(
        summary, OperationType.ENSURE_FUNDS, data.stored(), client=client, user=user, retry_of=retry_of
    )
