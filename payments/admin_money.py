"""Admin for billing documents, money movements, the gateway log and background operations.

All read-only: the payment services write them, under locks and with the gateway; an edit by hand
would break the ledger (DOMAIN.md §1, Billing and money).
"""

from django.contrib import admin

from orders.admin.mixins import ReadOnlyAdminMixin, ReadOnlyTabularInline, money_column
from payments.models import (
    AuthorizationReversal,
    BackgroundOperation,
    CreditMemo,
    CreditMemoAppliedToInvoice,
    CreditMemoChangeOrder,
    CreditMemoLine,
    Invoice,
    InvoiceChangeOrder,
    InvoiceChangeShare,
    InvoiceLine,
    PaymentAppliedToInvoice,
    PaymentGatewayLog,
    Refund,
    SandboxTransaction,
)

LINE_FIELDS = (
    "order_item_summary",
    "type",
    "name",
    "quantity",
    "charge_amount",
    "adjustment_amount",
    "tax_amount",
    "total_amount",
    "total_amount_with_tax",
)
DOCUMENT_LIST = [
    "number",
    "order_summary",
    "status",
    money_column("total_amount_with_tax", "Total", ordering="total_amount_with_tax"),
    money_column("balance", "Balance", ordering="balance"),
    "created_at",
]


class InvoiceLineInline(ReadOnlyTabularInline):
    model = InvoiceLine
    fields = LINE_FIELDS
    select_related = ("order_item_summary",)


class InvoiceChangeOrderInline(ReadOnlyTabularInline):
    model = InvoiceChangeOrder
    fields = ["change_order"]
    verbose_name = "change order billed"


class CreditMemoChangeOrderInline(ReadOnlyTabularInline):
    model = CreditMemoChangeOrder
    fields = ["change_order"]
    verbose_name = "change order credited"


class ApplicationInline(ReadOnlyTabularInline):
    model = PaymentAppliedToInvoice
    fields = ["created_at", "type", "payment", "amount", "refund", "credit_memo"]
    select_related = ("payment", "refund", "credit_memo")


class InvoiceChangeShareInline(ReadOnlyTabularInline):
    model = InvoiceChangeShare
    fields = ["invoice_line", "change_order_item", "line_amount", "adjustment_amount", "tax_amount"]
    select_related = ("invoice_line", "change_order_item")
    verbose_name = "in-fulfillment change billed"


class NettingInline(ReadOnlyTabularInline):
    model = CreditMemoAppliedToInvoice
    fields = ["created_at", "credit_memo", "invoice", "amount"]
    select_related = ("credit_memo", "invoice")
    verbose_name = "credit memo netted"
    fk_name = "invoice"


class MemoNettingInline(NettingInline):
    fk_name = "credit_memo"


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Invoice]):
    list_display = DOCUMENT_LIST
    list_filter = ["status", "currency", "created_at"]
    search_fields = ["number", "order_summary__order_number"]
    list_select_related = ["order_summary"]
    date_hierarchy = "created_at"
    inlines = [InvoiceLineInline, InvoiceChangeOrderInline, InvoiceChangeShareInline, ApplicationInline, NettingInline]


@admin.register(AuthorizationReversal)
class AuthorizationReversalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[AuthorizationReversal]):
    list_display = [
        "__str__",
        "order_payment_summary",
        "authorization",
        "status",
        money_column("amount", "Amount", ordering="amount"),
        "idempotency_key",
        "created_at",
        "processed_at",
    ]
    list_filter = ["status", "currency", "created_at"]
    search_fields = ["order_payment_summary__order_summary__order_number", "idempotency_key", "gateway_reference"]
    list_select_related = ["order_payment_summary", "authorization"]
    date_hierarchy = "created_at"


class CreditMemoLineInline(ReadOnlyTabularInline):
    model = CreditMemoLine
    fields = LINE_FIELDS
    select_related = ("order_item_summary",)


class RefundInline(ReadOnlyTabularInline):
    model = Refund
    fields = ["created_at", "order_payment_summary", "amount", "credit_memo_amount", "status", "gateway_reference"]
    select_related = ("order_payment_summary",)


@admin.register(CreditMemo)
class CreditMemoAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[CreditMemo]):
    list_display = DOCUMENT_LIST
    list_filter = ["status", "currency", "created_at"]
    search_fields = ["number", "order_summary__order_number"]
    list_select_related = ["order_summary"]
    date_hierarchy = "created_at"
    inlines = [CreditMemoLineInline, CreditMemoChangeOrderInline, RefundInline, MemoNettingInline]


@admin.register(PaymentAppliedToInvoice)
class PaymentAppliedToInvoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[PaymentAppliedToInvoice]):
    list_display = [
        "created_at",
        "type",
        "payment",
        "invoice",
        money_column("amount", "Amount", currency="payment.currency", ordering="amount"),
    ]
    list_filter = ["type", "created_at"]
    search_fields = ["invoice__number", "invoice__order_summary__order_number"]
    list_select_related = ["payment", "invoice"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Refund]):
    list_display = [
        "__str__",
        "order_payment_summary",
        "credit_memo",
        "status",
        money_column("amount", "Amount", ordering="amount"),
        "idempotency_key",
        "created_at",
    ]
    list_filter = ["status", "currency", "created_at"]
    search_fields = ["idempotency_key", "gateway_reference", "order_payment_summary__order_summary__order_number"]
    list_select_related = ["order_payment_summary", "credit_memo"]
    date_hierarchy = "created_at"


@admin.register(PaymentGatewayLog)
class PaymentGatewayLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[PaymentGatewayLog]):
    list_display = [
        "initiated_at",
        "interaction_type",
        "is_reconciliation",
        "status",
        "result_code",
        money_column("amount", "Amount", ordering="amount"),
        "idempotency_key",
        "gateway_reference",
    ]
    list_filter = ["interaction_type", "status", "result_code", "is_reconciliation", "initiated_at"]
    search_fields = ["idempotency_key", "gateway_reference", "order_payment_summary__order_summary__order_number"]
    date_hierarchy = "initiated_at"


@admin.register(BackgroundOperation)
class BackgroundOperationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[BackgroundOperation]):
    list_display = ["__str__", "order_summary", "type", "status", "retry_count", "submitted_at", "finished_at"]
    list_filter = ["type", "status", "submitted_at"]
    search_fields = ["order_summary__order_number"]
    list_select_related = ["order_summary"]
    date_hierarchy = "submitted_at"


@admin.register(SandboxTransaction)
class SandboxTransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[SandboxTransaction]):
    """What the sandbox gateway did: one row per money movement it accepted, keyed by idempotency key."""

    list_display = [
        "idempotency_key",
        "interaction_type",
        "result_code",
        "amount",
        "currency",
        "reference",
        "answered",
        "created_at",
    ]
    list_filter = ["interaction_type", "result_code", "answered"]
    search_fields = ["idempotency_key", "reference"]
    date_hierarchy = "created_at"
