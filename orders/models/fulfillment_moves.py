"""What was done to a fulfillment order and by whom, as it was at the time (issue 13 point 8): the order
page's timeline reads these rows and never recomputes an amount from today's figures."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .fields import MoneyField, QuantityField


class FulfillmentMoveKind(models.TextChoices):
    STATUS = "status", "Status change"
    LINE_CANCEL = "line_cancel", "Line cancel"


class FulfillmentOrderMove(models.Model):
    """One status change or one canceled line of a fulfillment order, written by the service that made it
    in the same transaction. `amount` is the fulfillment order's grand total before a status change, or
    the canceled units' share of the line (with tax and adjustments) for a line cancel."""

    fulfillment_order = models.ForeignKey("orders.FulfillmentOrder", on_delete=models.CASCADE, related_name="moves")
    kind = models.CharField(max_length=20, choices=FulfillmentMoveKind.choices)
    from_status = models.CharField(max_length=40)
    to_status = models.CharField(max_length=40)
    # Line cancels only: which line, how many units (the name as it read then).
    fulfillment_order_line = models.ForeignKey(
        "orders.FulfillmentOrderLineItem", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    line_name = models.CharField(max_length=255, blank=True)
    quantity = QuantityField(null=True, blank=True, default=None)
    amount = MoneyField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_client = models.ForeignKey(
        "orders.ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="status", fulfillment_order_line__isnull=True, quantity__isnull=True)
                | Q(kind="line_cancel", fulfillment_order_line__isnull=False, quantity__gt=0),
                name="fo_move_line_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of fulfillment order {self.fulfillment_order_id}: {self.to_status}"
