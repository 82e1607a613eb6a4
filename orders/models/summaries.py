"""The living view of an order: summaries updated by every change, with invariants in the database."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from orders.money import with_tax

from .fields import Address, MoneyField, QuantityField
from .orders import DeliveryMethodType, ItemType, TaxLocaleType


class LifeCycleType(models.TextChoices):
    MANAGED = "MANAGED"
    UNMANAGED = "UNMANAGED"


class OrderSummaryStatus(models.TextChoices):
    CREATED = "Created"
    WAITING_TO_FULFILL = "Waiting to Fulfill"
    FULFILLED = "Fulfilled"
    CANCELED = "Canceled"
    RETURNED = "Returned"


class ItemStatus(models.TextChoices):
    ORDERED = "ORDERED"
    PARTIALLYALLOCATED = "PARTIALLYALLOCATED"
    ALLOCATED = "ALLOCATED"
    PARTIALLYFULFILLED = "PARTIALLYFULFILLED"
    FULFILLED = "FULFILLED"
    CANCELED = "CANCELED"
    RETURNINITIATED = "RETURNINITIATED"
    RETURNED = "RETURNED"
    # Issue 15: every fulfilled unit was sent again (lost or damaged in transit).
    RESHIPPED = "RESHIPPED"


ROLLUP_TYPES = {
    ItemType.PRODUCT: "product",
    ItemType.DELIVERY_CHARGE: "delivery",
    ItemType.FEE: "fee",
}


class RollupTotals(models.Model):
    """Roll-ups of item summaries (DOMAIN.md "Order summary roll-ups"), shared by every level."""

    tax_locale_type = models.CharField(max_length=5, choices=TaxLocaleType.choices, default=TaxLocaleType.NET)

    total_product_amount = MoneyField()
    total_adjusted_product_amount = MoneyField()
    total_adjusted_product_tax_amount = MoneyField()
    total_delivery_amount = MoneyField()
    total_adjusted_delivery_amount = MoneyField()
    total_adjusted_delivery_tax_amount = MoneyField()
    total_fee_amount = MoneyField()
    total_adjusted_fee_amount = MoneyField()
    total_adjusted_fee_tax_amount = MoneyField()
    total_amount = MoneyField()
    total_tax_amount = MoneyField()
    grand_total_amount = MoneyField()

    class Meta:
        abstract = True

    @property
    def total_adj_product_amt_with_tax(self):
        return with_tax(
            self.total_adjusted_product_amount, self.total_adjusted_product_tax_amount, self.tax_locale_type
        )

    @property
    def total_adj_delivery_amt_with_tax(self):
        return with_tax(
            self.total_adjusted_delivery_amount, self.total_adjusted_delivery_tax_amount, self.tax_locale_type
        )

    @property
    def total_adj_fee_amt_with_tax(self):
        return with_tax(self.total_adjusted_fee_amount, self.total_adjusted_fee_tax_amount, self.tax_locale_type)

    @classmethod
    def rollup_constraints(cls, prefix: str) -> list[models.BaseConstraint]:
        return [
            models.CheckConstraint(
                condition=Q(total_amount__gte=0) & Q(grand_total_amount__gte=0) & Q(total_tax_amount__gte=0),
                name=f"{prefix}_totals_not_negative",
            ),
        ]


class OrderSummary(RollupTotals, Address):
    """Address fields are the billing address copied from the original order."""

    original_order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="summary")
    order_number = models.CharField(max_length=80)
    sales_channel = models.ForeignKey("orders.SalesChannel", on_delete=models.PROTECT, related_name="+")
    life_cycle_type = models.CharField(max_length=10, choices=LifeCycleType.choices, default=LifeCycleType.MANAGED)
    status = models.CharField(max_length=20, choices=OrderSummaryStatus.choices, default=OrderSummaryStatus.CREATED)
    name = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3)
    ordered_date = models.DateTimeField()
    external_reference = models.CharField(max_length=255, blank=True)
    bill_to_name = models.CharField(max_length=255, blank=True)
    bill_to_email = models.EmailField(max_length=254, blank=True)
    bill_to_phone = models.CharField(max_length=40, blank=True)
    active_process_exception_count = models.PositiveIntegerField(default=0)
    # Automatic and on-demand routing runs that found units to place (issue 16).
    routing_attempt_count = models.PositiveIntegerField(default=0)
    # An exchange's replacement names the summary whose units it replaces (issue 15).
    source_order_summary = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="exchange_summaries"
    )
    # Bumped by every change: a preview made on an older version is stale.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "order summaries"
        constraints = RollupTotals.rollup_constraints("os")
        indexes = [
            models.Index(fields=["-ordered_date", "-id"], name="os_ordered_desc"),
            models.Index(fields=["sales_channel", "-ordered_date", "-id"], name="os_channel_ordered"),
            models.Index(fields=["order_number"], name="os_number"),
            models.Index(fields=["bill_to_email"], name="os_email"),
            models.Index(fields=["bill_to_name"], name="os_name"),
            models.Index(fields=["status", "-ordered_date"], name="os_status_ordered"),
        ]

    def __str__(self):
        return self.order_number

    @property
    def is_managed(self) -> bool:
        return self.life_cycle_type == LifeCycleType.MANAGED


class OrderDeliveryGroupSummary(RollupTotals, Address):
    order_summary = models.ForeignKey(OrderSummary, on_delete=models.CASCADE, related_name="delivery_group_summaries")
    original_delivery_group = models.OneToOneField(
        "orders.OrderDeliveryGroup", on_delete=models.PROTECT, related_name="summary"
    )
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
    pickup_location = models.ForeignKey(
        "orders.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    desired_delivery_date = models.DateField(null=True, blank=True)
    is_gift = models.BooleanField(default=False)
    gift_message = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name_plural = "order delivery group summaries"
        constraints = [
            *RollupTotals.rollup_constraints("odgs"),
            models.CheckConstraint(
                condition=Q(delivery_method_type="Ship", pickup_location__isnull=True)
                | Q(delivery_method_type="Pickup", pickup_location__isnull=False),
                name="odgs_pickup_has_location",
            ),
        ]
        ordering = ["id"]

    def __str__(self):
        return f"{self.recipient_name} ({self.delivery_method})"


class OrderItemSummary(models.Model):
    order_summary = models.ForeignKey(OrderSummary, on_delete=models.CASCADE, related_name="item_summaries")
    delivery_group_summary = models.ForeignKey(
        OrderDeliveryGroupSummary, on_delete=models.PROTECT, related_name="item_summaries"
    )
    # The original order item, or for a fee added later, the fee change order's item.
    original_order_item = models.OneToOneField(
        "orders.OrderItem", on_delete=models.PROTECT, related_name="item_summary"
    )
    line_number = models.PositiveIntegerField(default=1)
    type = models.CharField(max_length=20, choices=ItemType.choices, default=ItemType.PRODUCT)
    sku = models.CharField(max_length=80, blank=True)
    name = models.CharField(max_length=255)
    product_reference = models.CharField(max_length=255, blank=True)
    unit_price = MoneyField()
    list_price = MoneyField(null=True, blank=True)
    # Sum of the line's tax rates in percent; empty when any tax on the line is flat.
    tax_rate = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    tax_locale_type = models.CharField(max_length=5, choices=TaxLocaleType.choices, default=TaxLocaleType.NET)

    quantity_ordered = QuantityField()
    quantity_canceled = QuantityField()
    quantity_allocated = QuantityField()
    quantity_fulfilled = QuantityField()
    quantity_return_initiated = QuantityField()
    quantity_returned = QuantityField()
    # Fulfilled units sent again at no charge (issue 15); never part of allocated or fulfilled.
    quantity_reshipped = QuantityField()

    total_line_amount = MoneyField()
    total_line_tax_amount = MoneyField()
    total_adjustment_amount = MoneyField()
    total_adjustment_tax_amount = MoneyField()

    status = models.CharField(max_length=20, choices=ItemStatus.choices, default=ItemStatus.ORDERED)

    class Meta:
        verbose_name_plural = "order item summaries"
        ordering = ["line_number", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity_ordered__gte=0), name="ois_ordered_not_negative"),
            models.CheckConstraint(
                condition=Q(quantity_canceled__gte=0) & Q(quantity_allocated__gte=0),
                name="ois_canceled_allocated_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(quantity_ordered__gte=F("quantity_canceled") + F("quantity_allocated")),
                name="ois_canceled_plus_allocated_within_ordered",
            ),
            models.CheckConstraint(
                condition=Q(quantity_fulfilled__gte=0) & Q(quantity_fulfilled__lte=F("quantity_allocated")),
                name="ois_fulfilled_within_allocated",
            ),
            models.CheckConstraint(
                condition=Q(quantity_returned__gte=0)
                & Q(quantity_returned__lte=F("quantity_return_initiated"))
                & Q(quantity_return_initiated__lte=F("quantity_fulfilled")),
                name="ois_returned_within_initiated_within_fulfilled",
            ),
            models.CheckConstraint(
                condition=Q(quantity_reshipped__gte=0) & Q(quantity_reshipped__lte=F("quantity_fulfilled")),
                name="ois_reshipped_within_fulfilled",
            ),
            models.CheckConstraint(
                condition=Q(total_line_amount__gte=0) & Q(total_line_tax_amount__gte=0),
                name="ois_line_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total_adjustment_amount__lte=0) & Q(total_adjustment_tax_amount__lte=0),
                name="ois_adjustments_not_positive",
            ),
            models.CheckConstraint(
                condition=Q(total_line_amount__gte=-F("total_adjustment_amount")),
                name="ois_total_price_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})" if self.sku else self.name

    # Derived quantities (DOMAIN.md §1): never stored, so they can never disagree.
    @property
    def quantity(self):
        return self.quantity_ordered - self.quantity_canceled - self.quantity_returned

    @property
    def quantity_net_ordered(self):
        return self.quantity_ordered - self.quantity_canceled

    @property
    def quantity_available_to_fulfill(self):
        return self.quantity_ordered - self.quantity_canceled - self.quantity_allocated

    @property
    def quantity_available_to_cancel(self):
        return self.quantity_available_to_fulfill

    @property
    def quantity_available_to_return(self):
        return self.quantity_fulfilled - self.quantity_return_initiated

    @property
    def quantity_available_to_reship(self):
        """Fulfilled units still with the customer (not expected back) and not reshipped already."""
        return max(self.quantity_fulfilled - self.quantity_return_initiated - self.quantity_reshipped, Decimal(0))

    @property
    def total_price(self):
        return self.total_line_amount + self.total_adjustment_amount

    @property
    def total_tax_amount(self):
        return self.total_line_tax_amount + self.total_adjustment_tax_amount

    @property
    def total_amt_with_tax(self):
        return with_tax(self.total_price, self.total_tax_amount, self.tax_locale_type)

    @property
    def currency(self):
        return self.order_summary.currency


class ItemChangeType(models.TextChoices):
    CANCEL = "Cancel"
    RETURN = "Return"
    PRODUCT_ADJUSTMENT = "ProductAdjustment"
    DELIVERY_CHARGE_ADJUSTMENT = "DeliveryChargeAdjustment"
    FEE = "Fee"


class OrderItemSummaryChange(models.Model):
    order_summary = models.ForeignKey(OrderSummary, on_delete=models.CASCADE, related_name="item_changes")
    order_item_summary = models.ForeignKey(OrderItemSummary, on_delete=models.CASCADE, related_name="changes")
    change_order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="item_summary_changes")
    change_order_item = models.ForeignKey(
        "orders.OrderItem", on_delete=models.PROTECT, related_name="item_summary_changes"
    )
    change_type = models.CharField(max_length=30, choices=ItemChangeType.choices)
    reason = models.CharField(max_length=80)
    reason_text = models.CharField(max_length=255, blank=True)
    is_pre_fulfillment = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_client = models.ForeignKey(
        "orders.ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order_summary", "created_at"], name="oisc_summary_created")]

    def __str__(self):
        return f"{self.change_type} of {self.order_item_summary_id} ({self.reason})"

    @property
    def actor(self) -> str:
        if self.created_by_id:
            return self.created_by.get_username()
        if self.created_by_client_id:
            return f"api:{self.created_by_client.name}"
        return "system"
