"""The console's own records, read-only: approvals are decided on the order page, through the service."""

from django.contrib import admin

from orders.admin.mixins import ReadOnlyAdminMixin, money_column

from .models import RefundApproval, WizardSubmission


@admin.register(RefundApproval)
class RefundApprovalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order_summary", money_column("amount", "Amount", ordering="amount"), "status",
                    "requested_by", "decided_by", "created_at", "decided_at"]
    list_filter = ["status", "currency"]
    search_fields = ["order_summary__order_number", "requested_by__username", "decided_by__username"]
    list_select_related = ["order_summary", "requested_by", "decided_by"]
    date_hierarchy = "created_at"


@admin.register(WizardSubmission)
class WizardSubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["token", "order_summary", "kind", "user", "change_order_ids", "created_at"]
    list_filter = ["kind"]
    search_fields = ["order_summary__order_number", "user__username", "token"]
    list_select_related = ["order_summary", "user"]
    date_hierarchy = "created_at"
