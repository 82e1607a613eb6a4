"""The original order and its change orders: immutable records, amounts as signed deltas on changes."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .fields import Address, MoneyField, QuantityField


class OrderKind(models.TextChoices):
    ORIGINAL = "Original"
    CHANGE = "Change"


class ChangeType(models.TextChoices):
    CANCEL = "Cancel"
    RETURN = "Return"
    ADJUST = "Adjust"
    FEE = "Fee"


class FulfillmentPhase(models.TextChoices):
    PRE = "Pre"
    IN = "In"
    POST = "Post"


class TaxLocaleType(models.TextChoices):
    NET = "Net"
    GROSS = "Gross"


class ItemType(models.TextChoices):
    PRODUCT = "Order Product"
    DELIVERY_CHARGE = "Delivery Charge"
    FEE = "Fee"


class Order(Address):
    """An original order as placed, or a change order recording signed deltas against a summary.

    Address fields are the billing address.
    """

    kind = models.CharField(max_length=10, choices=OrderKind.choices, default=OrderKind.ORIGINAL)
    order_number = models.CharField(max_length=80)
    sales_channel = models.ForeignKey("orders.SalesChannel", on_delete=models.PROTECT, related_name="orders")
    currency = models.CharField(max_length=3)
    tax_locale_type = models.CharField(max_length=5, choices=TaxLocaleType.choices, default=TaxLocaleType.NET)
    ordered_date = models.DateTimeField()
    status = models.CharField(max_length=20, default="Activated")
    external_reference = models.CharField(max_length=255, blank=True)

    bill_to_name = models.CharField(max_length=255, blank=True)
    bill_to_email = models.EmailField(max_length=254, blank=True)
    bill_to_phone = models.CharField(max_length=40, blank=True)

    # Change orders only.
    order_summary = models.ForeignKey(
        "orders.OrderSummary", null=True, blank=True, on_delete=models.PROTECT, related_name="change_orders"
    )
    change_type = models.CharField(max_length=10, choices=ChangeType.choices, blank=True)
    fulfillment_phase = models.CharField(max_length=4, choices=FulfillmentPhase.choices, blank=True)
    reason = models.CharField(max_length=80, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_client = models.ForeignKey(
        "orders.ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Totals of the order's own lines (signed deltas on a change order).
    total_amount = MoneyField()
    total_tax_amount = MoneyField()
    grand_total_amount = MoneyField()

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sales_channel", "order_number"],
                condition=models.Q(kind="Original"),
                name="order_number_unique_per_channel",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="Original", order_summary__isnull=True)
                | models.Q(kind="Change", order_summary__isnull=False),
                name="change_order_has_summary",
            ),
        ]
        indexes = [models.Index(fields=["order_summary", "created_at"])]

    def __str__(self):
        return self.order_number

    @property
    def is_post_fulfillment_reduction(self) -> bool:
        """Returns and post-fulfillment discounts: the customer is owed money back through a credit memo."""
        return self.kind == OrderKind.CHANGE and (
            self.change_type == ChangeType.RETURN
            or (self.change_type == ChangeType.ADJUST and self.fulfillment_phase == FulfillmentPhase.POST)
        )


class DeliveryMethodType(models.TextChoices):
    SHIP = "Ship"
    PICKUP = "Pickup"


class OrderDeliveryGroup(Address):
    """Address fields are the recipient's."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="delivery_groups")
    reference_id = models.CharField(max_length=80, blank=True)
    recipient_name = models.CharField(max_length=255)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    delivery_method = models.CharField(max_length=80, blank=True)
    delivery_method_type = models.CharField(
        max_length=10, choices=DeliveryMethodType.choices, default=DeliveryMethodType.SHIP
    )
    # A Pickup group's store (pickupLocationExternalReference at ingest).
    pickup_location = models.ForeignKey(
        "orders.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    desired_delivery_date = models.DateField(null=True, blank=True)
    is_gift = models.BooleanField(default=False)
    gift_message = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(delivery_method_type="Ship", pickup_location__isnull=True)
                | Q(delivery_method_type="Pickup", pickup_location__isnull=False),
                name="odg_pickup_has_location",
            ),
        ]

    def __str__(self):
        return f"{self.recipient_name} ({self.delivery_method})"


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    delivery_group = models.ForeignKey(OrderDeliveryGroup, on_delete=models.PROTECT, related_name="items")
    # On a change order: the original (or fee) item this delta applies to, through its summary.
    order_item_summary = models.ForeignKey(
        "orders.OrderItemSummary", null=True, blank=True, on_delete=models.PROTECT, related_name="change_items"
    )
    line_number = models.PositiveIntegerField(default=1)
    type = models.CharField(max_length=20, choices=ItemType.choices, default=ItemType.PRODUCT)
    sku = models.CharField(max_length=80, blank=True)
    name = models.CharField(max_length=255)
    product_reference = models.CharField(max_length=255, blank=True)
    quantity = QuantityField()
    unit_price = MoneyField()
    list_price = MoneyField(null=True, blank=True)
    line_amount = MoneyField()
    # Sums of this item's own adjustment and tax lines, kept with the item for roll-ups.
    line_tax_amount = MoneyField()
    adjustment_amount = MoneyField()
    adjustment_tax_amount = MoneyField()

    class Meta:
        ordering = ["line_number", "id"]

    def __str__(self):
        return f"{self.name} × {self.quantity}"


class AdjustmentSource(models.TextChoices):
    ITEM = "Item", "Item-level promotion"
    DISTRIBUTED = "Distributed", "Distributed order-level promotion"
    CHANGE = "Change", "Change (proration or price adjustment)"


class OrderItemAdjustmentLine(models.Model):
    order_item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="adjustment_lines")
    name = models.CharField(max_length=255)
    promotion_code = models.CharField(max_length=80, blank=True)
    source = models.CharField(max_length=12, choices=AdjustmentSource.choices, default=AdjustmentSource.ITEM)
    amount = MoneyField()

    def __str__(self):
        return f"{self.name} {self.amount}"


class OrderItemTaxLine(models.Model):
    """Tax on an item's line amount, or (when adjustment_line is set) on one of its adjustments."""

    order_item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="tax_lines")
    adjustment_line = models.ForeignKey(
        OrderItemAdjustmentLine, null=True, blank=True, on_delete=models.CASCADE, related_name="tax_lines"
    )
    name = models.CharField(max_length=255)
    rate = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True, help_text="percent")
    amount = MoneyField()

    def __str__(self):
        return f"{self.name} {self.amount}"
