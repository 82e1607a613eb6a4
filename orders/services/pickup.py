"""Unclaimed pickups (issue 16): an In Store Pickup left Ready for Pickup too long goes back to stock.

After OMS_PICKUP_UNCLAIMED_DAYS days (0: never) the fulfillment order is Cancelled, which releases the
store's reservation, and its units are canceled on the order summary with a Cancel change order, so
they are neither routed again nor billed. A pickup collected meanwhile is left alone.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.calculations.inputs import ChangeItemInput
from orders.errors import ServiceError
from orders.models import FulfillmentOrder, FulfillmentOrderStatus, FulfillmentOrderType, ItemType
from orders.services.cancel import submit_cancel
from orders.services.fulfillment_status import change_fulfillment_order_status

logger = logging.getLogger(__name__)

UNCLAIMED_REASON = "Unknown"


def unclaimed_pickup_ids(now: datetime | None = None) -> list[int]:
    days = settings.OMS_PICKUP_UNCLAIMED_DAYS
    if days <= 0:
        return []
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return list(
        FulfillmentOrder.objects.filter(
            type=FulfillmentOrderType.IN_STORE_PICKUP,
            status=FulfillmentOrderStatus.READY_FOR_PICKUP,
            ready_for_pickup_at__lt=cutoff,
        )
        .order_by("ready_for_pickup_at", "id")
        .values_list("pk", flat=True)
    )


def cancel_unclaimed_pickup(fulfillment_order_id: int) -> bool:
    """Cancel one unclaimed pickup and its units; False when it is no longer waiting (collected, canceled)."""
    with transaction.atomic():
        order = FulfillmentOrder.objects.filter(pk=fulfillment_order_id).first()
        if order is None or order.status != FulfillmentOrderStatus.READY_FOR_PICKUP:
            return False
        waiting = [
            (line.order_item_summary_id, line.quantity)
            for line in order.lines.all()
            if line.type == ItemType.PRODUCT and line.quantity > 0
        ]
        order = change_fulfillment_order_status(order.pk, FulfillmentOrderStatus.CANCELLED)
        if order.status != FulfillmentOrderStatus.CANCELLED:
            return False
        days = settings.OMS_PICKUP_UNCLAIMED_DAYS
        submit_cancel(
            order.order_summary_id,
            [
                ChangeItemInput(
                    ois_id,
                    quantity,
                    UNCLAIMED_REASON,
                    reason_text=f"Not collected at {order.location.name} within {days} days",
                )
                for ois_id, quantity in waiting
            ],
            actor=None,
        )
    return True


def cancel_unclaimed_pickups(now: datetime | None = None) -> list[int]:
    """Every pickup waiting longer than the setting allows; each on its own (one failing stops no other)."""
    canceled = []
    for pk in unclaimed_pickup_ids(now):
        try:
            if cancel_unclaimed_pickup(pk):
                canceled.append(pk)
        except ServiceError as error:
            logger.warning("Unclaimed pickup %s could not be canceled: %s", pk, error.message)
    return canceled
