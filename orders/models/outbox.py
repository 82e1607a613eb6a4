"""The transactional outbox: a follow-up task recorded in the same transaction as the write that
promises it, handed to Celery after commit and again by the relay until the task acknowledges it."""

from django.db import models
from django.db.models import Q


class OutboxStatus(models.TextChoices):
    PENDING = "Pending", "Pending"
    DONE = "Done", "Done"
    FAILED = "Failed", "Failed"


class OutboxMessage(models.Model):
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    # The relay publishes a pending message once this time has passed: a countdown's end for a
    # delayed task, else the end of the lease given to the publish after commit or to the last attempt.
    next_attempt_at = models.DateTimeField()
    publish_count = models.PositiveIntegerField(default=0)
    last_published_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [
            # The relay's only question: pending messages that are due, oldest first.
            models.Index(fields=["next_attempt_at"], name="outbox_pending_due", condition=Q(status="Pending")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="Pending", done_at__isnull=True) | (~Q(status="Pending") & Q(done_at__isnull=False)),
                name="outbox_done_at_iff_finished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)} [{self.status}]"


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the outbox relay (every few seconds, from beat): the queue's
    health check (/health/worker/) reads it."""

    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
