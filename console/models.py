"""The console's own records: its permissions, one-time wizard tokens and the Fulfillment role's location
assignments (refunds waiting for approval live in payments: payments.models.AgentRefund)."""

from django.conf import settings
from django.db import models


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
            ("work_location_queue", "Can work the fulfillment queue of the locations assigned to them"),
        ]

    def __str__(self):
        return "Console permissions"


class WizardSubmission(models.Model):
    """A previewed change that was submitted. The unique token makes a second submit of the same
    preview (a double click, a re-post after going back) fail to record, so it is never applied twice."""

    token = models.CharField(max_length=64, unique=True)
    order_summary = models.ForeignKey("orders.OrderSummary", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12)  # cancel, return, adjust, cancel-order
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    change_order_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.kind} of {self.order_summary_id} ({self.token[:8]}…)"


class LocationAssignment(models.Model):
    """A location whose work queue a Fulfillment user works (store associates, warehouse staff)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="location_assignments")
    location = models.ForeignKey("orders.Location", on_delete=models.CASCADE, related_name="assignments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["location_id", "user_id"]
        constraints = [models.UniqueConstraint(fields=["user", "location"], name="location_assignment_unique")]

    def __str__(self):
        return f"{self.user} at {self.location}"
