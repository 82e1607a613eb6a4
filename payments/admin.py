"""Admin for payment summaries, authorizations and payments: read-only, the payment services own them."""

from django.contrib import admin

from orders.admin.mixins import ReadOnlyAdminMixin, ReadOnlyTabularInline, money_column
from payments.models import OrderPaymentSummary, Payment, PaymentAuthorization


class PaymentAuthorizationInline(ReadOnlyTabularInline):
    model = PaymentAuthorization
    fields = ["created_at", "method", "last4", "amount", "currency", "status", "gateway_reference", "expires_at"]


class PaymentInline(ReadOnlyTabularInline):
    model = Payment
    fields = [
        "created_at",
        "kind",
        "amount",
        "balance",
        "refunded_amount",
        "currency",
        "status",
        "gateway_reference",
        "authorization",
    ]
    select_related = ("authorization",)


@admin.register(OrderPaymentSummary)
class OrderPaymentSummaryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[OrderPaymentSummary]):
    list_display = [
        "__str__",
        "order_summary",
        "type",
        "currency",
        money_column("authorization_amount", "Authorized", ordering="authorization_amount"),
        money_column("captured_amount", "Captured", ordering="captured_amount"),
        money_column("refunded_amount", "Refunded", ordering="refunded_amount"),
        money_column("authorization_reversal_amount", "Reversed", ordering="authorization_reversal_amount"),
        money_column("balance_amount", "Balance", ordering="balance_amount"),
        "created_at",
    ]
    list_filter = ["type", "currency", "order_summary__sales_channel", "created_at"]
    search_fields = ["order_summary__order_number", "order_summary__bill_to_email", "method", "last4"]
    list_select_related = ["order_summary"]
    date_hierarchy = "created_at"
    readonly_fields = ["available_to_capture_amount", "available_to_refund_amount"]
    inlines = [PaymentAuthorizationInline, PaymentInline]


@admin.register(PaymentAuthorization)
class PaymentAuthorizationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[PaymentAuthorization]):
    list_display = [
        "__str__",
        "order",
        "method",
        "type",
        "last4",
        "status",
        money_column("amount", "Amount", ordering="amount"),
        "expires_at",
        "created_at",
    ]
    list_filter = ["status", "type", "currency", "created_at"]
    search_fields = ["order__order_number", "order__bill_to_email", "gateway_reference", "method", "last4"]
    list_select_related = ["order"]
    date_hierarchy = "created_at"


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Payment]):
    list_display = [
        "__str__",
        "order",
        "method",
        "type",
        "last4",
        "kind",
        "status",
        money_column("amount", "Amount", ordering="amount"),
        money_column("balance", "Balance", ordering="balance"),
        money_column("refunded_amount", "Refunded", ordering="refunded_amount"),
        "created_at",
    ]
    list_filter = ["kind", "status", "type", "currency", "created_at"]
    search_fields = ["order__order_number", "order__bill_to_email", "gateway_reference", "method", "last4"]
    list_select_related = ["order"]
    date_hierarchy = "created_at"
    readonly_fields = ["available_to_refund_amount"]


# Billing documents, money movements, the gateway log and background operations; agent refunds (read-only)
# and the per-currency agent refund limits (editable).
from . import admin_money, agent_refund_admin  # noqa: E402, F401
