"""Fulfillment that recovers by itself (issue 16): routing policy per channel, exclusions left by
rejections, rejected units, holds and the rules that place them at ingest."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .fields import MoneyField, QuantityField


class RoutingPolicy(models.Model):
    """How automatic routing may place a channel's orders; a channel without one uses the defaults
    (4 splits, every inventory location, stores may ship)."""

    DEFAULT_MAX_SPLITS = 4

    sales_channel = models.OneToOneField("orders.SalesChannel", on_delete=models.CASCADE, related_name="routing_policy")
    max_splits = models.PositiveSmallIntegerField(
        default=DEFAULT_MAX_SPLITS,
        help_text="How many more locations than one a delivery group may be split over (0: one location only).",
    )
    shipping_location_groups = models.ManyToManyField(
        "orders.LocationGroup",
        blank=True,
        related_name="+",
        help_text="Only locations of these enabled groups may ship the channel's orders; none chosen: every location.",
    )
    ship_from_store = models.BooleanField(
        default=True,
        help_text="Stores may ship orders (off: only warehouses and suppliers ship; pickups are unaffected).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "routing policies"
        constraints = [models.CheckConstraint(condition=Q(max_splits__lte=20), name="routing_policy_max_splits")]

    def __str__(self):
        return f"Routing policy of {self.sales_channel}"


class RoutingExclusion(models.Model):
    """A location that rejected units of an order summary: routing never sends that summary there again."""

    order_summary = models.ForeignKey(
        "orders.OrderSummary", on_delete=models.CASCADE, related_name="routing_exclusions"
    )
    location = models.ForeignKey("orders.Location", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order_summary", "location"], name="routing_exclusion_unique"),
        ]

    def __str__(self):
        return f"{self.order_summary_id} not from {self.location_id}"


class FulfillmentRejection(models.Model):
    """Units a location refused on one fulfillment order line, with its reason."""

    fulfillment_order = models.ForeignKey(
        "orders.FulfillmentOrder", on_delete=models.CASCADE, related_name="rejections"
    )
    fulfillment_order_line = models.ForeignKey(
        "orders.FulfillmentOrderLineItem", on_delete=models.CASCADE, related_name="rejections"
    )
    quantity = QuantityField()
    reason = models.CharField(max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_client = models.ForeignKey(
        "orders.ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="fo_rejection_quantity_positive")]

    def __str__(self):
        return f"{self.quantity} rejected on line {self.fulfillment_order_line_id}: {self.reason}"


class HoldRule(models.Model):
    """Puts new orders on hold at ingest when every condition it sets holds (at least one is set)."""

    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)
    reason = models.CharField(max_length=255, help_text="The hold's reason, as agents will read it.")
    minimum_grand_total = MoneyField(
        null=True, blank=True, default=None, help_text="Orders whose grand total is above this."
    )
    currency = models.CharField(
        max_length=3, blank=True, help_text="With a minimum total: orders in this currency only (blank: any)."
    )
    country = models.CharField(max_length=2, blank=True, help_text="Orders shipping to (or billed in) this country.")
    sales_channel = models.ForeignKey(
        "orders.SalesChannel",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Orders of this channel.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minimum_grand_total__isnull=False) | ~Q(country="") | Q(sales_channel__isnull=False),
                name="hold_rule_has_condition",
            ),
        ]

    def __str__(self):
        return self.name


class OrderHold(models.Model):
    """A hold on a whole order summary (no line) or on one fulfillment order line, until released."""

    order_summary = models.ForeignKey("orders.OrderSummary", on_delete=models.CASCADE, related_name="holds")
    fulfillment_order_line = models.ForeignKey(
        "orders.FulfillmentOrderLineItem", null=True, blank=True, on_delete=models.CASCADE, related_name="holds"
    )
    reason = models.CharField(max_length=255)
    rule = models.ForeignKey(HoldRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="holds")
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_by_client = models.ForeignKey(
        "orders.ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_by_client = models.ForeignKey(
        "orders.ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    release_note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["held_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_summary"],
                condition=Q(released_at__isnull=True, fulfillment_order_line__isnull=True),
                name="one_active_summary_hold",
            ),
            models.UniqueConstraint(
                fields=["fulfillment_order_line"], condition=Q(released_at__isnull=True), name="one_active_line_hold"
            ),
        ]
        indexes = [models.Index(fields=["released_at", "held_at"], name="hold_queue")]

    def __str__(self):
        target = f"line {self.fulfillment_order_line_id}" if self.fulfillment_order_line_id else "order"
        return f"Hold on {target} of {self.order_summary_id}: {self.reason}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None

    @staticmethod
    def actor_name(user, client) -> str:
        if user is not None:
            return user.get_username()
        if client is not None:
            return f"api:{client.name}"
        return "system"

    @property
    def held_by_name(self) -> str:
        if self.rule_id and not self.held_by_id and not self.held_by_client_id:
            return f"rule: {self.rule.name}"
        return self.actor_name(self.held_by, self.held_by_client)

    @property
    def released_by_name(self) -> str:
        return self.actor_name(self.released_by, self.released_by_client)
