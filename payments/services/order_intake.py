"""Order ingest as a storefront calls it: the order, its summary and its checkout payments, at once.

This composes the orders app's ingest with the payment records, in one transaction: either all of
it is written or none of it.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from orders.automation import order_summary_created
from orders.ingest_input import OrderInput, PaymentInput
from orders.models import ApiClient, OrderSummary
from orders.money import ZERO
from orders.services.ingest import (
    build_order_summary,
    create_order,
    existing_order_error,
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


def ingest_order(data: OrderInput, *, client: ApiClient | None = None) -> IngestResult:
    channel = resolve_sales_channel(data.sales_channel, client)
    computed = validate_order(data)
    duplicate = existing_order_error(channel, data.order_number)
    if duplicate:
        raise duplicate
    try:
        with transaction.atomic():
            created = create_order(computed, channel=channel, client=client)
            summary = None
            if data.create_order_summary:
                summary = build_order_summary(
                    created, life_cycle_type=data.life_cycle_type, name=data.name,
                    external_reference=data.external_reference,
                )
            payment_summaries = record_checkout_payments(created.order, summary, data.payments)
    except IntegrityError:
        # Two requests raced on the same order number: the loser answers as a duplicate.
        duplicate = existing_order_error(channel, data.order_number)
        if duplicate:
            raise duplicate from None
        raise
    if summary is not None:
        order_summary_created(summary)
    return IngestResult(
        order_id=created.order.pk,
        order_summary_id=summary.pk if summary else None,
        order_payment_summary_ids=[ops.pk for ops in payment_summaries],
        order_summary=summary,
    )


def record_checkout_payments(order, summary, payments: tuple[PaymentInput, ...]) -> list[OrderPaymentSummary]:
    """Authorizations and sales taken at checkout; with a summary, one payment summary per method.

    A sale counts as authorized and captured at once, so authorized ≥ captured holds for every method.
    """
    by_method: dict[str, list[PaymentInput]] = defaultdict(list)
    for payment in payments:
        by_method[payment.method].append(payment)

    summaries: dict[str, OrderPaymentSummary] = {}
    if summary is not None:
        for method, group in by_method.items():
            sold = sum((p.amount for p in group if p.kind == "sale"), ZERO)
            summaries[method] = OrderPaymentSummary(
                order_summary=summary,
                method=method,
                type=group[0].type,
                last4=group[0].last4,
                currency=order.currency,
                authorization_amount=sum((p.amount for p in group), ZERO),
                captured_amount=sold,
                balance_amount=sold,
            )
        OrderPaymentSummary.objects.bulk_create(list(summaries.values()))

    common = {"order": order, "currency": order.currency}
    PaymentAuthorization.objects.bulk_create(
        [
            PaymentAuthorization(
                order_payment_summary=summaries.get(p.method), method=p.method, type=p.type, last4=p.last4,
                amount=p.amount, gateway_token=p.gateway_token, gateway_reference=p.gateway_reference,
                expires_at=p.expires_at, status=AuthorizationStatus.PROCESSED, **common,
            )
            for p in payments
            if p.kind == "authorization"
        ]
    )
    Payment.objects.bulk_create(
        [
            Payment(
                order_payment_summary=summaries.get(p.method), method=p.method, type=p.type, last4=p.last4,
                kind=PaymentKind.SALE, amount=p.amount, balance=p.amount, gateway_token=p.gateway_token,
                gateway_reference=p.gateway_reference, status=PaymentStatus.PROCESSED, **common,
            )
            for p in payments
            if p.kind == "sale"
        ]
    )
    return list(summaries.values())
