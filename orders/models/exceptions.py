from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class ProcessExceptionCategory(models.TextChoices):
    PAYMENT = "Payment"
    FULFILLMENT = "Fulfillment"
    INVOICING = "Invoicing"
    ORDER_ACTIVATION = "Order Activation"


class ProcessExceptionSeverity(models.TextChoices):
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"


class ProcessExceptionPriority(models.TextChoices):
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"


class ProcessExceptionStatus(models.TextChoices):
    NEW = "New"
    TRIAGED = "Triaged"
    PAUSED = "Paused"
    IGNORED = "Ignored"
    VOIDED = "Voided"
    RESOLVED = "Resolved"


ACTIVE_PROCESS_EXCEPTION_STATUSES = (ProcessExceptionStatus.NEW, ProcessExceptionStatus.TRIAGED)


class ProcessException(models.Model):
    """Something a person must look at; the order summary counts the active ones."""

    order_summary = models.ForeignKey(
        "orders.OrderSummary", on_delete=models.CASCADE, related_name="process_exceptions"
    )
    attached_to_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    attached_to_id = models.CharField(max_length=40, blank=True)
    attached_to = GenericForeignKey("attached_to_type", "attached_to_id")
    category = models.CharField(max_length=20, choices=ProcessExceptionCategory.choices)
    severity = models.CharField(
        max_length=10, choices=ProcessExceptionSeverity.choices, default=ProcessExceptionSeverity.MEDIUM
    )
    priority = models.CharField(
        max_length=10, choices=ProcessExceptionPriority.choices, default=ProcessExceptionPriority.MEDIUM
    )
    status = models.CharField(max_length=10, choices=ProcessExceptionStatus.choices, default=ProcessExceptionStatus.NEW)
    message = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "category", "-created_at"], name="pe_queue"),
            models.Index(fields=["order_summary", "status"], name="pe_summary_status"),
        ]

    def __str__(self):
        return f"{self.category}: {self.message}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_PROCESS_EXCEPTION_STATUSES
