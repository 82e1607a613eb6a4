"""Reshipments (issue 15): fulfilled units sent again at no charge, lost or damaged in transit.

A reshipment records who reshipped which units and why; its fulfillment orders (FulfillmentOrder.reshipment)
carry the units at zero amounts, reserve stock like any fulfillment order and are never invoiced. The item
summary counts the units in QuantityReshipped, never in QuantityAllocated or QuantityFulfilled: those units
were sold, allocated and shipped once already.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .fields import QuantityField


class Reshipment(models.Model):
    order_summary = models.ForeignKey("orders.OrderSummary", on_delete=models.PROTECT, related_name="reshipments")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_client = models.ForeignKey(
        "orders.ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order_summary", "created_at"], name="reship_summary_created")]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"RS-{self.pk:08d}" if self.pk else "RS-(new)"

    @property
    def actor(self) -> str:
        if self.created_by_id:
            return self.created_by.get_username()
        if self.created_by_client_id:
            return f"api:{self.created_by_client.name}"
        return "system"


class ReshipmentItem(models.Model):
    reshipment = models.ForeignKey(Reshipment, on_delete=models.CASCADE, related_name="items")
    order_item_summary = models.ForeignKey(
        "orders.OrderItemSummary", on_delete=models.PROTECT, related_name="reshipment_items"
    )
    quantity = QuantityField()
    reason = models.CharField(max_length=80)
    reason_text = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reship_item_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.order_item_summary_id} × {self.quantity}"
