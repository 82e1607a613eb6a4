"""Gather an authorization, or payments of one method, into a new order payment summary
(POST /commerce/order-management/order-payment-summaries)."""

from collections.abc import Sequence

from django.db import transaction

from orders.errors import InvalidInput, InvalidState, NotFound
from orders.money import ZERO
from payments.models import OrderPaymentSummary, Payment, PaymentAuthorization, PaymentStatus

from .locks import lock_summary


def create_payment_summary(
    summary_id: int, *, authorization_id: int | None = None, payment_ids: Sequence[int] | None = None
) -> OrderPaymentSummary:
    with transaction.atomic():
        summary = lock_summary(summary_id)
        order_id = summary.original_order_id
        template: PaymentAuthorization | Payment
        if authorization_id is not None:
            authorization = (
                PaymentAuthorization.objects.select_for_update().filter(pk=authorization_id, order_id=order_id).first()
            )
            if authorization is None:
                raise NotFound(f"Payment authorization {authorization_id} does not belong to this order summary.")
            if authorization.order_payment_summary_id is not None:
                raise InvalidState(
                    "This authorization already belongs to an order payment summary.", field="paymentAuthorizationId"
                )
            payments = list(
                Payment.objects.select_for_update().filter(
                    authorization=authorization, order_payment_summary__isnull=True
                )
            )
            template, authorized = authorization, authorization.amount
            authorizations = [authorization]
        else:
            ids = payment_ids or ()
            payments = list(Payment.objects.select_for_update().filter(pk__in=ids, order_id=order_id))
            found = {payment.pk for payment in payments}
            for index, pk in enumerate(ids):
                if pk not in found:
                    raise InvalidInput(
                        f"Payment {pk} does not belong to this order summary.", field=f"paymentIds[{index}]"
                    )
            if any(payment.order_payment_summary_id for payment in payments):
                raise InvalidState("A payment already belongs to an order payment summary.", field="paymentIds")
            if len({payment.method for payment in payments}) > 1:
                raise InvalidInput("The payments must share one payment method.", field="paymentIds")
            template, authorizations = payments[0], []
            # A sale counts as authorized and captured at once.
            authorized = sum((payment.amount for payment in payments), ZERO)
        if template.currency != summary.currency:
            raise InvalidInput(f"The payment is in {template.currency}; the order summary in {summary.currency}.")
        processed = [payment for payment in payments if payment.status == PaymentStatus.PROCESSED]
        ops = OrderPaymentSummary.objects.create(
            order_summary=summary,
            method=template.method,
            type=template.type,
            last4=template.last4,
            currency=summary.currency,
            authorization_amount=authorized,
            captured_amount=sum((p.amount for p in processed), ZERO),
            refunded_amount=sum((p.refunded_amount for p in processed), ZERO),
            balance_amount=sum((p.balance for p in processed), ZERO),
        )
        PaymentAuthorization.objects.filter(pk__in=[a.pk for a in authorizations]).update(order_payment_summary=ops)
        Payment.objects.filter(pk__in=[p.pk for p in payments]).update(order_payment_summary=ops)
    return ops
