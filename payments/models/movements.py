"""Money moving between payments, invoices and the customer: applications to invoices and refunds."""

from django.db import models
from django.db.models import F, Q

from orders.models.fields import MoneyField


class ApplicationType(models.TextChoices):
    APPLIED = "Applied"
    # Funds taken back out of an invoice's payments to give them back (a refund) or to pay a fee invoice.
    UNAPPLIED = "Unapplied"


class PaymentAppliedToInvoice(models.Model):
    """Signed: an `Applied` row pays an invoice, an `Unapplied` row takes applied funds back out.

    Unapplying never reopens the invoice's balance: it answers a credit memo or an excess, which
    already lowered what is owed. So for every payment, captured − refunded − pending refunds =
    Σ its applications + its unapplied balance.
    """

    payment = models.ForeignKey("payments.Payment", on_delete=models.PROTECT, related_name="applications")
    invoice = models.ForeignKey("payments.Invoice", on_delete=models.PROTECT, related_name="applications")
    type = models.CharField(max_length=10, choices=ApplicationType.choices, default=ApplicationType.APPLIED)
    amount = MoneyField()
    # The refund an `Unapplied` row makes room for; removed with the refund's reservation if it fails.
    refund = models.ForeignKey(
        "payments.Refund", null=True, blank=True, on_delete=models.CASCADE, related_name="unapplications"
    )
    # A fee invoice paid out of what a credit memo would otherwise have refunded.
    credit_memo = models.ForeignKey(
        "payments.CreditMemo", null=True, blank=True, on_delete=models.PROTECT, related_name="fee_applications"
    )
    background_operation = models.ForeignKey(
        "payments.BackgroundOperation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "payments applied to invoices"
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(type="Applied", amount__gt=0) | Q(type="Unapplied", amount__lt=0),
                name="application_sign_matches_type",
            ),
        ]
        indexes = [models.Index(fields=["payment", "invoice"], name="application_payment_invoice")]

    def __str__(self) -> str:
        return f"{self.type} {self.amount} of {self.payment_id} to {self.invoice_id}"


class RefundStatus(models.TextChoices):
    PENDING = "Pending"
    PROCESSED = "Processed"
    FAILED = "Failed"


class Refund(models.Model):
    """Money given back from one payment; reserved (pending) before the gateway is asked."""

    order_payment_summary = models.ForeignKey(
        "payments.OrderPaymentSummary", on_delete=models.PROTECT, related_name="refunds"
    )
    payment = models.ForeignKey("payments.Payment", on_delete=models.PROTECT, related_name="refunds")
    amount = MoneyField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    credit_memo = models.ForeignKey(
        "payments.CreditMemo", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    # The part of `amount` that settles the credit memo; the rest is excess funds.
    credit_memo_amount = MoneyField()
    # The part of `amount` taken from the payment's unapplied balance; the rest was unapplied from invoices.
    from_balance_amount = MoneyField()
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    gateway_reference = models.CharField(max_length=255, blank=True)
    background_operation = models.ForeignKey(
        "payments.BackgroundOperation", null=True, blank=True, on_delete=models.SET_NULL, related_name="refunds"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(credit_memo_amount__gte=0) & Q(credit_memo_amount__lte=F("amount")),
                name="refund_credit_memo_part_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(from_balance_amount__gte=0) & Q(from_balance_amount__lte=F("amount")),
                name="refund_balance_part_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(credit_memo__isnull=False) | Q(credit_memo_amount=0),
                name="refund_credit_memo_part_needs_memo",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="refund_status_created")]

    def __str__(self) -> str:
        return f"Refund {self.amount} {self.currency} ({self.status})"


class CreditMemoAppliedToInvoice(models.Model):
    """Netting (docs/money.md, rule 7): part of a credit memo applied to an open invoice of the same summary,
    where nothing was captured. No money moves: what the customer owes and what they are owed back both
    go down by `amount` (the memo's and the invoice's balances)."""

    credit_memo = models.ForeignKey("payments.CreditMemo", on_delete=models.PROTECT, related_name="nettings")
    invoice = models.ForeignKey("payments.Invoice", on_delete=models.PROTECT, related_name="nettings")
    amount = MoneyField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "credit memos applied to invoices"
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="netting_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} of {self.credit_memo_id} to {self.invoice_id}"


class ReversalStatus(models.TextChoices):
    PENDING = "Pending"
    PROCESSED = "Processed"
    FAILED = "Failed"


class AuthorizationReversal(models.Model):
    """The unused part of an authorization released through the gateway (a `Void`, docs/money.md rule 6).

    Reserved (pending) before the gateway is asked: its amount counts in the payment summary's
    AuthorizationReversalAmount from then on, so nothing captures it meanwhile; a failed reversal gives it
    back. At most one live (pending or processed) reversal per authorization."""

    order_payment_summary = models.ForeignKey(
        "payments.OrderPaymentSummary", on_delete=models.PROTECT, related_name="reversals"
    )
    authorization = models.ForeignKey(
        "payments.PaymentAuthorization", on_delete=models.PROTECT, related_name="reversals"
    )
    amount = MoneyField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=ReversalStatus.choices, default=ReversalStatus.PENDING)
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    gateway_reference = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="reversal_amount_positive"),
            models.UniqueConstraint(
                fields=["authorization"],
                condition=Q(status__in=["Pending", "Processed"]),
                name="reversal_once_per_authorization",
            ),
        ]

    def __str__(self) -> str:
        return f"Reversal {self.amount} {self.currency} ({self.status})"
