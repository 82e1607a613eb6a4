"""Admin for locations, inventory (with a CSV upload), fulfillment orders and return orders.

Locations and location groups are reference data and edited here. Inventory levels change only
through the inventory service (the CSV upload, the API, fulfillment and returns); fulfillment and
return orders only through their services: the admin shows them, and moves a fulfillment order's
status through the same service the API calls.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from orders.errors import ServiceError
from orders.models import (
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentOrderMove,
    InventoryLevel,
    Location,
    LocationGroup,
    Reshipment,
    ReshipmentItem,
    ReturnOrder,
    ReturnOrderLineItem,
    ReturnOrderLineItemFee,
    Shipment,
    ShipmentLineItem,
)
from orders.services.fulfillment_status import change_fulfillment_order_status, is_allowed_move
from orders.services.inventory import CSV_COLUMNS, parse_inventory_csv, set_inventory_levels
from orders.services.shipments import ShipmentUpdate, update_shipment

from .mixins import ReadOnlyAdminMixin, ReadOnlyTabularInline, money_column

MAX_CSV_BYTES = 2 * 1024 * 1024


# --- Locations (editable reference data) ---------------------------------------------------------------


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "external_reference",
        "location_type",
        "city",
        "state",
        "country",
        "is_inventory_location",
        "latitude",
        "longitude",
    ]
    list_filter = ["location_type", "is_inventory_location", "country"]
    search_fields = ["name", "external_reference", "city", "postal_code"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "external_reference", "location_type", "is_inventory_location"]}),
        ("Address", {"fields": ["street", "city", "state", "postal_code", "country", "latitude", "longitude"]}),
        ("History", {"fields": ["created_at", "updated_at"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        # Fulfillment and return orders point at locations; retire one by clearing is_inventory_location.
        return False


@admin.register(LocationGroup)
class LocationGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "external_reference", "is_enabled"]
    list_filter = ["is_enabled"]
    search_fields = ["name", "external_reference"]
    filter_horizontal = ["locations"]


# --- Inventory levels (read-only, CSV upload through the service) ------------------------------------


class InventoryCsvForm(forms.Form):
    file = forms.FileField(help_text=f"CSV with the header {','.join(CSV_COLUMNS)}; at most 2 MB.")


@admin.register(InventoryLevel)
class InventoryLevelAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["sku", "location", "quantity_on_hand", "quantity_reserved", "quantity_available", "updated_at"]
    list_filter = ["location"]
    search_fields = ["sku", "location__external_reference", "location__name"]
    list_select_related = ["location"]
    change_list_template = "admin/orders/inventorylevel/change_list.html"

    def get_urls(self):
        return [
            path("upload-csv/", self.admin_site.admin_view(self.upload_csv), name="orders_inventorylevel_upload"),
            *super().get_urls(),
        ]

    def upload_csv(self, request):
        if not request.user.has_perm("orders.change_inventorylevel"):
            raise PermissionDenied
        form = InventoryCsvForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_CSV_BYTES:
                form.add_error("file", "The file is larger than 2 MB.")
            else:
                try:
                    rows = parse_inventory_csv(upload.read().decode("utf-8-sig"))
                    levels = set_inventory_levels(rows, path="rows")
                except UnicodeDecodeError:
                    form.add_error("file", "The file is not UTF-8 text.")
                except ServiceError as error:
                    for problem in error.errors[:20]:
                        form.add_error(
                            None,
                            f"{problem.field}: {problem.message}"
                            if problem.field and problem.field != "file"
                            else problem.message,
                        )
                    if len(error.errors) > 20:
                        form.add_error(None, f"… and {len(error.errors) - 20} more problems.")
                else:
                    messages.success(request, f"{len(levels)} inventory levels set.")
                    return redirect(reverse("admin:orders_inventorylevel_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Upload inventory (CSV)",
            "form": form,
            "columns": ",".join(CSV_COLUMNS),
        }
        # A refused upload shows the form again with its reasons, as a 400: nothing was written.
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/orders/inventorylevel/upload_csv.html", context, status=status)


# --- Fulfillment orders (read-only; status through the service) -----------------------------------------


class FulfillmentOrderLineInline(ReadOnlyTabularInline):
    model = FulfillmentOrderLineItem
    fields = [
        "type",
        "sku",
        "name",
        "original_quantity",
        "quantity",
        "quantity_shipped",
        "quantity_rejected",
        "rejection_reason",
        "total_line_amount",
        "total_line_tax_amount",
        "total_adjustment_amount",
        "total_adjustment_tax_amount",
        "order_item_summary",
    ]
    select_related = ("order_item_summary",)


class FulfillmentOrderShipmentInline(ReadOnlyTabularInline):
    model = Shipment
    fk_name = "fulfillment_order"
    fields = ["number", "carrier", "service", "tracking_number", "shipped_at", "delivered_at"]


class FulfillmentOrderMoveInline(ReadOnlyTabularInline):
    model = FulfillmentOrderMove
    fk_name = "fulfillment_order"
    fields = [
        "created_at",
        "kind",
        "from_status",
        "to_status",
        "line_name",
        "quantity",
        "amount",
        "currency",
        "reason",
        "created_by",
        "created_by_client",
    ]
    select_related = ("created_by", "created_by_client")


class FulfillmentOrderStatusForm(forms.ModelForm):
    class Meta:
        model = FulfillmentOrder
        fields = ["status"]

    def clean_status(self):
        wanted = self.cleaned_data["status"]
        current = self.instance.status
        if wanted != current and not is_allowed_move(current, wanted):
            raise forms.ValidationError(f"A fulfillment order cannot go from {current} to {wanted}.")
        return wanted


@admin.register(FulfillmentOrder)
class FulfillmentOrderAdmin(admin.ModelAdmin):
    form = FulfillmentOrderStatusForm
    list_display = [
        "number",
        "order_summary",
        "location",
        "type",
        "status",
        "status_category",
        money_column("grand_total_amount", "Grand total"),
        "created_at",
    ]
    list_filter = ["status_category", "status", "type", "location"]
    search_fields = ["order_summary__order_number", "reference_id", "recipient_name", "location__external_reference"]
    list_select_related = ["order_summary", "location"]
    date_hierarchy = "created_at"
    inlines = [FulfillmentOrderLineInline, FulfillmentOrderShipmentInline, FulfillmentOrderMoveInline]
    readonly_fields = [
        "number",
        "order_summary",
        "delivery_group_summary",
        "location",
        "type",
        "status_category",
        "reference_id",
        "recipient_name",
        "recipient_email",
        "street",
        "city",
        "state",
        "postal_code",
        "country",
        "delivery_method",
        "total_amount",
        "total_tax_amount",
        "grand_total_amount",
        "activated_at",
        "fulfilled_at",
        "canceled_at",
        "rejected_at",
        "created_at",
        "reshipment",
    ]
    fields = ["status", *readonly_fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_final:
            return ["status", *self.readonly_fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        # Through the service: quantities, stock and statuses follow the move, or it is refused.
        wanted = form.cleaned_data["status"]
        current = FulfillmentOrder.objects.values_list("status", flat=True).get(pk=obj.pk)
        obj.status = current
        if wanted == current:
            return
        try:
            moved = change_fulfillment_order_status(obj.pk, wanted, actor=request.user)
        except ServiceError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return
        obj.status, obj.status_category = moved.status, moved.status_category


# --- Shipments (read-only but the delivery date, set through the service) ----------------------------------


class ShipmentLineInline(ReadOnlyTabularInline):
    model = ShipmentLineItem
    fields = ["fulfillment_order_line", "quantity"]
    select_related = ("fulfillment_order_line",)


class ShipmentDeliveryForm(forms.ModelForm):
    class Meta:
        model = Shipment
        fields = ["delivered_at"]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    form = ShipmentDeliveryForm
    list_display = [
        "number",
        "fulfillment_order",
        "order_summary",
        "carrier",
        "service",
        "tracking_number",
        "shipped_at",
        "delivered_at",
    ]
    list_filter = ["carrier"]
    search_fields = ["tracking_number", "order_summary__order_number"]
    list_select_related = ["fulfillment_order", "order_summary"]
    date_hierarchy = "shipped_at"
    inlines = [ShipmentLineInline]
    readonly_fields = [
        "number",
        "fulfillment_order",
        "order_summary",
        "carrier",
        "service",
        "tracking_number",
        "tracking_url",
        "shipped_at",
        "created_by",
        "created_by_client",
        "created_at",
        "last_modified",
    ]
    fields = ["delivered_at", *readonly_fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service: the date is checked against the shipped date and the fulfillment order is touched.
        wanted = form.cleaned_data["delivered_at"]
        try:
            saved = update_shipment(
                obj.fulfillment_order_id,
                obj.pk,
                ShipmentUpdate(fields=frozenset({"delivered_at"}), delivered_at=wanted),
            )
        except ServiceError as error:
            obj.refresh_from_db()
            self.message_user(request, error.message, level=messages.ERROR)
            return
        obj.delivered_at, obj.last_modified = saved.delivered_at, saved.last_modified


# --- Return orders (read-only) ------------------------------------------------------------------------------


class ReturnOrderLineInline(ReadOnlyTabularInline):
    model = ReturnOrderLineItem
    fk_name = "return_order"
    fields = [
        "order_item_summary",
        "quantity_expected",
        "quantity_received",
        "quantity_returned",
        "quantity_rejected",
        "quantity_canceled",
        "reason_for_return",
        "can_reduce_shipping",
        "is_processed",
        "split_from",
        "change_order_item",
        "fees",
    ]
    readonly_fields = ["fees"]
    select_related = ("order_item_summary",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("fees")

    @admin.display(description="Fees")
    def fees(self, line):
        return (
            "; ".join(
                f"{fee.description or 'Fee'}: {fee.amount_type} {fee.amount.normalize():f}" for fee in line.fees.all()
            )
            or "—"
        )


@admin.register(ReturnOrder)
class ReturnOrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "order_summary", "status", "life_cycle_type", "destination_location", "created_at"]
    list_filter = ["status", "life_cycle_type"]
    search_fields = ["order_summary__order_number"]
    list_select_related = ["order_summary", "destination_location"]
    date_hierarchy = "created_at"
    inlines = [ReturnOrderLineInline]
    fields = [
        "order_summary",
        "status",
        "life_cycle_type",
        "destination_location",
        "expected_arrival_date",
        "description",
        "created_at",
        "updated_at",
    ]


@admin.register(ReturnOrderLineItemFee)
class ReturnOrderLineItemFeeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Restocking and return fees of return order lines (issue 15), charged as the units come back."""

    list_display = ["line", "return_order", "amount_type", "amount", "description", "reason"]
    list_filter = ["amount_type"]
    search_fields = ["line__return_order__order_summary__order_number", "description"]
    list_select_related = ["line__return_order__order_summary"]

    @admin.display(description="Return order")
    def return_order(self, fee):
        return fee.line.return_order


# --- Reshipments (issue 15): fulfilled units sent again at no charge --------------------------------------


class ReshipmentItemInline(ReadOnlyTabularInline):
    model = ReshipmentItem
    fields = ["order_item_summary", "quantity", "reason", "reason_text"]
    select_related = ("order_item_summary",)


class ReshipmentFulfillmentOrderInline(ReadOnlyTabularInline):
    model = FulfillmentOrder
    fk_name = "reshipment"
    fields = ["number", "location", "type", "status", "fulfilled_at"]
    readonly_fields = ["number"]
    select_related = ("location",)


@admin.register(Reshipment)
class ReshipmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "order_summary", "actor", "created_at"]
    search_fields = ["=id", "order_summary__order_number"]
    list_select_related = ["order_summary", "created_by", "created_by_client"]
    date_hierarchy = "created_at"
    fields = ["number", "order_summary", "actor", "created_at"]
    readonly_fields = ["number", "actor", "created_at"]
    inlines = [ReshipmentItemInline, ReshipmentFulfillmentOrderInline]
