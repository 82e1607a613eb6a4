"""Shipments: the parcels a fulfillment order leaves in, with the carrier's tracking (issue 17 point 4).

A fulfillment order may ship in several parcels; each shipment says which units of which lines it
carries. What the lines have shipped so far is kept on the line itself (`quantity_shipped`), so the
database can refuse shipping more than a line holds whatever path writes it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .fields import QuantityField


class Shipment(models.Model):
    fulfillment_order = models.ForeignKey("orders.FulfillmentOrder", on_delete=models.PROTECT, related_name="shipments")
    # Denormalized from the fulfillment order: lists and channel checks filter on it without a join.
    order_summary = models.ForeignKey("orders.OrderSummary", on_delete=models.PROTECT, related_name="shipments")
    carrier = models.CharField(max_length=80, blank=True)
    service = models.CharField(max_length=80, blank=True, help_text="The carrier's service level (Ground, Express).")
    tracking_number = models.CharField(max_length=120, blank=True)
    tracking_url = models.URLField(max_length=2000, blank=True)
    shipped_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_client = models.ForeignKey(
        "orders.ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_modified = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["shipped_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(delivered_at__isnull=True) | Q(delivered_at__gte=models.F("shipped_at")),
                name="shipment_delivered_after_shipped",
            ),
        ]
        indexes = [models.Index(fields=["fulfillment_order", "shipped_at"], name="shipment_fo_shipped")]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"SH-{self.pk:08d}" if self.pk else "SH-(new)"


class ShipmentLineItem(models.Model):
    """Units of one fulfillment-order line in a shipment."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    fulfillment_order_line = models.ForeignKey(
        "orders.FulfillmentOrderLineItem", on_delete=models.PROTECT, related_name="shipment_lines"
    )
    quantity = QuantityField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_quantity_positive"),
            models.UniqueConstraint(fields=["shipment", "fulfillment_order_line"], name="shipment_line_once"),
        ]

    def __str__(self):
        return f"{self.fulfillment_order_line_id} × {self.quantity}"
