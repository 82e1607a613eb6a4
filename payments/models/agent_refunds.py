"""Refunds an agent's change starts, and the per-currency limits above which they wait for a supervisor.

Every refund that follows a change made in the console (or by the demo loader) is recorded here, whether
it went out at once or waits: the limit counts what one agent started on one order summary within a
day, so splitting one refund into several changes does not stay under it.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from orders.models.fields import MoneyField

from .constraints import equal

# What migration 0004 sets for the demo's currencies (about the same money in each); a flushed test
# database gets them back from ensure_default_refund_limits.
DEFAULT_AGENT_REFUND_LIMITS = {"USD": Decimal("200.00"), "EUR": Decimal("200.00"), "JPY": Decimal("30000")}


def ensure_default_refund_limits() -> None:
    for currency, amount in DEFAULT_AGENT_REFUND_LIMITS.items():
        AgentRefundLimit.objects.get_or_create(currency=currency, defaults={"amount": amount})


class AgentRefundLimit(models.Model):
    """What an agent may refund on one order summary within 24 hours, in one currency. A currency
    without a row has no limit an agent may use: every refund in it waits for a supervisor."""

    currency = models.CharField(max_length=3, unique=True, help_text="ISO 4217 code, e.g. USD.")
    amount = MoneyField(help_text="In the currency's own units (200.00 USD, 30000 JPY).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["currency"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="agent_refund_limit_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Agent refund limit {self.amount} {self.currency}"


class AgentRefundStatus(models.TextChoices):
    RELEASED = "Released", "Released at once"
    PENDING = "Pending", "Waiting for approval"
    APPROVED = "Approved", "Approved"
    DECLINED = "Declined", "Declined"


# The refunds that count towards an agent's limit: everything not declined.
COUNTED_STATUSES = (AgentRefundStatus.RELEASED, AgentRefundStatus.PENDING, AgentRefundStatus.APPROVED)


class AgentRefundKind(models.TextChoices):
    CANCEL = "cancel", "Cancel items"
    RETURN = "return", "Return items"
    ADJUST = "adjust", "Adjust prices"
    CANCEL_ORDER = "cancel_order", "Cancel order"
    REMAINING = "remaining", "Refund remaining"
    # A cheaper exchange's difference, left on the exchange's credit memo (payments.services.exchange_funds).
    EXCHANGE = "exchange", "Exchange"


class AgentRefund(models.Model):
    """The money one agent change gives back: a credit memo of its post-fulfillment reductions
    (`credit_amount`) plus the captured funds it leaves in excess (`excess_amount`). Released at once,
    or pending until a supervisor approves (exactly this amount is refunded) or declines it."""

    order_summary = models.ForeignKey("orders.OrderSummary", on_delete=models.CASCADE, related_name="agent_refunds")
    kind = models.CharField(max_length=12, choices=AgentRefundKind.choices)
    change_order_ids = models.JSONField(default=list, blank=True)
    # The post-fulfillment reductions among them: the credit memo is made of these when released.
    credit_change_order_ids = models.JSONField(default=list, blank=True)
    amount = MoneyField()
    credit_amount = MoneyField()
    excess_amount = MoneyField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=255, blank=True, help_text="The change's reason, as the agent gave it.")
    status = models.CharField(max_length=10, choices=AgentRefundStatus.choices, default=AgentRefundStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # An integration's change (the API's whole-order cancel): its refund is recorded by the same service,
    # never held for approval (an API key is not an agent).
    requested_by_client = models.ForeignKey(
        "orders.ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decline_reason = models.TextField(blank=True)
    credit_memo = models.ForeignKey(
        "payments.CreditMemo", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    operation = models.ForeignKey(
        "payments.BackgroundOperation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="agent_refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(credit_amount__gte=0, excess_amount__gte=0), name="agent_refund_parts_not_negative"
            ),
            models.CheckConstraint(
                condition=equal("amount", F("credit_amount") + F("excess_amount")),
                name="agent_refund_amount_is_its_parts",
            ),
            models.CheckConstraint(
                condition=Q(status="Pending", decided_at__isnull=True) | ~Q(status="Pending"),
                name="agent_refund_pending_undecided",
            ),
            models.CheckConstraint(
                condition=~Q(status="Declined") | ~Q(decline_reason=""),
                name="agent_refund_declined_with_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["order_summary", "status"], name="agent_refund_summary"),
            models.Index(fields=["status", "created_at"], name="agent_refund_queue"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount} {self.currency} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == AgentRefundStatus.PENDING
