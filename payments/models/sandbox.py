"""The sandbox gateway's own ledger: what the pretend provider has done, one row per idempotency key."""

from django.db import models

from orders.models.fields import MoneyField


class SandboxTransaction(models.Model):
    idempotency_key = models.CharField(max_length=100, unique=True)
    interaction_type = models.CharField(max_length=20)
    token = models.CharField(max_length=255, blank=True)
    amount = MoneyField()
    currency = models.CharField(max_length=3)
    result_code = models.CharField(max_length=20)
    reference = models.CharField(max_length=64, blank=True)
    # tok_timeout: the first answer is lost; the provider has the outcome for a later lookup.
    answered = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.interaction_type} {self.idempotency_key} {self.result_code}"
