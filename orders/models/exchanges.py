"""Exchanges (issue 15): returned units traded for a replacement order summary linked to the original."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .fields import MoneyField
from .money_constraints import equal


class ExchangeStatus(models.TextChoices):
    # The replacement waits on hold for the return order's units (holdReplacementUntilReturned).
    AWAITING_RETURN = "AwaitingReturn", "Waiting for the return"
    COMPLETED = "Completed"
    # The return order ended with nothing returned: the waiting replacement was canceled, nothing moved.
    CANCELED = "Canceled"


class Exchange(models.Model):
    """One exchange: the units returned on the original summary and the replacement summary made for them.

    The amounts are those the submit applied (the preview's, to the cent): what the returned units are worth
    (`returned_value`, the return's grand total), the replacement's grand total, the part of the original's
    refundable funds moved to pay the replacement, and what is charged or refunded on top."""

    original_summary = models.ForeignKey("orders.OrderSummary", on_delete=models.PROTECT, related_name="exchanges")
    exchange_summary = models.OneToOneField(
        "orders.OrderSummary", on_delete=models.PROTECT, related_name="exchange_origin"
    )
    # The Return change order on the original (null while the return order's units are awaited).
    return_change_order = models.OneToOneField(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="exchange"
    )
    return_order = models.OneToOneField(
        "orders.ReturnOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="exchange"
    )
    hold_until_returned = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=ExchangeStatus.choices, default=ExchangeStatus.COMPLETED)
    reason = models.CharField(max_length=80, blank=True)
    currency = models.CharField(max_length=3)
    returned_value = MoneyField()
    replacement_total = MoneyField()
    transferred_amount = MoneyField()
    amount_to_charge = MoneyField()
    amount_to_refund = MoneyField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_client = models.ForeignKey(
        "orders.ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(returned_value__gte=0)
                & Q(replacement_total__gte=0)
                & Q(transferred_amount__gte=0)
                & Q(amount_to_charge__gte=0)
                & Q(amount_to_refund__gte=0),
                name="exchange_amounts_not_negative",
            ),
            # The replacement is paid by what moved and what is charged, nothing else.
            models.CheckConstraint(
                condition=equal("replacement_total", F("transferred_amount") + F("amount_to_charge")),
                name="exchange_replacement_paid",
            ),
            models.CheckConstraint(
                condition=~Q(original_summary=F("exchange_summary")),
                name="exchange_not_of_itself",
            ),
        ]

    def __str__(self):
        return f"Exchange {self.pk}: {self.original_summary_id} → {self.exchange_summary_id}"

    @property
    def return_order_number(self) -> str:
        """The return order's number (RO-…) from its id, without reading the row."""
        from .returns import ReturnOrder

        return ReturnOrder(pk=self.return_order_id).number if self.return_order_id else ""
