"""Invoices (what the customer owes) and credit memos (what the customer is owed back).

Numbers are derived from the primary key once the row exists (`INV-000123`, `CM-000045`): unique
without a shared counter row that every invoicing transaction would have to lock.
"""

from django.db import models
from django.db.models import F, Q

from orders.models.fields import MoneyField, QuantityField, TracksModification
from orders.models.orders import TaxLocaleType

from .constraints import equal


class DocumentStatus(models.TextChoices):
    POSTED = "Posted"


class DocumentTotals(TracksModification):
    """Totals over a document's lines; `total_amount_with_tax` is what is owed (tax inside it for Gross)."""

    currency = models.CharField(max_length=3)
    tax_locale_type = models.CharField(max_length=5, choices=TaxLocaleType.choices, default=TaxLocaleType.NET)
    total_charge_amount = MoneyField()
    total_adjustment_amount = MoneyField()
    total_amount = MoneyField()
    total_tax_amount = MoneyField()
    total_amount_with_tax = MoneyField()
    balance = MoneyField()
    status = models.CharField(max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.POSTED)
    created_at = models.DateTimeField(auto_now_add=True)

    # Each document declares its own number field (unique per kind).
    number: str | None

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number or f"(unnumbered {self.pk})"

    @classmethod
    def totals_constraints(cls, prefix: str) -> list[models.BaseConstraint]:
        return [
            models.CheckConstraint(
                condition=Q(total_amount_with_tax__gt=0) & Q(total_amount__gte=0) & Q(total_tax_amount__gte=0),
                name=f"{prefix}_totals_positive",
            ),
            models.CheckConstraint(
                condition=Q(balance__gte=0) & Q(balance__lte=F("total_amount_with_tax")),
                name=f"{prefix}_balance_within_total",
            ),
            models.CheckConstraint(
                condition=equal("total_amount", F("total_charge_amount") + F("total_adjustment_amount")),
                name=f"{prefix}_total_is_charges_plus_adjustments",
            ),
        ]


class DocumentLine(models.Model):
    """One item summary's share of a document: its charge, its discounts and their tax."""

    order_item_summary = models.ForeignKey("orders.OrderItemSummary", on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=20)
    name = models.CharField(max_length=255)
    quantity = QuantityField()
    charge_amount = MoneyField()
    adjustment_amount = MoneyField()
    tax_amount = MoneyField()
    total_amount = MoneyField()
    total_amount_with_tax = MoneyField()

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.total_amount_with_tax}"


class Invoice(DocumentTotals):
    order_summary = models.ForeignKey("orders.OrderSummary", on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    # The source: a fulfillment order (goods shipped), or fee change orders (see InvoiceChangeOrder).
    fulfillment_order = models.OneToOneField(
        "orders.FulfillmentOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="invoice"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = DocumentTotals.totals_constraints("invoice")
        indexes = [models.Index(fields=["order_summary", "created_at"], name="invoice_summary_created")]


class InvoiceLine(DocumentLine):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    change_order_item = models.ForeignKey(
        "orders.OrderItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fulfillment_order_line = models.ForeignKey(
        "orders.FulfillmentOrderLineItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(DocumentLine.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(charge_amount__gte=0) & Q(total_amount__gte=0), name="invoice_line_not_negative"
            )
        ]


class InvoiceChangeOrder(models.Model):
    """A change order billed on an invoice; unique, so no change order is billed twice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="change_order_links")
    change_order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="invoice_link")

    def __str__(self) -> str:
        return f"{self.invoice} ← {self.change_order}"


class InvoiceChangeShare(models.Model):
    """The share of an in-fulfillment change (a discount or shipping reduction made while the units were on
    an open fulfillment order) billed on a fulfillment order's invoice line, as signed deltas. What the
    shares of a change item add up to never exceeds the change: each invoice takes a share of what is
    left (payments.services.fulfillment_invoice_create)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="change_shares")
    invoice_line = models.ForeignKey(InvoiceLine, on_delete=models.CASCADE, related_name="change_shares")
    change_order_item = models.ForeignKey("orders.OrderItem", on_delete=models.PROTECT, related_name="+")
    line_amount = MoneyField()
    adjustment_amount = MoneyField()
    tax_amount = MoneyField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice_line", "change_order_item"], name="invoice_change_share_once"),
            # Reductions only: a share lowers what the line bills.
            models.CheckConstraint(
                condition=Q(line_amount__lte=0) & Q(adjustment_amount__lte=0) & Q(tax_amount__lte=0),
                name="invoice_change_share_reduces",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_line} ← {self.change_order_item_id}"


class CreditMemo(DocumentTotals):
    """Amounts are stored positive: the change orders' negative deltas, turned round."""

    order_summary = models.ForeignKey("orders.OrderSummary", on_delete=models.PROTECT, related_name="credit_memos")
    number = models.CharField(max_length=20, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = DocumentTotals.totals_constraints("credit_memo")
        indexes = [models.Index(fields=["order_summary", "created_at"], name="credit_memo_summary_created")]


class CreditMemoLine(DocumentLine):
    credit_memo = models.ForeignKey(CreditMemo, on_delete=models.CASCADE, related_name="lines")
    change_order_item = models.ForeignKey("orders.OrderItem", on_delete=models.PROTECT, related_name="+")


class CreditMemoChangeOrder(models.Model):
    """A change order credited on a memo; unique, so no change order is credited twice."""

    credit_memo = models.ForeignKey(CreditMemo, on_delete=models.CASCADE, related_name="change_order_links")
    change_order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="credit_memo_link")

    def __str__(self) -> str:
        return f"{self.credit_memo} ← {self.change_order}"
