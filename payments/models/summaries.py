"""Money of one payment method on one order summary, and the authorizations and payments behind it."""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from orders.models.fields import MoneyField
from orders.money import ZERO

from .constraints import at_least, at_most


class OrderPaymentSummary(models.Model):
    order_summary = models.ForeignKey("orders.OrderSummary", on_delete=models.PROTECT, related_name="payment_summaries")
    method = models.CharField(max_length=80, help_text="How the customer paid, as the storefront names it.")
    type = models.CharField(max_length=40, blank=True, help_text="e.g. Visa, Mastercard, GiftCard")
    last4 = models.CharField(max_length=4, blank=True)
    currency = models.CharField(max_length=3)

    authorization_amount = MoneyField()
    captured_amount = MoneyField()
    refunded_amount = MoneyField()
    pending_capture_amount = MoneyField()
    pending_refund_amount = MoneyField()
    authorization_reversal_amount = MoneyField()
    # Captured funds not yet applied to invoices and not refunded.
    balance_amount = MoneyField()

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "order payment summaries"
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(authorization_amount__gte=0)
                & Q(captured_amount__gte=0)
                & Q(refunded_amount__gte=0)
                & Q(pending_capture_amount__gte=0)
                & Q(pending_refund_amount__gte=0)
                & Q(authorization_reversal_amount__gte=0)
                & Q(balance_amount__gte=0),
                name="ops_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=at_least(
                    "authorization_amount",
                    F("captured_amount") + F("pending_capture_amount") + F("authorization_reversal_amount"),
                ),
                name="ops_captured_within_authorized",
            ),
            models.CheckConstraint(
                condition=at_least("captured_amount", F("refunded_amount") + F("pending_refund_amount")),
                name="ops_refunded_within_captured",
            ),
            models.CheckConstraint(
                condition=at_most("balance_amount", F("captured_amount") - F("refunded_amount")),
                name="ops_balance_within_net_captured",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.last4}".strip()

    @property
    def available_to_capture_amount(self) -> Decimal:
        return max(
            ZERO,
            self.authorization_amount
            - self.captured_amount
            - self.pending_capture_amount
            - self.authorization_reversal_amount,
        )

    @property
    def available_to_refund_amount(self) -> Decimal:
        return max(ZERO, self.captured_amount - self.refunded_amount - self.pending_refund_amount)

    @property
    def display_name(self) -> str:
        return f"{self.method} •••• {self.last4}" if self.last4 else self.method


class AuthorizationStatus(models.TextChoices):
    PENDING = "Pending"
    PROCESSED = "Processed"
    FAILED = "Failed"
    CANCELED = "Canceled"


class PaymentAuthorization(models.Model):
    # Captured at checkout with the order; a payment summary gathers it once the order summary exists.
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payment_authorizations")
    order_payment_summary = models.ForeignKey(
        OrderPaymentSummary, null=True, blank=True, on_delete=models.PROTECT, related_name="authorizations"
    )
    method = models.CharField(max_length=80, blank=True)
    type = models.CharField(max_length=40, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    amount = MoneyField()
    currency = models.CharField(max_length=3)
    # Only the gateway's token and reference: never a card number.
    gateway_token = models.CharField(max_length=255, blank=True)
    gateway_reference = models.CharField(max_length=255, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=AuthorizationStatus.choices, default=AuthorizationStatus.PROCESSED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="authorization_amount_positive")]

    def __str__(self) -> str:
        return f"Authorization {self.gateway_reference or self.pk} {self.amount} {self.currency}"


class PaymentKind(models.TextChoices):
    CAPTURE = "Capture"
    SALE = "Sale"


class PaymentStatus(models.TextChoices):
    PENDING = "Pending"
    PROCESSED = "Processed"
    FAILED = "Failed"
    CANCELED = "Canceled"


class Payment(models.Model):
    """A capture against an authorization, or a sale taken at checkout."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    order_payment_summary = models.ForeignKey(
        OrderPaymentSummary, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    method = models.CharField(max_length=80, blank=True)
    type = models.CharField(max_length=40, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    authorization = models.ForeignKey(
        PaymentAuthorization, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    kind = models.CharField(max_length=10, choices=PaymentKind.choices)
    amount = MoneyField()
    # Captured and not yet applied to an invoice (nor refunded).
    balance = MoneyField()
    currency = models.CharField(max_length=3)
    gateway_token = models.CharField(max_length=255, blank=True)
    gateway_reference = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PROCESSED)
    refunded_amount = MoneyField()
    # Reserved for refunds sent to the gateway and not yet answered.
    pending_refund_amount = MoneyField()
    # Captures we make: the key sent to the gateway, stable across every retry of this capture.
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    # The invoice a capture was made for: a capture settled later by reconciliation still pays it.
    target_invoice = models.ForeignKey(
        "payments.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="pending_captures"
    )
    background_operation = models.ForeignKey(
        "payments.BackgroundOperation", null=True, blank=True, on_delete=models.SET_NULL, related_name="captures"
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(balance__gte=0) & Q(balance__lte=F("amount")), name="payment_balance_within_amount"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0)
                & Q(pending_refund_amount__gte=0)
                & at_least("amount", F("balance") + F("refunded_amount") + F("pending_refund_amount")),
                name="payment_refunds_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency}"

    @property
    def available_to_refund_amount(self) -> Decimal:
        if self.status != PaymentStatus.PROCESSED:
            return ZERO
        return self.amount - self.refunded_amount - self.pending_refund_amount
