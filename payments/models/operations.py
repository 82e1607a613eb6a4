"""Asynchronous jobs (ensure funds, ensure refunds) and their outcome, as the API reports them."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from orders.models.fields import TracksModification


class OperationType(models.TextChoices):
    ENSURE_FUNDS = "EnsureFunds"
    ENSURE_REFUNDS = "EnsureRefunds"


class OperationStatus(models.TextChoices):
    NEW = "New"
    RUNNING = "Running"
    COMPLETE = "Complete"
    ERROR = "Error"
    CANCELED = "Canceled"


FINAL_OPERATION_STATUSES = (OperationStatus.COMPLETE, OperationStatus.ERROR, OperationStatus.CANCELED)


class BackgroundOperation(TracksModification):
    """A gateway decline completes the operation (and raises a process exception); `Error` means the
    job itself could not run."""

    type = models.CharField(max_length=20, choices=OperationType.choices)
    status = models.CharField(max_length=10, choices=OperationStatus.choices, default=OperationStatus.NEW)
    order_summary = models.ForeignKey(
        "orders.OrderSummary", on_delete=models.PROTECT, related_name="background_operations"
    )
    input = models.JSONField(default=dict)
    result = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    retry_count = models.PositiveIntegerField(default=0)
    # Set in the same transaction that reserves the money movements: a redelivered task must not plan again.
    prepared_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The operation a person retried from a process exception, if any.
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_client = models.ForeignKey(
        "orders.ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["Complete", "Error", "Canceled"], finished_at__isnull=False)
                | Q(status__in=["New", "Running"], finished_at__isnull=True),
                name="operation_finished_when_final",
            ),
        ]
        indexes = [
            models.Index(fields=["order_summary", "-submitted_at"], name="operation_summary_submitted"),
            models.Index(fields=["status", "submitted_at"], name="operation_status_submitted"),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_OPERATION_STATUSES
