"""Admin of issue 16: routing policies and hold rules are edited here; holds, exclusions and
rejections are shown (they change only through their services: the API and the console)."""

from django.contrib import admin

from orders.models import FulfillmentRejection, HoldRule, OrderHold, RoutingExclusion, RoutingPolicy

from .mixins import ReadOnlyAdminMixin


@admin.register(RoutingPolicy)
class RoutingPolicyAdmin(admin.ModelAdmin):
    list_display = ["sales_channel", "max_splits", "ship_from_store", "updated_at"]
    list_select_related = ["sales_channel"]
    filter_horizontal = ["shipping_location_groups"]
    readonly_fields = ["updated_at"]
    fields = ["sales_channel", "max_splits", "ship_from_store", "shipping_location_groups", "updated_at"]


@admin.register(HoldRule)
class HoldRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "minimum_grand_total", "currency", "country", "sales_channel", "reason"]
    list_filter = ["is_active", "sales_channel"]
    list_editable = ["is_active"]
    list_select_related = ["sales_channel"]
    search_fields = ["name", "reason"]
    readonly_fields = ["created_at"]
    fieldsets = [
        (None, {"fields": ["name", "is_active", "reason"]}),
        (
            "Conditions (every one set must hold; set at least one)",
            {"fields": ["minimum_grand_total", "currency", "country", "sales_channel"]},
        ),
        ("History", {"fields": ["created_at"]}),
    ]


@admin.register(OrderHold)
class OrderHoldAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order_summary", "fulfillment_order_line", "reason", "held_by_name", "held_at", "released_at"]
    list_filter = ["released_at"]
    list_select_related = ["order_summary", "fulfillment_order_line", "held_by", "held_by_client", "rule"]
    search_fields = ["order_summary__order_number", "reason"]
    raw_id_fields = ["order_summary", "fulfillment_order_line"]


@admin.register(RoutingExclusion)
class RoutingExclusionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order_summary", "location", "reason", "created_at"]
    list_select_related = ["order_summary", "location"]
    search_fields = ["order_summary__order_number", "location__external_reference"]


@admin.register(FulfillmentRejection)
class FulfillmentRejectionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "fulfillment_order",
        "fulfillment_order_line",
        "quantity",
        "reason",
        "created_by",
        "created_by_client",
        "created_at",
    ]
    list_select_related = ["fulfillment_order", "fulfillment_order_line", "created_by", "created_by_client"]
    search_fields = ["reason"]
