"""Admin of events and webhooks: endpoints (created and changed through the same service as the API),
their deliveries with every attempt, a redeliver action, and a notice while an endpoint is disabled."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from orders.errors import ServiceError
from orders.models import (
    Event,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from orders.services.webhook_delivery import redeliver
from orders.services.webhook_endpoints import (
    check_events,
    check_url,
    create_webhook_endpoint,
    update_webhook_endpoint,
)

from .mixins import ReadOnlyAdminMixin, ReadOnlyInlineMixin


def _warn_disabled(request) -> None:
    disabled = list(WebhookEndpoint.objects.filter(disabled_at__isnull=False).values_list("url", "disabled_reason"))
    for url, reason in disabled:
        messages.warning(
            request,
            f"Webhook endpoint {url} was disabled: {reason} Fix the receiver, then tick "
            "Active and redeliver what failed.",
        )


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(choices=EventType.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events", "description", "sales_channel", "is_active"]

    # The service's checks (private and loopback addresses, known types), shown on the form.
    def clean_url(self):
        return _checked(check_url, self.cleaned_data["url"])

    def clean_events(self):
        return _checked(check_events, list(self.cleaned_data["events"]))


def _checked(check, value):
    try:
        return check(value)
    except ServiceError as error:
        raise forms.ValidationError(error.message) from None


class DeliveryInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = WebhookDelivery
    fields = [
        "event",
        "status",
        "attempt_count",
        "last_response_status",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "last_error",
    ]
    select_related = ("event",)
    ordering = ["-id"]

    def get_queryset(self, request):
        # The latest 50: an endpoint's history is long; the deliveries page has all of it.
        ids = WebhookDelivery.objects.order_by("-id").values_list("id", flat=True)
        return super().get_queryset(request).select_related("event").filter(pk__in=list(ids[:50]))


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "events_list", "sales_channel", "is_active", "failing_since", "disabled_at"]
    list_filter = ["is_active", "sales_channel"]
    search_fields = ["url", "description"]
    list_select_related = ["sales_channel"]
    readonly_fields = ["failing_since", "disabled_at", "disabled_reason", "created_by", "created_at", "updated_at"]
    inlines = [DeliveryInline]

    @admin.display(description="events")
    def events_list(self, endpoint):
        return ", ".join(endpoint.events)

    def get_readonly_fields(self, request, obj=None):
        # The channel decides whose events an endpoint sees: chosen when it is made, not moved later.
        return [*self.readonly_fields, "sales_channel"] if obj is not None else self.readonly_fields

    def changelist_view(self, request, extra_context=None):
        _warn_disabled(request)
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            update_webhook_endpoint(
                obj.pk,
                channel_id=None,
                url=data["url"],
                events=data["events"],
                description=data["description"],
                active=data["is_active"],
            )
            return
        created = create_webhook_endpoint(
            data["url"],
            data["events"],
            data["description"],
            channel_id=data["sales_channel"].pk if data["sales_channel"] else None,
        )
        obj.pk = created.endpoint.pk
        if not data["is_active"]:
            update_webhook_endpoint(obj.pk, channel_id=None, active=False)
        messages.warning(
            request,
            format_html("The signing secret of this endpoint, shown this once: <code>{}</code>", created.secret),
        )

    def save_related(self, request, form, formsets, change):
        """The service saved the endpoint; it has no many-to-many fields and its inline is read-only."""


class AttemptInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = WebhookAttempt
    fields = ["attempted_at", "response_status", "succeeded", "error", "duration_ms"]
    show_change_link = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "event",
        "endpoint",
        "status",
        "attempt_count",
        "last_response_status",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "event__type"]
    list_select_related = ["event", "endpoint"]
    search_fields = ["endpoint__url", "last_error"]
    inlines = [AttemptInline]
    actions = ["send_again"]

    def has_change_permission(self, request, obj=None):
        # The action below sends deliveries again; the form shows them read-only.
        return request.user.has_perm("orders.change_webhookdelivery")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in WebhookDelivery._meta.fields]

    def changelist_view(self, request, extra_context=None):
        _warn_disabled(request)
        return super().changelist_view(request, extra_context)

    @admin.action(description="Redeliver now (same event id)")
    def send_again(self, request, queryset):
        sent, refused = 0, []
        for pk in queryset.values_list("pk", flat=True):
            try:
                redeliver(pk)
                sent += 1
            except ServiceError as error:
                refused.append(f"{pk}: {error.message}")
        if sent:
            self.message_user(request, f"{sent} deliver(ies) will be sent again now.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "type", "order_summary", "sequence", "created_at"]
    list_filter = ["type", "created_at"]
    search_fields = ["order_summary__order_number"]
    list_select_related = ["order_summary"]
    date_hierarchy = "created_at"
    readonly_fields = ["type", "order_summary", "sequence", "created_at", "data"]
