"""Exchanges in the admin (issue 15): read-only, linked from both order summaries."""

from django.contrib import admin

from orders.models import Exchange

from .mixins import ReadOnlyAdminMixin, ReadOnlyTabularInline, money_column

_AMOUNTS = ["returned_value", "replacement_total", "transferred_amount", "amount_to_charge", "amount_to_refund"]


class ExchangesMadeInline(ReadOnlyTabularInline):
    """On the original: the exchanges made on it and their replacement summaries."""

    model = Exchange
    fk_name = "original_summary"
    verbose_name = "exchange made on this order"
    verbose_name_plural = "exchanges made on this order (replacement order summaries)"
    fields = ["created_at", "exchange_summary", "status", "return_change_order", "return_order", *_AMOUNTS]
    select_related = ("exchange_summary", "return_change_order", "return_order")


class ExchangeOriginInline(ReadOnlyTabularInline):
    """On a replacement: the exchange that made it and the original summary."""

    model = Exchange
    fk_name = "exchange_summary"
    verbose_name = "exchange this order replaces units of"
    verbose_name_plural = "source order summary (exchange)"
    # The status says whether it waits for the return order (its units) or was completed or canceled.
    fields = ["created_at", "original_summary", "status", "return_change_order", "return_order", *_AMOUNTS]
    select_related = ("original_summary", "return_change_order", "return_order")


@admin.register(Exchange)
class ExchangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "original_summary",
        "exchange_summary",
        "status",
        "hold_until_returned",
        money_column("returned_value", "Returned value", currency="currency"),
        money_column("replacement_total", "Replacement", currency="currency"),
        money_column("amount_to_charge", "Charged", currency="currency"),
        money_column("amount_to_refund", "Refunded", currency="currency"),
    ]
    list_filter = ["status", "hold_until_returned", "currency", "created_at"]
    search_fields = ["original_summary__order_number", "exchange_summary__order_number"]
    list_select_related = ["original_summary", "exchange_summary"]
    date_hierarchy = "created_at"
