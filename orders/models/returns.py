"""Returns with a return order (RMA): units expected back, then received and processed line by line."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .fields import QuantityField


class ReturnOrderStatus(models.TextChoices):
    DRAFT = "Draft"
    SUBMITTED = "Submitted"
    APPROVED = "Approved"
    CLOSED = "Closed"
    CANCELED = "Canceled"


class ReturnOrderLifeCycleType(models.TextChoices):
    MANAGED = "Managed"
    # A reference copy kept for tracking: it never touches quantities or money.
    UNMANAGED = "Unmanaged"


class ReturnOrder(models.Model):
    order_summary = models.ForeignKey("orders.OrderSummary", on_delete=models.PROTECT, related_name="return_orders")
    status = models.CharField(max_length=12, choices=ReturnOrderStatus.choices, default=ReturnOrderStatus.SUBMITTED)
    life_cycle_type = models.CharField(
        max_length=10, choices=ReturnOrderLifeCycleType.choices, default=ReturnOrderLifeCycleType.MANAGED
    )
    expected_arrival_date = models.DateTimeField(null=True, blank=True)
    destination_location = models.ForeignKey(
        "orders.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="return_orders"
    )
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_client = models.ForeignKey(
        "orders.ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["order_summary", "created_at"], name="ro_summary_created"),
            # The list integrations poll pages on it (orders.polling).
            models.Index(fields=["updated_at", "id"], name="ro_modified"),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"RO-{self.pk:08d}" if self.pk else "RO-(new)"

    @property
    def is_managed(self) -> bool:
        return self.life_cycle_type == ReturnOrderLifeCycleType.MANAGED


class ReturnOrderLineItem(models.Model):
    """Units of one item summary expected back. Once processed the line is read-only; what was still
    expected moves to a new line split from it."""

    return_order = models.ForeignKey(ReturnOrder, on_delete=models.CASCADE, related_name="lines")
    order_item_summary = models.ForeignKey(
        "orders.OrderItemSummary", on_delete=models.PROTECT, related_name="return_order_lines"
    )
    quantity_expected = QuantityField()
    quantity_received = QuantityField()
    quantity_returned = QuantityField()
    quantity_rejected = QuantityField()
    quantity_canceled = QuantityField()
    reason_for_return = models.CharField(max_length=80, blank=True)
    reason_for_rejection = models.CharField(max_length=255, blank=True)
    can_reduce_shipping = models.BooleanField(default=False)
    is_processed = models.BooleanField(default=False)
    processed_at = models.DateTimeField(null=True, blank=True)
    split_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="split_lines")
    change_order_item = models.ForeignKey(
        "orders.OrderItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="return_order_lines"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_expected__gte=0)
                & Q(quantity_received__gte=0)
                & Q(quantity_returned__gte=0)
                & Q(quantity_rejected__gte=0)
                & Q(quantity_canceled__gte=0),
                name="rol_quantities_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    quantity_expected__gte=F("quantity_returned") + F("quantity_rejected") + F("quantity_canceled")
                ),
                name="rol_processed_within_expected",
            ),
            models.CheckConstraint(
                condition=Q(quantity_received__gte=F("quantity_rejected")),
                name="rol_rejected_within_received",
            ),
        ]

    def __str__(self):
        return f"{self.order_item_summary_id} × {self.quantity_expected}"


class ReturnOrderLineItemFee(models.Model):
    """A fee (restocking, return shipping) charged on the units of a return order line that come back
    (issue 15): the fee rules of a cancel or return (DOMAIN.md §3.2a). A percentage is of the units returned
    each time the line is processed; a fixed amount is shared by the line's units, each processing taking
    the share of the units it returns, and what is still expected keeps the rest on its split line."""

    line = models.ForeignKey(ReturnOrderLineItem, on_delete=models.CASCADE, related_name="fees")
    amount = models.DecimalField(max_digits=14, decimal_places=4)
    amount_type = models.CharField(
        max_length=20,
        choices=[(name, name) for name in ("AmountWithoutTax", "AmountWithTax", "Percentage", "PercentageGross")],
    )
    description = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="rol_fee_amount_positive"),
        ]

    def __str__(self):
        return f"{self.amount_type} {self.amount}"
