"""The payments taken at checkout, written with the order that carries them (orders.services.ingest, through
the payments link): authorizations and sales, and with a summary one order payment summary per method."""

from collections import defaultdict

from orders.ingest_input import PaymentInput
from orders.models import Order, OrderSummary
from orders.money import ZERO
from orders.services.ingest_statement import insert_rows
from payments.models import (
    AuthorizationStatus,
    OrderPaymentSummary,
    Payment,
    PaymentAuthorization,
    PaymentKind,
    PaymentStatus,
)


def record_checkout_payments(
    orders: list[tuple[Order, OrderSummary | None, tuple[PaymentInput, ...]]],
) -> list[list[OrderPaymentSummary]]:
    """Each (order, summary, payments)'s payment records, one insert per table for all of them (or kept for
    the caller's one statement: orders.services.ingest_statement); returns each order's payment summaries.

    A sale counts as authorized and captured at once, so authorized ≥ captured holds for every method.
    """
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


def _pk(record: OrderPaymentSummary | None) -> int | None:
    return record.pk if record is not None else None
