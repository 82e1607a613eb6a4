"""The console's own records: its permissions, one-time wizard tokens and refund approvals."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from orders.models.fields import MoneyField


class ConsolePermissions(models.Model):
    """No table: the model only carries the console's permissions."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("use_console", "Can sign in to the agent console, search and view orders"),
            ("change_orders", "Can cancel, return and adjust order items from the console"),
            ("approve_refunds", "Can approve refunds above the agent refund limit"),
            ("work_exception_queue", "Can work the process exception queue"),
            ("manage_fulfillment", "Can create, move and cancel fulfillment orders from the console"),
        ]

    def __str__(self):
        return "Console permissions"


class WizardSubmission(models.Model):
    """A previewed change that was submitted. The unique token makes a second submit of the same
    preview (a double click, a re-post after going back) fail to record, so it is never applied twice."""

    token = models.CharField(max_length=64, unique=True)
    order_summary = models.ForeignKey("orders.OrderSummary", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    change_order_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.kind} of {self.order_summary_id} ({self.token[:8]}…)"


class RefundApprovalStatus(models.TextChoices):
    PENDING = "Pending"
    APPROVED = "Approved"
    DECLINED = "Declined"


class RefundApproval(models.Model):
    """A refund an agent's change would make that is above the agent limit: it waits for a supervisor."""

    order_summary = models.ForeignKey(
        "orders.OrderSummary", on_delete=models.CASCADE, related_name="refund_approvals"
    )
    change_order_ids = models.JSONField(default=list)
    amount = MoneyField()
    # The part of `amount` that is excess funds; the rest is the change orders' credit memo.
    excess_amount = MoneyField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=RefundApprovalStatus.choices, default=RefundApprovalStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_approval_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="Pending", decided_at__isnull=True) | ~Q(status="Pending"),
                name="refund_approval_pending_undecided",
            ),
        ]
        indexes = [models.Index(fields=["order_summary", "status"], name="refund_approval_summary")]

    def __str__(self):
        return f"Refund {self.amount} {self.currency} ({self.status})"
