"""The console's own records, read-only."""

from django.contrib import admin

from orders.admin.mixins import ReadOnlyAdminMixin

from .models import WizardSubmission


@admin.register(WizardSubmission)
class WizardSubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["token", "order_summary", "kind", "user", "change_order_ids", "created_at"]
    list_filter = ["kind"]
    search_fields = ["order_summary__order_number", "user__username", "token"]
    list_select_related = ["order_summary", "user"]
    date_hierarchy = "created_at"
