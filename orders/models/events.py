"""What happened to an order summary, told to integrations: events (the change feed), the webhook
endpoints that subscribe to them, and each delivery with its attempts (issue 17, docs/integrations.md)."""

import secrets

from django.db import models
from django.db.models import Q


class EventType(models.TextChoices):
    ORDER_SUMMARY_CREATED = "order_summary.created"
    ORDER_SUMMARY_CHANGED = "order_summary.changed"
    FULFILLMENT_ORDER_CREATED = "fulfillment_order.created"
    FULFILLMENT_ORDER_STATUS_CHANGED = "fulfillment_order.status_changed"
    SHIPMENT_CREATED = "shipment.created"
    INVOICE_CREATED = "invoice.created"
    PAYMENT_CAPTURED = "payment.captured"
    PAYMENT_CAPTURE_FAILED = "payment.capture_failed"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"
    RETURN_ORDER_RECEIVED = "return_order.received"
    PROCESS_EXCEPTION_CREATED = "process_exception.created"


class Event(models.Model):
    """One thing that happened, written in the transaction that made it happen: it exists exactly when
    the change it tells of was committed. Kept OMS_EVENT_RETENTION_DAYS (a beat task prunes)."""

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(max_length=40, choices=EventType.choices)
    order_summary = models.ForeignKey("orders.OrderSummary", on_delete=models.CASCADE, related_name="events")
    # 1, 2, 3 ... per order summary, in commit order (allocated under a per-summary row lock), so a
    # receiver can put one summary's events in order whatever order the webhooks arrive in.
    sequence = models.PositiveIntegerField()
    # The resource as the API rendered it when the event happened.
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order_summary", "sequence"], name="event_sequence_unique_per_summary"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="event_sequence_positive"),
        ]
        indexes = [models.Index(fields=["created_at"], name="event_created")]

    def __str__(self) -> str:
        return f"{self.type} #{self.sequence} of summary {self.order_summary_id}"


class EventSequence(models.Model):
    """The last event sequence given out for an order summary. Apart from the summary row so that a
    summary saved from a stale copy can never set it back, and so that pruning events never restarts it."""

    order_summary = models.OneToOneField(
        "orders.OrderSummary", on_delete=models.CASCADE, primary_key=True, related_name="event_sequence"
    )
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"summary {self.order_summary_id}: {self.last}"


SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    url = models.URLField(max_length=2000)
    # Event types (EventType values) this endpoint receives.
    events = models.JSONField(default=list)
    description = models.CharField(max_length=255, blank=True, default="")
    # Signs every delivery (HMAC-SHA256); shown to the creator once. Kept as is: signing needs it.
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    # Empty: every channel's events (a back-office endpoint); else that channel's only.
    sales_channel = models.ForeignKey(
        "orders.SalesChannel", null=True, blank=True, on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    created_by = models.ForeignKey(
        "orders.ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_endpoints"
    )
    is_active = models.BooleanField(default=True)
    # Set by the first failed attempt after a success, cleared by the next success: an endpoint failing
    # for OMS_WEBHOOK_DISABLE_AFTER_HOURS is disabled.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(disabled_at__isnull=True), name="webhook_endpoint_active_not_disabled"
            ),
        ]

    def __str__(self) -> str:
        return self.url

    def receives(self, event_type: str) -> bool:
        return event_type in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "Pending"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


class WebhookDelivery(models.Model):
    """One event to one endpoint, tried until a 2xx answer or OMS_WEBHOOK_RETRY_HOURS have passed."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    # A pending delivery is sent when this time has passed (its retry), and claimed by moving it on:
    # a second copy of the task finds it not due and sends nothing.
    next_attempt_at = models.DateTimeField()
    # Retries stop here (the creation or the last redelivery, plus OMS_WEBHOOK_RETRY_HOURS).
    retry_until = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once_per_endpoint"),
            models.CheckConstraint(
                condition=~Q(status="Succeeded") | Q(delivered_at__isnull=False),
                name="webhook_delivery_succeeded_has_date",
            ),
        ]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint} [{self.status}]"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery and what came back."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField()
    # The receiver's HTTP status; empty when no answer came (refused address, timeout, connection error).
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.response_status or self.error}"
