"""Admin for orders, summaries, reference data, process exceptions and API clients."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from orders import outbox
from orders.models import (
    ApiClient,
    IdempotencyRecord,
    Order,
    OrderDeliveryGroup,
    OrderDeliveryGroupSummary,
    OrderItem,
    OrderItemAdjustmentLine,
    OrderItemSummary,
    OrderItemSummaryChange,
    OrderItemTaxLine,
    OrderSummary,
    OutboxMessage,
    ProcessException,
    ReasonCode,
    SalesChannel,
    Scope,
)
from orders.models.api_clients import channel_scope_conflict
from orders.services.process_exception_status import set_process_exception_status

from .exchanges import ExchangeOriginInline, ExchangesMadeInline
from .mixins import ReadOnlyAdminMixin, ReadOnlyTabularInline, money_column

# --- Reference data (editable) -----------------------------------------------------------------


@admin.register(SalesChannel)
class SalesChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "created_at"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at"]


@admin.register(ReasonCode)
class ReasonCodeAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "sort_order"]
    list_editable = ["is_active", "sort_order"]
    list_filter = ["is_active"]
    search_fields = ["name"]


# --- Orders as placed and change orders (read-only) --------------------------------------------


class OrderDeliveryGroupInline(ReadOnlyTabularInline):
    model = OrderDeliveryGroup
    fields = ["recipient_name", "email", "delivery_method", "city", "country", "desired_delivery_date", "is_gift"]


class OrderItemInline(ReadOnlyTabularInline):
    model = OrderItem
    fk_name = "order"
    fields = [
        "line_number",
        "type",
        "sku",
        "name",
        "quantity",
        "unit_price",
        "line_amount",
        "line_tax_amount",
        "adjustment_amount",
        "delivery_group",
    ]
    select_related = ("delivery_group",)


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "order_number",
        "kind",
        "change_type",
        "sales_channel",
        "bill_to_name",
        "bill_to_email",
        "status",
        money_column("grand_total_amount", "Grand total", ordering="grand_total_amount"),
        "ordered_date",
    ]
    list_filter = ["kind", "change_type", "status", "sales_channel", "currency", "tax_locale_type", "ordered_date"]
    search_fields = ["=id", "order_number", "bill_to_email", "bill_to_name", "external_reference"]
    list_select_related = ["sales_channel"]
    date_hierarchy = "ordered_date"
    ordering = ["-ordered_date", "-id"]
    inlines = [OrderDeliveryGroupInline, OrderItemInline]


@admin.register(OrderDeliveryGroup)
class OrderDeliveryGroupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "recipient_name",
        "order",
        "email",
        "delivery_method",
        "city",
        "country",
        "desired_delivery_date",
        "is_gift",
    ]
    list_filter = ["delivery_method", "is_gift", "country"]
    search_fields = ["order__order_number", "recipient_name", "email", "reference_id"]
    list_select_related = ["order"]


class OrderItemAdjustmentLineInline(ReadOnlyTabularInline):
    model = OrderItemAdjustmentLine
    fields = ["name", "promotion_code", "source", "amount"]


class OrderItemTaxLineInline(ReadOnlyTabularInline):
    model = OrderItemTaxLine
    fields = ["name", "rate", "amount", "adjustment_line"]
    select_related = ("adjustment_line",)


@admin.register(OrderItem)
class OrderItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "order",
        "line_number",
        "type",
        "sku",
        "quantity",
        money_column("unit_price", "Unit price", currency="order.currency"),
        money_column("line_amount", "Line amount", currency="order.currency"),
        money_column("adjustment_amount", "Adjustments", currency="order.currency"),
        money_column("line_tax_amount", "Tax", currency="order.currency"),
    ]
    list_filter = ["type", "order__kind", "order__currency"]
    search_fields = ["order__order_number", "sku", "name", "product_reference"]
    list_select_related = ["order"]
    inlines = [OrderItemAdjustmentLineInline, OrderItemTaxLineInline]


@admin.register(OrderItemAdjustmentLine)
class OrderItemAdjustmentLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "order_number",
        "order_item",
        "promotion_code",
        "source",
        money_column("amount", "Amount", currency="order_item.order.currency"),
    ]
    list_filter = ["source"]
    search_fields = ["order_item__order__order_number", "name", "promotion_code", "order_item__sku"]
    list_select_related = ["order_item__order"]

    @admin.display(description="Order", ordering="order_item__order__order_number")
    def order_number(self, obj):
        return obj.order_item.order.order_number


@admin.register(OrderItemTaxLine)
class OrderItemTaxLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "order_number",
        "order_item",
        "adjustment_line",
        "rate",
        money_column("amount", "Amount", currency="order_item.order.currency"),
    ]
    search_fields = ["order_item__order__order_number", "name", "order_item__sku"]
    list_select_related = ["order_item__order", "adjustment_line"]

    @admin.display(description="Order", ordering="order_item__order__order_number")
    def order_number(self, obj):
        return obj.order_item.order.order_number


# --- Order summaries (read-only: services keep their quantities and roll-ups) ------------------


class OrderDeliveryGroupSummaryInline(ReadOnlyTabularInline):
    model = OrderDeliveryGroupSummary
    fields = [
        "recipient_name",
        "delivery_method",
        "city",
        "country",
        "total_amount",
        "total_tax_amount",
        "grand_total_amount",
    ]


class OrderItemSummaryInline(ReadOnlyTabularInline):
    model = OrderItemSummary
    fields = [
        "line_number",
        "type",
        "sku",
        "name",
        "status",
        "quantity_ordered",
        "quantity_canceled",
        "quantity_allocated",
        "quantity_fulfilled",
        "quantity_return_initiated",
        "quantity_returned",
        "quantity_reshipped",
        "unit_price",
        "total_line_amount",
        "total_adjustment_amount",
        "total_line_tax_amount",
    ]


class OrderItemSummaryChangeInline(ReadOnlyTabularInline):
    model = OrderItemSummaryChange
    fk_name = "order_summary"
    fields = [
        "created_at",
        "change_type",
        "order_item_summary",
        "change_order",
        "reason",
        "reason_text",
        "is_pre_fulfillment",
        "actor",
    ]
    readonly_fields = ["actor"]
    select_related = ("order_item_summary", "change_order", "created_by", "created_by_client")


class ProcessExceptionInline(ReadOnlyTabularInline):
    model = ProcessException
    fields = ["created_at", "category", "severity", "priority", "status", "message"]
    readonly_fields = ["created_at"]


@admin.register(OrderSummary)
class OrderSummaryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "order_number",
        "sales_channel",
        "bill_to_name",
        "bill_to_email",
        "status",
        "life_cycle_type",
        money_column("grand_total_amount", "Grand total", ordering="grand_total_amount"),
        "active_process_exception_count",
        "ordered_date",
    ]
    list_filter = ["status", "life_cycle_type", "sales_channel", "currency", "tax_locale_type", "ordered_date"]
    search_fields = ["=id", "order_number", "bill_to_email", "bill_to_name", "external_reference"]
    list_select_related = ["sales_channel"]
    date_hierarchy = "ordered_date"
    ordering = ["-ordered_date", "-id"]
    inlines = [
        OrderDeliveryGroupSummaryInline,
        OrderItemSummaryInline,
        OrderItemSummaryChangeInline,
        ProcessExceptionInline,
        ExchangeOriginInline,
        ExchangesMadeInline,
    ]


@admin.register(OrderDeliveryGroupSummary)
class OrderDeliveryGroupSummaryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "recipient_name",
        "order_summary",
        "delivery_method",
        "city",
        "country",
        money_column("grand_total_amount", "Grand total", currency="order_summary.currency"),
    ]
    list_filter = ["delivery_method", "country"]
    search_fields = ["order_summary__order_number", "recipient_name", "email"]
    list_select_related = ["order_summary"]


class OrderItemSummaryChangeByItemInline(OrderItemSummaryChangeInline):
    fk_name = "order_item_summary"
    fields = ["created_at", "change_type", "change_order", "reason", "reason_text", "is_pre_fulfillment", "actor"]


@admin.register(OrderItemSummary)
class OrderItemSummaryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "order_summary",
        "sku",
        "type",
        "status",
        "quantity_ordered",
        "quantity_canceled",
        "quantity_allocated",
        "quantity_fulfilled",
        "quantity_return_initiated",
        "quantity_returned",
        "quantity_reshipped",
        money_column("unit_price", "Unit price", currency="order_summary.currency"),
        money_column("total_price", "Total price", currency="order_summary.currency"),
        money_column("total_tax_amount", "Tax", currency="order_summary.currency"),
    ]
    list_filter = ["status", "type", "order_summary__sales_channel", "order_summary__currency"]
    search_fields = ["order_summary__order_number", "sku", "name", "product_reference"]
    list_select_related = ["order_summary"]
    readonly_fields = [
        "quantity",
        "quantity_net_ordered",
        "quantity_available_to_fulfill",
        "quantity_available_to_cancel",
        "quantity_available_to_return",
        "quantity_available_to_reship",
        "total_price",
        "total_tax_amount",
        "total_amt_with_tax",
    ]
    inlines = [OrderItemSummaryChangeByItemInline]


@admin.register(OrderItemSummaryChange)
class OrderItemSummaryChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "order_summary",
        "order_item_summary",
        "change_type",
        "reason",
        "is_pre_fulfillment",
        "actor",
    ]
    list_filter = ["change_type", "reason", "is_pre_fulfillment", "created_at"]
    search_fields = ["order_summary__order_number", "order_item_summary__sku", "reason", "reason_text"]
    list_select_related = ["order_summary", "order_item_summary", "created_by", "created_by_client"]
    date_hierarchy = "created_at"


# --- Process exceptions: people work them, so the status is theirs to set ------------------------


class ProcessExceptionStatusForm(forms.ModelForm):
    class Meta:
        model = ProcessException
        fields = ["status"]


@admin.register(ProcessException)
class ProcessExceptionAdmin(admin.ModelAdmin):
    form = ProcessExceptionStatusForm
    list_display = ["message", "order_summary", "category", "severity", "priority", "status", "created_at"]
    list_filter = ["status", "category", "severity", "priority", "created_at"]
    search_fields = ["order_summary__order_number", "message", "description"]
    list_select_related = ["order_summary"]
    date_hierarchy = "created_at"
    fields = [
        "order_summary",
        "category",
        "severity",
        "priority",
        "message",
        "description",
        "attached_to_type",
        "attached_to_id",
        "created_at",
        "updated_at",
        "status",
    ]
    readonly_fields = [name for name in fields if name != "status"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service: it keeps the summary's count of active exceptions in step.
        updated = set_process_exception_status(obj.pk, form.cleaned_data["status"])
        obj.status, obj.updated_at = updated.status, updated.updated_at


# --- API clients and idempotency records --------------------------------------------------------


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiClient
        fields = ["name", "scopes", "sales_channel"]

    def clean(self):
        data = super().clean()
        conflict = channel_scope_conflict(data.get("scopes") or [], data.get("sales_channel"))
        if conflict:
            self.add_error("scopes", conflict)
        return data


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = [
        "name",
        "key_prefix",
        "scope_list",
        "sales_channel",
        "is_active",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["is_active", "sales_channel", "created_at"]
    search_fields = ["name", "key_prefix"]
    list_select_related = ["sales_channel"]
    actions = ["revoke_keys"]
    # Revoking is the only way to turn a key off: an unchecked box could be checked again by mistake.
    readonly_fields = ["key_prefix", "is_active", "revoked_at", "created_at", "last_used_at"]
    key_issued_template = "admin/orders/apiclient/key_issued.html"

    @admin.display(description="Scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "scopes", "sales_channel"]
        return [
            "name",
            "key_prefix",
            "scopes",
            "sales_channel",
            "is_active",
            "revoked_at",
            "created_at",
            "last_used_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        # Orders and changes name the client that made them; revoke a key instead of erasing that trail.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        issued, raw_key = ApiClient.issue(name=obj.name, scopes=obj.scopes, sales_channel=obj.sales_channel)
        # The admin goes on with `obj` (history entry, redirect): make it the stored client.
        obj.__dict__.update(issued.__dict__)
        obj._issued_raw_key = raw_key

    def response_add(self, request, obj, post_url_continue=None):
        raw_key = getattr(obj, "_issued_raw_key", None)
        if raw_key is None:
            return super().response_add(request, obj, post_url_continue)
        # A page of its own rather than a flash message: messages may travel in a cookie.
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "client": obj,
            "raw_key": raw_key,
            "title": f"API key for {obj.name}",
        }
        response = TemplateResponse(request, self.key_issued_template, context)
        add_never_cache_headers(response)
        return response

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_keys(self, request, queryset):
        revoked = 0
        for client in queryset.filter(is_active=True):
            client.revoke()
            revoked += 1
        self.message_user(request, f"Revoked {revoked} API key(s).", messages.SUCCESS)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "client", "method", "path", "response_status", "created_at", "completed_at"]
    list_filter = ["method", "response_status", "client", "created_at"]
    search_fields = ["key", "path", "client__name"]
    list_select_related = ["client"]
    date_hierarchy = "created_at"


# --- The outbox: follow-up tasks promised by writes (orders/outbox.py) ---------------------------


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What the writes promised the workers, and whether the workers did it. A Failed message (its task
    gave up, or was never acknowledged) can be handed over again once its cause is fixed."""

    list_display = [
        "id",
        "task_name",
        "args",
        "status",
        "publish_count",
        "created_at",
        "next_attempt_at",
        "done_at",
        "last_error",
    ]
    list_filter = ["status", "task_name", "created_at"]
    search_fields = ["task_name", "last_error"]
    date_hierarchy = "created_at"
    actions = ["publish_again"]

    def has_change_permission(self, request, obj=None):
        # The action below changes messages; the form shows them read-only (every field is in readonly_fields).
        return request.user.has_perm("orders.change_outboxmessage")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in OutboxMessage._meta.fields]

    @admin.action(description="Publish again now (pending, or failed after its cause is fixed)")
    def publish_again(self, request, queryset):
        count = outbox.requeue(queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} message(s) will be published at the relay's next pass.", messages.SUCCESS)
