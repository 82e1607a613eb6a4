"""Every call to a payment gateway, written before it is sent and completed after."""

from django.db import models

from orders.models.fields import MoneyField


class InteractionType(models.TextChoices):
    AUTHORIZATION = "Authorization"
    CAPTURE = "Capture"
    REFERENCED_REFUND = "ReferencedRefund"
    VOID = "Void"


class GatewayLogStatus(models.TextChoices):
    INITIATED = "Initiated"
    SUCCESS = "Success"
    FAILED = "Failed"
    TIMEOUT = "Timeout"


class GatewayResultCode(models.TextChoices):
    SUCCESS = "Success"
    DECLINE = "Decline"
    INDETERMINATE = "Indeterminate"
    PERMANENT_FAIL = "PermanentFail"
    SYSTEM_ERROR = "SystemError"
    VALIDATION_ERROR = "ValidationError"


class PaymentGatewayLog(models.Model):
    order_payment_summary = models.ForeignKey(
        "payments.OrderPaymentSummary", null=True, blank=True, on_delete=models.PROTECT, related_name="gateway_logs"
    )
    payment = models.ForeignKey(
        "payments.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="gateway_logs"
    )
    refund = models.ForeignKey(
        "payments.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="gateway_logs"
    )
    authorization = models.ForeignKey(
        "payments.PaymentAuthorization", null=True, blank=True, on_delete=models.PROTECT, related_name="gateway_logs"
    )
    reversal = models.ForeignKey(
        "payments.AuthorizationReversal", null=True, blank=True, on_delete=models.PROTECT, related_name="gateway_logs"
    )
    interaction_type = models.CharField(max_length=20, choices=InteractionType.choices)
    # A reconciliation asks the gateway what became of an earlier call under the same key; it moves no money.
    is_reconciliation = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=GatewayLogStatus.choices, default=GatewayLogStatus.INITIATED)
    result_code = models.CharField(max_length=20, choices=GatewayResultCode.choices, blank=True)
    amount = MoneyField()
    currency = models.CharField(max_length=3)
    gateway_reference = models.CharField(max_length=255, blank=True)
    message = models.CharField(max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=100, db_index=True)
    # Tokens and references only: an adapter never puts a card number or a secret here.
    request_body = models.JSONField(default=dict)
    response_body = models.JSONField(null=True, blank=True)
    initiated_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["initiated_at", "id"]
        indexes = [models.Index(fields=["status", "initiated_at"], name="gateway_log_status_initiated")]

    def __str__(self) -> str:
        return f"{self.interaction_type} {self.amount} {self.currency} {self.status}"
