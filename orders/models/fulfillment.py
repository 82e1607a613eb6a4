"""Where goods ship from: locations, their stock, and the fulfillment orders that place items on them."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .fields import Address, MoneyField, QuantityField
from .orders import ItemType
from .summaries import RollupTotals


class LocationType(models.TextChoices):
    WAREHOUSE = "Warehouse"
    STORE = "Store"
    SUPPLIER = "Supplier"


class Location(Address):
    name = models.CharField(max_length=255)
    # The name integrations and the routing resources use for the location.
    external_reference = models.CharField(max_length=255, unique=True)
    location_type = models.CharField(max_length=20, choices=LocationType.choices, default=LocationType.WAREHOUSE)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    is_inventory_location = models.BooleanField(
        default=True, help_text="Holds stock: fulfillment orders reserve and consume its inventory levels."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | (Q(latitude__gte=-90) & Q(latitude__lte=90)),
                name="location_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | (Q(longitude__gte=-180) & Q(longitude__lte=180)),
                name="location_longitude_range",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.external_reference})"


class LocationGroup(models.Model):
    name = models.CharField(max_length=255)
    external_reference = models.CharField(max_length=255, unique=True)
    description = models.CharField(max_length=255, blank=True)
    is_enabled = models.BooleanField(default=True)
    locations = models.ManyToManyField(Location, blank=True, related_name="groups")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class InventoryLevel(models.Model):
    """Stock of one sku at one location; reserved units sit on open fulfillment orders."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="inventory_levels")
    sku = models.CharField(max_length=80)
    quantity_on_hand = QuantityField()
    quantity_reserved = QuantityField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["location_id", "sku"]
        constraints = [
            models.UniqueConstraint(fields=["location", "sku"], name="inventory_level_location_sku_unique"),
            models.CheckConstraint(
                condition=Q(quantity_reserved__gte=0) & Q(quantity_on_hand__gte=F("quantity_reserved")),
                name="inventory_reserved_within_on_hand",
            ),
        ]
        indexes = [models.Index(fields=["sku", "location"], name="inventory_sku_location")]

    def __str__(self):
        return f"{self.sku} @ {self.location_id}: {self.quantity_on_hand} on hand"

    @property
    def quantity_available(self):
        return self.quantity_on_hand - self.quantity_reserved


class FulfillmentOrderType(models.TextChoices):
    WAREHOUSE = "Warehouse"
    RETAIL_STORE = "Retail Store"
    IN_STORE_PICKUP = "In Store Pickup"
    SUPPLIER = "Supplier"
    DOWNLOAD = "Download"
    EMAIL = "Email"


class FulfillmentOrderStatus(models.TextChoices):
    DRAFT = "Draft"
    ALLOCATED = "Allocated"
    ASSIGNED = "Assigned"
    PICKPACK = "Pickpack"
    PICK_COMPLETE = "Pick Complete"
    PRINTED = "Printed"
    READY_FOR_PICKUP = "Ready for Pickup"
    FULFILLED = "Fulfilled"
    PICKED_UP = "Picked Up"
    CANCELLED = "Cancelled"
    REJECTED = "Rejected"


class FulfillmentOrderStatusCategory(models.TextChoices):
    DRAFT = "DRAFT"
    ACTIVATED = "ACTIVATED"
    FULFILLING = "FULFILLING"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"


# DOMAIN.md §5.3. Keyed by the status as stored (a str), which is what callers hold.
STATUS_CATEGORY: dict[str, FulfillmentOrderStatusCategory] = {
    FulfillmentOrderStatus.DRAFT: FulfillmentOrderStatusCategory.DRAFT,
    FulfillmentOrderStatus.ALLOCATED: FulfillmentOrderStatusCategory.ACTIVATED,
    FulfillmentOrderStatus.ASSIGNED: FulfillmentOrderStatusCategory.FULFILLING,
    FulfillmentOrderStatus.PICKPACK: FulfillmentOrderStatusCategory.FULFILLING,
    FulfillmentOrderStatus.PICK_COMPLETE: FulfillmentOrderStatusCategory.FULFILLING,
    FulfillmentOrderStatus.PRINTED: FulfillmentOrderStatusCategory.FULFILLING,
    FulfillmentOrderStatus.READY_FOR_PICKUP: FulfillmentOrderStatusCategory.FULFILLING,
    FulfillmentOrderStatus.FULFILLED: FulfillmentOrderStatusCategory.CLOSED,
    FulfillmentOrderStatus.PICKED_UP: FulfillmentOrderStatusCategory.CLOSED,
    FulfillmentOrderStatus.CANCELLED: FulfillmentOrderStatusCategory.CANCELLED,
    FulfillmentOrderStatus.REJECTED: FulfillmentOrderStatusCategory.REJECTED,
}

FINAL_STATUS_CATEGORIES = (
    FulfillmentOrderStatusCategory.CLOSED,
    FulfillmentOrderStatusCategory.CANCELLED,
    FulfillmentOrderStatusCategory.REJECTED,
)
OPEN_STATUSES = tuple(status for status, category in STATUS_CATEGORY.items() if category not in FINAL_STATUS_CATEGORIES)


class FulfillmentOrder(RollupTotals, Address):
    """The part of an order summary one location ships. Address fields are the recipient's, copied."""

    order_summary = models.ForeignKey(
        "orders.OrderSummary", on_delete=models.PROTECT, related_name="fulfillment_orders"
    )
    delivery_group_summary = models.ForeignKey(
        "orders.OrderDeliveryGroupSummary", on_delete=models.PROTECT, related_name="fulfillment_orders"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="fulfillment_orders")
    type = models.CharField(max_length=20, choices=FulfillmentOrderType.choices, default=FulfillmentOrderType.WAREHOUSE)
    status = models.CharField(
        max_length=20, choices=FulfillmentOrderStatus.choices, default=FulfillmentOrderStatus.ALLOCATED
    )
    status_category = models.CharField(
        max_length=12, choices=FulfillmentOrderStatusCategory.choices, default=FulfillmentOrderStatusCategory.ACTIVATED
    )
    reference_id = models.CharField(max_length=80, blank=True)
    currency = models.CharField(max_length=3)
    recipient_name = models.CharField(max_length=255, blank=True)
    recipient_email = models.EmailField(max_length=254, blank=True)
    recipient_phone = models.CharField(max_length=40, blank=True)
    delivery_method = models.CharField(max_length=80, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    # Issue 15: units sent again at no charge; such a fulfillment order is never invoiced.
    reshipment = models.ForeignKey(
        "orders.Reshipment", null=True, blank=True, on_delete=models.PROTECT, related_name="fulfillment_orders"
    )
    # When a pickup became Ready for Pickup: an unclaimed one is canceled some days later.
    ready_for_pickup_at = models.DateTimeField(null=True, blank=True)
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
        constraints = [
            *RollupTotals.rollup_constraints("fo"),
            models.CheckConstraint(
                condition=(
                    Q(status="Draft", status_category="DRAFT")
                    | Q(status="Allocated", status_category="ACTIVATED")
                    | Q(
                        status__in=["Assigned", "Pickpack", "Pick Complete", "Printed", "Ready for Pickup"],
                        status_category="FULFILLING",
                    )
                    | Q(status__in=["Fulfilled", "Picked Up"], status_category="CLOSED")
                    | Q(status="Cancelled", status_category="CANCELLED")
                    | Q(status="Rejected", status_category="REJECTED")
                ),
                name="fo_status_matches_category",
            ),
        ]
        indexes = [
            models.Index(fields=["order_summary", "created_at"], name="fo_summary_created"),
            models.Index(fields=["location", "status_category"], name="fo_location_category"),
            models.Index(fields=["status_category", "-created_at"], name="fo_category_created"),
            # The list integrations poll pages on it (orders.polling).
            models.Index(fields=["updated_at", "id"], name="fo_modified"),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"FO-{self.pk:08d}" if self.pk else "FO-(new)"

    @property
    def is_reship(self) -> bool:
        return self.reshipment_id is not None

    @property
    def is_final(self) -> bool:
        return self.status_category in FINAL_STATUS_CATEGORIES


class FulfillmentOrderLineItem(models.Model):
    """Units of one item summary on a fulfillment order, with the amounts frozen at allocation (§3.4)."""

    fulfillment_order = models.ForeignKey(FulfillmentOrder, on_delete=models.CASCADE, related_name="lines")
    order_item_summary = models.ForeignKey(
        "orders.OrderItemSummary", on_delete=models.PROTECT, related_name="fulfillment_order_lines"
    )
    type = models.CharField(max_length=20, choices=ItemType.choices, default=ItemType.PRODUCT)
    sku = models.CharField(max_length=80, blank=True)
    name = models.CharField(max_length=255)
    unit_price = MoneyField()
    original_quantity = QuantityField()
    quantity = QuantityField()
    # Units that left in shipments (orders.models.shipments); never more than the line holds.
    quantity_shipped = QuantityField()
    total_line_amount = MoneyField()
    total_line_tax_amount = MoneyField()
    total_adjustment_amount = MoneyField()
    total_adjustment_tax_amount = MoneyField()
    # Of the units taken off the line, those its location refused (reject-items, or the whole order Rejected),
    # and why; every rejection with who and when is a FulfillmentRejection.
    quantity_rejected = QuantityField(default=0)
    rejection_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=0) & Q(quantity__lte=F("original_quantity")),
                name="fo_line_quantity_within_original",
            ),
            models.CheckConstraint(
                condition=Q(quantity_rejected__gte=0)
                & Q(quantity_rejected__lte=F("original_quantity") - F("quantity")),
                name="fo_line_rejected_within_taken_off",
            ),
            models.CheckConstraint(
                condition=Q(quantity_shipped__gte=0) & Q(quantity_shipped__lte=F("quantity")),
                name="fo_line_shipped_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(total_line_amount__gte=0) & Q(total_line_tax_amount__gte=0),
                name="fo_line_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total_adjustment_amount__lte=0) & Q(total_adjustment_tax_amount__lte=0),
                name="fo_line_adjustments_not_positive",
            ),
        ]

    def __str__(self):
        return f"{self.name} × {self.quantity}"

    @property
    def quantity_canceled(self):
        return self.original_quantity - self.quantity

    @property
    def quantity_to_ship(self):
        return self.quantity - self.quantity_shipped

    @property
    def total_price(self):
        return self.total_line_amount + self.total_adjustment_amount

    @property
    def total_tax_amount(self):
        return self.total_line_tax_amount + self.total_adjustment_tax_amount

    @property
    def is_product(self) -> bool:
        return self.type == ItemType.PRODUCT
