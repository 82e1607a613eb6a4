"""Hooks the order side calls once its change is committed (DOMAIN.md §4.3), each switchable by a
setting; they enqueue the payment tasks. Orders must not import payments, so the orders automation
module looks these up by name (as it does routing)."""

from django.conf import settings
from django.db import transaction


def fulfillment_order_fulfilled(fulfillment_order) -> None:
    if not settings.OMS_AUTO_INVOICE_AND_CAPTURE:
        return
    from payments.tasks import invoice_and_capture

    ids = (fulfillment_order.pk, fulfillment_order.order_summary_id)
    transaction.on_commit(lambda: invoice_and_capture.delay(*ids))


def post_fulfillment_reduction_submitted(summary_id: int, change_order_ids: list[int]) -> None:
    """A return or post-fulfillment discount submitted by an agent."""
    if not settings.OMS_AUTO_CREDIT_AND_REFUND:
        return
    from payments.tasks import credit_and_refund

    transaction.on_commit(lambda: credit_and_refund.delay(summary_id, list(change_order_ids)))


def pre_fulfillment_reduction_submitted(summary_id: int) -> None:
    """A cancel or pre-fulfillment discount: captured funds beyond what is owed go back."""
    if not settings.OMS_AUTO_CREDIT_AND_REFUND:
        return
    from payments.tasks import refund_excess

    transaction.on_commit(lambda: refund_excess.delay(summary_id))
