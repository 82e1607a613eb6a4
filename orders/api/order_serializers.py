"""Read shapes of order summaries and the create-summary input, with Salesforce field names in lowerCamelCase.

These serializers render the responses and describe them in the OpenAPI schema, so the two cannot
drift apart. Money is a JSON number rounded to the currency's minor unit; ids are strings.
"""

from typing import Any

from rest_framework import serializers

from orders.api.strict import StrictSerializer
from orders.models import LifeCycleType, OrderSummaryStatus
from orders.money import (
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    QUANTITY_DECIMAL_PLACES,
    QUANTITY_MAX_DIGITS,
    round_money,
)
from orders.selectors.summaries import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# --- Field types --------------------------------------------------------------------------------


class MoneyOut(serializers.DecimalField):
    """An amount rounded to its currency: the context's `currency` (one summary's records all share
    it) or else the record's own `currency`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(
            max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, coerce_to_string=False, **kwargs
        )

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        if value is None:
            return None
        currency = self.context.get("currency") or instance.currency
        return round_money(value, currency)

    def to_representation(self, value):
        return value


class QuantityOut(serializers.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(
            max_digits=QUANTITY_MAX_DIGITS, decimal_places=QUANTITY_DECIMAL_PLACES, coerce_to_string=False, **kwargs
        )


class IdOut(serializers.CharField):
    """A primary or foreign key as an opaque string."""

    def __init__(self, source: str = "pk", **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(source=source, **kwargs)

    def to_representation(self, value):
        return str(value)


def Text(source: str | None = None, **kwargs: Any) -> serializers.CharField:
    """A read-only string; `source` only when the attribute's name differs from the key."""
    if source is not None:
        kwargs["source"] = source
    return serializers.CharField(read_only=True, **kwargs)


def Coordinate(source):
    return serializers.DecimalField(
        source=source, max_digits=9, decimal_places=6, coerce_to_string=False, read_only=True, allow_null=True
    )


# --- Roll-ups shared by the summary, its delivery groups and fulfillment orders ----------------


class RollupTotalsSerializer(serializers.Serializer):
    totalProductAmount = MoneyOut(source="total_product_amount")
    totalAdjustedProductAmount = MoneyOut(source="total_adjusted_product_amount")
    totalAdjustedProductTaxAmount = MoneyOut(source="total_adjusted_product_tax_amount")
    totalAdjProductAmtWithTax = MoneyOut(source="total_adj_product_amt_with_tax")
    totalDeliveryAmount = MoneyOut(source="total_delivery_amount")
    totalAdjustedDeliveryAmount = MoneyOut(source="total_adjusted_delivery_amount")
    totalAdjustedDeliveryTaxAmount = MoneyOut(source="total_adjusted_delivery_tax_amount")
    totalAdjDeliveryAmtWithTax = MoneyOut(source="total_adj_delivery_amt_with_tax")
    totalFeeAmount = MoneyOut(source="total_fee_amount")
    totalAdjustedFeeAmount = MoneyOut(source="total_adjusted_fee_amount")
    totalAdjustedFeeTaxAmount = MoneyOut(source="total_adjusted_fee_tax_amount")
    totalAdjFeeAmtWithTax = MoneyOut(source="total_adj_fee_amt_with_tax")
    totalAmount = MoneyOut(source="total_amount")
    totalTaxAmount = MoneyOut(source="total_tax_amount")
    grandTotalAmount = MoneyOut(source="grand_total_amount")
    taxLocaleType = Text("tax_locale_type")


# --- The list -----------------------------------------------------------------------------------


class OrderSummaryRowSerializer(serializers.Serializer):
    """One row of the order summary list: the header, without children."""

    id = IdOut()
    orderNumber = Text("order_number")
    originalOrderId = IdOut(source="original_order_id")
    salesChannelId = IdOut(source="sales_channel_id")
    salesChannelName = Text("sales_channel.name")
    # Plain strings, not enums: many records have a `status` and their enums would collide by name.
    status = Text(help_text=", ".join(OrderSummaryStatus.values))
    orderLifeCycleType = Text("life_cycle_type", help_text=", ".join(LifeCycleType.values))
    name = Text()
    orderedDate = serializers.DateTimeField(source="ordered_date", read_only=True)
    currencyIsoCode = Text("currency")
    billingName = Text("bill_to_name")
    billingEmailAddress = Text("bill_to_email")
    totalAmount = MoneyOut(source="total_amount")
    totalTaxAmount = MoneyOut(source="total_tax_amount")
    grandTotalAmount = MoneyOut(source="grand_total_amount")
    activeProcessExceptionCount = serializers.IntegerField(source="active_process_exception_count", read_only=True)
    routingAttemptCount = serializers.IntegerField(source="routing_attempt_count", read_only=True)
    externalReferenceIdentifier = Text("external_reference")
    createdDate = serializers.DateTimeField(source="created_at", read_only=True)
    lastModifiedDate = serializers.DateTimeField(source="updated_at", read_only=True)


class OrderSummaryListParamsSerializer(serializers.Serializer):
    """Query parameters of the list."""

    status = serializers.ChoiceField(choices=OrderSummaryStatus.choices, required=False)
    orderedDateFrom = serializers.DateTimeField(required=False, help_text="Ordered at or after this instant.")
    orderedDateTo = serializers.DateTimeField(required=False, help_text="Ordered at or before this instant.")
    salesChannel = serializers.CharField(max_length=80, required=False, help_text="Sales channel name.")
    q = serializers.CharField(
        max_length=254,
        required=False,
        trim_whitespace=True,
        help_text="Order number (exact or prefix), customer email (exact) or customer name (prefix).",
    )
    cursor = serializers.CharField(max_length=200, required=False, help_text="nextCursor of the previous page.")
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)


class OrderSummaryPageSerializer(serializers.Serializer):
    orderSummaries = OrderSummaryRowSerializer(many=True, source="rows")
    nextCursor = serializers.CharField(
        source="next_cursor", allow_null=True, help_text="Pass as `cursor` for the next page; null on the last page."
    )


# --- The detail: orders side ---------------------------------------------------------------------


class SummaryFundsPositionSerializer(serializers.Serializer):
    totalExcessFundsAmount = MoneyOut(source="total_excess_funds_amount")
    totalRefundableAmount = MoneyOut(source="total_refundable_amount")


class OrderDeliveryGroupSummarySerializer(RollupTotalsSerializer):
    id = IdOut()
    orderSummaryId = IdOut(source="order_summary_id")
    originalOrderDeliveryGroupId = IdOut(source="original_delivery_group_id")
    referenceId = Text("reference_id")
    deliverToName = Text("recipient_name")
    deliverToStreet = Text("street")
    deliverToCity = Text("city")
    deliverToState = Text("state")
    deliverToPostalCode = Text("postal_code")
    deliverToCountry = Text("country")
    deliverToLatitude = Coordinate("latitude")
    deliverToLongitude = Coordinate("longitude")
    emailAddress = Text("email")
    phoneNumber = Text("phone")
    deliveryMethod = Text("delivery_method")
    deliveryMethodType = Text("delivery_method_type")
    pickupLocationId = IdOut(source="pickup_location_id", allow_null=True)
    desiredDeliveryDate = serializers.DateField(source="desired_delivery_date", read_only=True, allow_null=True)
    isGift = serializers.BooleanField(source="is_gift", read_only=True)
    giftMessage = Text("gift_message")


class OrderItemSummarySerializer(serializers.Serializer):
    id = IdOut()
    orderSummaryId = IdOut(source="order_summary_id")
    orderDeliveryGroupSummaryId = IdOut(source="delivery_group_summary_id")
    originalOrderItemId = IdOut(source="original_order_item_id")
    lineNumber = serializers.IntegerField(source="line_number", read_only=True)
    type = Text()
    stockKeepingUnit = Text("sku")
    name = Text()
    productReference = Text("product_reference")
    status = Text()
    unitPrice = MoneyOut(source="unit_price")
    listPrice = MoneyOut(source="list_price", allow_null=True)
    quantityOrdered = QuantityOut(source="quantity_ordered")
    quantityCanceled = QuantityOut(source="quantity_canceled")
    quantityAllocated = QuantityOut(source="quantity_allocated")
    quantityFulfilled = QuantityOut(source="quantity_fulfilled")
    quantityReturnInitiated = QuantityOut(source="quantity_return_initiated")
    quantityReturned = QuantityOut(source="quantity_returned")
    quantityReshipped = QuantityOut(source="quantity_reshipped")
    quantity = QuantityOut()
    quantityNetOrdered = QuantityOut(source="quantity_net_ordered")
    quantityAvailableToFulfill = QuantityOut(source="quantity_available_to_fulfill")
    quantityAvailableToCancel = QuantityOut(source="quantity_available_to_cancel")
    quantityAvailableToReturn = QuantityOut(source="quantity_available_to_return")
    quantityAvailableToReship = QuantityOut(source="quantity_available_to_reship")
    totalLineAmount = MoneyOut(source="total_line_amount")
    totalLineTaxAmount = MoneyOut(source="total_line_tax_amount")
    totalAdjustmentAmount = MoneyOut(source="total_adjustment_amount")
    totalAdjustmentTaxAmount = MoneyOut(source="total_adjustment_tax_amount")
    totalPrice = MoneyOut(source="total_price")
    totalTaxAmount = MoneyOut(source="total_tax_amount")
    totalAmtWithTax = MoneyOut(source="total_amt_with_tax")


class ChangeHistoryItemSerializer(serializers.Serializer):
    """One item summary touched by a change order, with the change order item's signed deltas."""

    orderItemSummaryId = IdOut(source="order_item_summary_id")
    changeOrderItemId = IdOut(source="change_order_item_id")
    changeType = Text("change_type")
    reason = Text()
    reasonText = Text("reason_text")
    isPreFulfillment = serializers.BooleanField(source="is_pre_fulfillment", read_only=True)
    type = Text("change_order_item.type")
    quantity = QuantityOut(source="change_order_item.quantity")
    totalLineAmount = MoneyOut(source="change_order_item.line_amount")
    totalLineTaxAmount = MoneyOut(source="change_order_item.line_tax_amount")
    totalAdjustmentAmount = MoneyOut(source="change_order_item.adjustment_amount")
    totalAdjustmentTaxAmount = MoneyOut(source="change_order_item.adjustment_tax_amount")


class ChangeHistoryEntrySerializer(serializers.Serializer):
    """One change order; amounts are its signed deltas (a cancel is negative)."""

    changeOrderId = IdOut(source="change_order.pk")
    changeType = Text("change_order.change_type")
    fulfillmentPhase = Text("change_order.fulfillment_phase")
    reason = Text()
    reasonText = Text("reason_text")
    actor = Text()
    createdDate = serializers.DateTimeField(source="change_order.created_at", read_only=True)
    totalAmount = MoneyOut(source="change_order.total_amount")
    totalTaxAmount = MoneyOut(source="change_order.total_tax_amount")
    grandTotalAmount = MoneyOut(source="change_order.grand_total_amount")
    items = ChangeHistoryItemSerializer(many=True, read_only=True)


class SummaryProcessExceptionSerializer(serializers.Serializer):
    id = IdOut()
    category = Text()
    severity = Text()
    priority = Text()
    status = Text()
    message = Text()
    description = Text()
    attachedToId = Text("attached_to_id")
    createdDate = serializers.DateTimeField(source="created_at", read_only=True)


class SummaryFulfillmentOrderLineSerializer(serializers.Serializer):
    id = IdOut()
    orderItemSummaryId = IdOut(source="order_item_summary_id")
    type = Text()
    stockKeepingUnit = Text("sku")
    name = Text()
    unitPrice = MoneyOut(source="unit_price")
    originalQuantity = QuantityOut(source="original_quantity")
    quantity = QuantityOut()
    quantityCanceled = QuantityOut(source="quantity_canceled")
    quantityRejected = QuantityOut(
        source="quantity_rejected",
        help_text="Of quantityCanceled, the units the location refused (reject-items or the whole order Rejected).",
    )
    rejectionReason = Text(
        "rejection_reason",
        help_text="Why the units were refused: every distinct reason given, oldest first, separated by '; '.",
    )
    quantityShipped = QuantityOut(source="quantity_shipped", help_text="Units that left in shipments.")
    totalLineAmount = MoneyOut(source="total_line_amount")
    totalLineTaxAmount = MoneyOut(source="total_line_tax_amount")
    totalAdjustmentAmount = MoneyOut(source="total_adjustment_amount")
    totalAdjustmentTaxAmount = MoneyOut(source="total_adjustment_tax_amount")
    totalPrice = MoneyOut(source="total_price")
    totalTaxAmount = MoneyOut(source="total_tax_amount")


class ShipmentLineSerializer(serializers.Serializer):
    id = IdOut()
    fulfillmentOrderLineItemId = IdOut(source="fulfillment_order_line_id")
    quantity = QuantityOut()


class ShipmentSerializer(serializers.Serializer):
    """A parcel of a fulfillment order with the carrier's tracking."""

    id = IdOut()
    shipmentNumber = Text("number")
    fulfillmentOrderId = IdOut(source="fulfillment_order_id")
    orderSummaryId = IdOut(source="order_summary_id")
    carrier = Text()
    service = Text()
    trackingNumber = Text("tracking_number")
    trackingUrl = Text("tracking_url")
    shippedDate = serializers.DateTimeField(source="shipped_at", read_only=True)
    deliveredDate = serializers.DateTimeField(source="delivered_at", read_only=True, allow_null=True)
    createdDate = serializers.DateTimeField(source="created_at", read_only=True)
    lastModifiedDate = serializers.DateTimeField(source="last_modified", read_only=True)
    lines = ShipmentLineSerializer(many=True, source="lines.all", read_only=True)


class InvoiceIdField(serializers.CharField):
    """The id of the fulfillment order's invoice, or null. The invoice is the payments app's: it is reached by the
    reverse relation that app declares (selected with the fulfillment order, no query of its own), so orders
    imports nothing of payments."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, allow_null=True, **kwargs)

    def to_representation(self, order):
        invoice = getattr(order, "invoice", None)
        return None if invoice is None else str(invoice.pk)


class SummaryFulfillmentOrderSerializer(RollupTotalsSerializer):
    id = IdOut()
    fulfillmentOrderNumber = Text("number")
    orderSummaryId = IdOut(source="order_summary_id")
    orderDeliveryGroupSummaryId = IdOut(source="delivery_group_summary_id")
    fulfilledFromLocationId = IdOut(source="location_id")
    fulfilledFromLocationName = Text("location.name")
    type = Text()
    status = Text()
    statusCategory = Text("status_category")
    reshipmentId = IdOut(source="reshipment_id", allow_null=True)
    referenceId = Text("reference_id")
    fulfilledToName = Text("recipient_name")
    fulfilledToEmailAddress = Text("recipient_email")
    fulfilledToPhone = Text("recipient_phone")
    fulfilledToStreet = Text("street")
    fulfilledToCity = Text("city")
    fulfilledToState = Text("state")
    fulfilledToPostalCode = Text("postal_code")
    fulfilledToCountry = Text("country")
    deliveryMethod = Text("delivery_method")
    activatedDate = serializers.DateTimeField(source="activated_at", read_only=True, allow_null=True)
    fulfilledDate = serializers.DateTimeField(source="fulfilled_at", read_only=True, allow_null=True)
    canceledDate = serializers.DateTimeField(source="canceled_at", read_only=True, allow_null=True)
    rejectedDate = serializers.DateTimeField(source="rejected_at", read_only=True, allow_null=True)
    readyForPickupDate = serializers.DateTimeField(source="ready_for_pickup_at", read_only=True, allow_null=True)
    createdDate = serializers.DateTimeField(source="created_at", read_only=True)
    lastModifiedDate = serializers.DateTimeField(source="updated_at", read_only=True)
    invoiceId = InvoiceIdField(help_text="The invoice of this fulfillment order once it is Fulfilled; null before.")
    fulfillmentOrderLineItems = SummaryFulfillmentOrderLineSerializer(many=True, source="lines.all", read_only=True)
    shipments = ShipmentSerializer(many=True, source="shipments.all", read_only=True)


class SummaryReturnOrderLineFeeSerializer(serializers.Serializer):
    id = IdOut()
    amount = serializers.DecimalField(max_digits=18, decimal_places=4, coerce_to_string=False, read_only=True)
    amountType = Text("amount_type")
    description = Text()
    reason = Text()


class SummaryReturnOrderLineSerializer(serializers.Serializer):
    id = IdOut()
    orderItemSummaryId = IdOut(source="order_item_summary_id")
    quantityExpected = QuantityOut(source="quantity_expected")
    quantityReceived = QuantityOut(source="quantity_received")
    quantityReturned = QuantityOut(source="quantity_returned")
    quantityRejected = QuantityOut(source="quantity_rejected")
    quantityCanceled = QuantityOut(source="quantity_canceled")
    reasonForReturn = Text("reason_for_return")
    reasonForRejection = Text("reason_for_rejection")
    canReduceShipping = serializers.BooleanField(source="can_reduce_shipping", read_only=True)
    isProcessed = serializers.BooleanField(source="is_processed", read_only=True)
    changeOrderItemId = IdOut(source="change_order_item_id", allow_null=True)
    returnOrderLineItemFees = SummaryReturnOrderLineFeeSerializer(many=True, source="fees.all", read_only=True)


class SummaryReturnOrderSerializer(serializers.Serializer):
    id = IdOut()
    returnOrderNumber = Text("number")
    orderSummaryId = IdOut(source="order_summary_id")
    status = Text()
    lifeCycleType = Text("life_cycle_type")
    expectedArrivalDate = serializers.DateTimeField(source="expected_arrival_date", read_only=True, allow_null=True)
    destinationLocationId = IdOut(source="destination_location_id", allow_null=True)
    description = Text()
    createdDate = serializers.DateTimeField(source="created_at", read_only=True)
    lastModifiedDate = serializers.DateTimeField(source="updated_at", read_only=True)
    returnOrderLineItems = SummaryReturnOrderLineSerializer(many=True, source="lines.all", read_only=True)


class SummaryInventoryEffectSerializer(serializers.Serializer):
    """Stock of one sku at one location held, shipped or put back because of this order."""

    locationExternalReference = Text("location_external_reference")
    stockKeepingUnit = Text("sku")
    quantityReserved = QuantityOut(source="reserved", help_text="On open fulfillment orders.")
    quantityShipped = QuantityOut(source="shipped", help_text="Taken off hand by fulfilled fulfillment orders.")
    quantityRestocked = QuantityOut(source="restocked", help_text="Put back on hand by processed return lines.")


class OrderSummaryDetailBaseSerializer(OrderSummaryRowSerializer, RollupTotalsSerializer):
    """The orders side of GET …/order-summaries/{id}; the payments app adds the money records.

    Reads the attributes orders.selectors.summaries.order_summary_detail puts on the summary.
    """

    billingPhoneNumber = Text("bill_to_phone")
    billingStreet = Text("street")
    billingCity = Text("city")
    billingState = Text("state")
    billingPostalCode = Text("postal_code")
    billingCountry = Text("country")
    version = serializers.IntegerField(read_only=True)
    fundsPosition = SummaryFundsPositionSerializer(source="funds", read_only=True)
    orderDeliveryGroupSummaries = OrderDeliveryGroupSummarySerializer(
        many=True, source="delivery_group_summaries.all", read_only=True
    )
    orderItemSummaries = OrderItemSummarySerializer(many=True, source="item_summaries.all", read_only=True)
    fulfillmentOrders = SummaryFulfillmentOrderSerializer(many=True, source="fulfillment_orders.all", read_only=True)
    returnOrders = SummaryReturnOrderSerializer(many=True, source="return_orders.all", read_only=True)
    inventoryEffects = SummaryInventoryEffectSerializer(many=True, source="inventory_effects", read_only=True)
    changeHistory = ChangeHistoryEntrySerializer(many=True, source="change_history", read_only=True)
    processExceptions = SummaryProcessExceptionSerializer(many=True, source="active_process_exceptions", read_only=True)
    sourceOrderSummaryId = IdOut(
        source="source_order_summary_id",
        allow_null=True,
        help_text="An exchange's replacement: the order summary whose units it replaces.",
    )
    exchangeOrderSummaryIds = serializers.ListField(
        child=serializers.CharField(),
        source="exchange_summary_ids",
        read_only=True,
        help_text="The replacement order summaries of exchanges made on this one.",
    )
    exchangeStatus = serializers.CharField(
        source="exchange_status",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="An exchange's replacement: AwaitingReturn (on hold until its return order is received), Completed "
        "or Canceled (nothing came back); null on any other order summary.",
    )


# --- Create an order summary ----------------------------------------------------------------------


class CreateOrderSummaryInputSerializer(StrictSerializer):
    orderId = serializers.CharField(max_length=40)
    orderLifeCycleType = serializers.ChoiceField(choices=LifeCycleType.choices, default=LifeCycleType.MANAGED)
    name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    status = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="A new order summary starts in 'Created'; nothing else is accepted.",
    )
    externalReferenceIdentifier = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


class CreateOrderSummaryOutputSerializer(serializers.Serializer):
    orderSummaryId = serializers.CharField()
    success = serializers.BooleanField()
    errors = serializers.ListField(child=serializers.DictField(), max_length=0)


# --- Order ingest answer -----------------------------------------------------------------------------


class OrderIngestOutputSerializer(serializers.Serializer):
    orderId = serializers.CharField()
    orderSummaryId = serializers.CharField(allow_null=True, help_text="null when createOrderSummary was false.")
    orderPaymentSummaryIds = serializers.ListField(child=serializers.CharField())
    success = serializers.BooleanField()
