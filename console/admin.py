"""The console's own records: wizard tokens read-only; location assignments of the Fulfillment role
(issue 16) are edited here."""

from django.contrib import admin

from orders.admin.mixins import ReadOnlyAdminMixin

from .models import LocationAssignment, WizardSubmission


@admin.register(WizardSubmission)
class WizardSubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["token", "order_summary", "kind", "user", "change_order_ids", "created_at"]
    list_filter = ["kind"]
    search_fields = ["order_summary__order_number", "user__username", "token"]
    list_select_related = ["order_summary", "user"]
    date_hierarchy = "created_at"


@admin.register(LocationAssignment)
class LocationAssignmentAdmin(admin.ModelAdmin):
    """Which locations' work queues a Fulfillment user works (put the user in the Fulfillment group too)."""

    list_display = ["user", "location", "created_at"]
    list_filter = ["location"]
    search_fields = ["user__username", "location__name", "location__external_reference"]
    list_select_related = ["user", "location"]
    autocomplete_fields = ["location"]
    raw_id_fields = ["user"]
