from django.db import models


class SalesChannel(models.Model):
    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


DEFAULT_REASON_CODES = [
    "Unknown",
    "Wrong Item",
    "Damaged",
    "Customer Changed Mind",
    "Late Delivery",
    "Price Match",
    "Goodwill",
]


class ReasonCode(models.Model):
    """The reasons an agent or integration may give for a change; editable in the admin."""

    name = models.CharField(max_length=80, unique=True)
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name
