"""Order ingest as a storefront calls it: the order, its summary and its checkout payments, at once.

This composes the orders app's ingest with the payment records, in one transaction: either all of
it is written or none of it.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from orders.automation import order_summaries_created, order_summary_created
from orders.db import insert_rows
from orders.errors import ServiceError
from orders.ingest_input import OrderInput, PaymentInput
from orders.models import ApiClient, OrderSummary
from orders.money import ZERO
from orders.services.ingest import (
    SummarySpec,
    build_order_summaries,
    build_order_summary,
    create_order,
    create_orders,
    duplicate_order_error,
    existing_order_error,
    existing_orders,
    resolve_sales_channel,
)
from orders.services.ingest_validation import validate_order
from payments.models import (
    AuthorizationStatus,
    OrderPaymentSummary,
    Payment,
    PaymentAuthorization,
    PaymentKind,
    PaymentStatus,
)


@dataclass
class IngestResult:
    order_id: int
    order_summary_id: int | None
    order_payment_summary_ids: list[int] = field(default_factory=list)
    order_summary: OrderSummary | None = None


def ingest_order(
    data: OrderInput,
    *,
    client: ApiClient | None = None,
    before_commit: Callable[[IngestResult], None] | None = None,
) -> IngestResult:
    """Write the order, its summary and its checkout payments in one transaction.

    An order number already used in the channel answers DuplicateOrder with the existing ids. It is not
    asked about beforehand: the order's unique index refuses the first insert of the transaction, which
    is then rolled back, and only then are the existing ids read (one query less for every new order).
    `before_commit` runs inside the transaction with the result, so what it writes (the API's answer for
    the Idempotency-Key) is committed with the order, or not at all.
    """
    channel = resolve_sales_channel(data.sales_channel, client)
    computed = validate_order(data)
    try:
        with transaction.atomic():
            created = create_order(computed, channel=channel, client=client)
            summary = None
            if data.create_order_summary:
                summary = build_order_summary(
                    created,
                    life_cycle_type=data.life_cycle_type,
                    name=data.name,
                    external_reference=data.external_reference,
                )
            payment_summaries = record_checkout_payments(created.order, summary, data.payments)
            if summary is not None:
                summary.sales_channel = channel  # its event renders the channel's name: no query for it
                order_summary_created(summary)  # routing, recorded with the order (outbox)
            result = IngestResult(
                order_id=created.order.pk,
                order_summary_id=summary.pk if summary else None,
                order_payment_summary_ids=[ops.pk for ops in payment_summaries],
                order_summary=summary,
            )
            if before_commit is not None:
                before_commit(result)
    except IntegrityError:
        # The number is taken (before this request, or by a concurrent one): answer as a duplicate.
        duplicate = existing_order_error(channel, data.order_number)
        if duplicate:
            raise duplicate from None
        raise
    return result


def record_checkout_payments(order, summary, payments: tuple[PaymentInput, ...]) -> list[OrderPaymentSummary]:
    """Authorizations and sales taken at checkout; with a summary, one payment summary per method.

    A sale counts as authorized and captured at once, so authorized ≥ captured holds for every method.
    """
    return record_checkout_payments_of([(order, summary, payments)])[0]


def record_checkout_payments_of(orders: list[tuple]) -> list[list[OrderPaymentSummary]]:
    """record_checkout_payments for several (order, summary, payments) at once: one insert per table."""
    summaries_of: list[dict[str, OrderPaymentSummary]] = []
    for order, summary, payments in orders:
        by_method: dict[str, list[PaymentInput]] = defaultdict(list)
        for payment in payments:
            by_method[payment.method].append(payment)
        summaries: dict[str, OrderPaymentSummary] = {}
        if summary is not None:
            for method, group in by_method.items():
                sold = sum((p.amount for p in group if p.kind == "sale"), ZERO)
                summaries[method] = OrderPaymentSummary(
                    order_summary_id=summary.pk,
                    method=method,
                    type=group[0].type,
                    last4=group[0].last4,
                    currency=order.currency,
                    authorization_amount=sum((p.amount for p in group), ZERO),
                    captured_amount=sold,
                    balance_amount=sold,
                )
        summaries_of.append(summaries)
    insert_rows([ops for summaries in summaries_of for ops in summaries.values()])

    insert_rows(
        [
            PaymentAuthorization(
                order_payment_summary_id=_pk(summaries.get(p.method)),
                method=p.method,
                type=p.type,
                last4=p.last4,
                amount=p.amount,
                gateway_token=p.gateway_token,
                gateway_reference=p.gateway_reference,
                expires_at=p.expires_at,
                status=AuthorizationStatus.PROCESSED,
                order_id=order.pk,
                currency=order.currency,
            )
            for (order, _, payments), summaries in zip(orders, summaries_of, strict=True)
            for p in payments
            if p.kind == "authorization"
        ]
    )
    insert_rows(
        [
            Payment(
                order_payment_summary_id=_pk(summaries.get(p.method)),
                method=p.method,
                type=p.type,
                last4=p.last4,
                kind=PaymentKind.SALE,
                amount=p.amount,
                balance=p.amount,
                gateway_token=p.gateway_token,
                gateway_reference=p.gateway_reference,
                status=PaymentStatus.PROCESSED,
                order_id=order.pk,
                currency=order.currency,
            )
            for (order, _, payments), summaries in zip(orders, summaries_of, strict=True)
            for p in payments
            if p.kind == "sale"
        ]
    )
    return [list(summaries.values()) for summaries in summaries_of]


def _pk(record) -> int | None:
    return record.pk if record is not None else None


def ingest_orders(orders: list[OrderInput], *, client: ApiClient | None = None) -> list[IngestResult | ServiceError]:
    """Several orders, each checked on its own, the valid ones written together: one insert per table for
    all of them instead of one per order (POST /commerce/orders/batch).

    Returns, in order, each one's result or the error that refused it. The caller holds the transaction.
    The same checks as `ingest_order`: channel, computed totals, duplicate numbers (in the database and
    within the list). If the joint write meets a unique constraint (another request took a number in
    between), every order is ingested alone instead, each answering for itself.
    """
    outcomes: list[IngestResult | ServiceError | None] = [None] * len(orders)
    ready: list[tuple[int, OrderInput, object, object]] = []
    alone: list[int] = []
    channels: dict[str | None, object] = {}
    numbers: set[tuple[int, str]] = set()
    for index, data in enumerate(orders):
        try:
            if data.sales_channel not in channels:
                channels[data.sales_channel] = resolve_sales_channel(data.sales_channel, client)
            channel = channels[data.sales_channel]
            computed = validate_order(data)
        except ServiceError as exc:
            outcomes[index] = exc
            continue
        if (channel.pk, data.order_number) in numbers:
            alone.append(index)  # written after the first, it meets it as a duplicate
            continue
        numbers.add((channel.pk, data.order_number))
        ready.append((index, data, channel, computed))

    existing = existing_orders([(channel, data.order_number) for _, data, channel, _ in ready])
    writable = []
    for index, data, channel, computed in ready:
        found = existing.get((channel.pk, data.order_number))
        if found:
            outcomes[index] = duplicate_order_error(channel, data.order_number, *found)
        else:
            writable.append((index, data, channel, computed))

    try:
        with transaction.atomic():
            created = create_orders([(computed, channel) for _, _, channel, computed in writable], client=client)
            build_order_summaries(
                [
                    (order, SummarySpec(data.life_cycle_type, data.name, data.external_reference))
                    for order, (_, data, _, _) in zip(created, writable, strict=True)
                    if data.create_order_summary
                ]
            )
            payment_summaries = record_checkout_payments_of(
                [
                    (order.order, order.summary, data.payments)
                    for order, (_, data, _, _) in zip(created, writable, strict=True)
                ]
            )
            for order, (_, _, channel, _) in zip(created, writable, strict=True):
                if order.summary is not None:
                    order.summary.sales_channel = channel  # the event renders its name: no query for it
            # Hold rules (read once for the batch) and routing, recorded with the orders (outbox).
            order_summaries_created([order.summary for order in created if order.summary is not None])
    except IntegrityError:
        alone = [index for index, *_ in writable] + alone
    else:
        for order, (index, _, _, _), ops in zip(created, writable, payment_summaries, strict=True):
            outcomes[index] = IngestResult(
                order_id=order.order.pk,
                order_summary_id=order.summary.pk if order.summary else None,
                order_payment_summary_ids=[summary.pk for summary in ops],
                order_summary=order.summary,
            )
    for index in sorted(alone):
        try:
            outcomes[index] = ingest_order(orders[index], client=client)
        except ServiceError as exc:
            outcomes[index] = exc
    return outcomes
