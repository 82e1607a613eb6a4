"""Inputs and outputs of the fulfillment, routing, location, inventory and return order resources.

Input serializers check shapes and types and build the services' plain inputs; business rules (ids,
quantities against what is available, states) are checked by the services.
"""

from rest_framework import serializers

from orders.api.openapi import ErrorItemSerializer
from orders.api.order_serializers import IdOut, QuantityOut
from orders.api.strict import StrictSerializer
from orders.calculations.inputs import FeeAmountType, FeeInput
from orders.models import FulfillmentOrderStatus, FulfillmentOrderType, LocationType
from orders.money import QUANTITY_DECIMAL_PLACES, QUANTITY_MAX_DIGITS
from orders.routing import DistanceUnit
from orders.services.fulfillment_cancel import LineToCancel
from orders.services.fulfillment_create import FulfillmentGroupInput, FulfillmentItemInput, FulfillmentOrderInput
from orders.services.fulfillment_reject import LineToReject
from orders.services.inventory import InventoryInput
from orders.services.locations import LocationInput


def _quantity(**kwargs):
    return serializers.DecimalField(
        max_digits=QUANTITY_MAX_DIGITS, decimal_places=QUANTITY_DECIMAL_PLACES, coerce_to_string=False, **kwargs
    )


class _Success(serializers.Serializer):
    success = serializers.BooleanField(read_only=True)
    errors = ErrorItemSerializer(many=True, read_only=True)


# --- Fulfillment orders ------------------------------------------------------------------------------


class FulfillmentItemSerializer(StrictSerializer):
    orderItemSummaryId = serializers.CharField(max_length=40)
    quantity = _quantity()


class FulfillmentGroupSerializer(StrictSerializer):
    fulfilledFromLocationId = serializers.CharField(max_length=40)
    fulfillmentType = serializers.ChoiceField(choices=FulfillmentOrderType.choices)
    orderItemSummaries = FulfillmentItemSerializer(many=True, allow_empty=False, max_length=500)
    referenceId = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class FulfillmentOrderInputSerializer(StrictSerializer):
    """FulfillmentOrderInputRepresentation: one fulfillment order per fulfillment group."""

    orderSummaryId = serializers.CharField(max_length=40)
    orderDeliveryGroupSummaryId = serializers.CharField(max_length=40)
    fulfillmentGroups = FulfillmentGroupSerializer(many=True, allow_empty=False, max_length=50)

    @staticmethod
    def build(data) -> FulfillmentOrderInput:
        return FulfillmentOrderInput(
            order_summary_id=data["orderSummaryId"],
            delivery_group_summary_id=data["orderDeliveryGroupSummaryId"],
            groups=tuple(
                FulfillmentGroupInput(
                    location_id=group["fulfilledFromLocationId"],
                    fulfillment_type=group["fulfillmentType"],
                    items=tuple(
                        FulfillmentItemInput(item["orderItemSummaryId"], item["quantity"])
                        for item in group["orderItemSummaries"]
                    ),
                    reference_id=group["referenceId"],
                )
                for group in data["fulfillmentGroups"]
            ),
        )

    def to_input(self) -> FulfillmentOrderInput:
        return self.build(self.validated_data)


class FulfillmentOrderCreatedSerializer(_Success):
    fulfillmentOrderIds = serializers.ListField(child=serializers.CharField(), read_only=True)


class CreateMultipleInputSerializer(StrictSerializer):
    fulfillmentOrders = FulfillmentOrderInputSerializer(many=True, allow_empty=False, max_length=50)

    def to_input(self) -> list[FulfillmentOrderInput]:
        return [FulfillmentOrderInputSerializer.build(data) for data in self.validated_data["fulfillmentOrders"]]


class FulfillmentGroupResultSerializer(serializers.Serializer):
    fulfillmentOrderId = serializers.CharField(allow_null=True, read_only=True)
    referenceId = serializers.CharField(read_only=True)
    success = serializers.BooleanField(read_only=True)
    errors = ErrorItemSerializer(many=True, read_only=True)


class CreateMultipleOutputSerializer(_Success):
    fulfillmentOrders = FulfillmentGroupResultSerializer(many=True, read_only=True)


class LineToCancelSerializer(StrictSerializer):
    fulfillmentOrderLineItemId = serializers.CharField(max_length=40)
    quantity = _quantity()


class CancelItemInputSerializer(StrictSerializer):
    fulfillmentOrderLineItemsToCancel = LineToCancelSerializer(many=True, allow_empty=False, max_length=500)

    def to_input(self) -> list[LineToCancel]:
        return [
            LineToCancel(line["fulfillmentOrderLineItemId"], line["quantity"])
            for line in self.validated_data["fulfillmentOrderLineItemsToCancel"]
        ]


class CancelItemOutputSerializer(_Success):
    fulfillmentOrderId = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)


class StatusInputSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=FulfillmentOrderStatus.choices)
    reason = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="With Rejected: why the location refuses the order, kept on each product line it rejects "
        "(rejectionReason) and on the routing exclusion.",
    )


class LineToRejectSerializer(StrictSerializer):
    fulfillmentOrderLineItemId = serializers.CharField(max_length=40)
    quantity = _quantity()
    reason = serializers.CharField(max_length=255)


class RejectItemsInputSerializer(StrictSerializer):
    fulfillmentOrderLineItemsToReject = LineToRejectSerializer(many=True, allow_empty=False, max_length=500)

    def to_input(self) -> list[LineToReject]:
        return [
            LineToReject(line["fulfillmentOrderLineItemId"], line["quantity"], line["reason"])
            for line in self.validated_data["fulfillmentOrderLineItemsToReject"]
        ]


class RejectItemsOutputSerializer(_Success):
    fulfillmentOrderId = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    excludedLocationId = serializers.CharField(read_only=True)


# --- Routing again and holds on an order summary (issue 16) --------------------------------------------


class RouteOutputSerializer(_Success):
    fulfillmentOrderIds = serializers.ListField(child=serializers.CharField(), read_only=True)
    unroutedDeliveryGroupSummaryIds = serializers.ListField(child=serializers.CharField(), read_only=True)
    routingAttemptCount = serializers.IntegerField(read_only=True)


class HoldInputSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=255)
    fulfillmentOrderLineItemIds = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=list,
        max_length=500,
        help_text="Hold only these fulfillment order lines; omitted or empty: the whole order summary.",
    )


class ReleaseHoldInputSerializer(StrictSerializer):
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    fulfillmentOrderLineItemIds = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=list,
        max_length=500,
        help_text="Release only the holds of these lines; omitted or empty: every active hold of the summary.",
    )


class HoldSerializer(serializers.Serializer):
    id = IdOut()
    orderSummaryId = IdOut(source="order_summary_id")
    fulfillmentOrderLineItemId = IdOut(source="fulfillment_order_line_id", allow_null=True)
    reason = serializers.CharField(read_only=True)
    holdRuleId = IdOut(source="rule_id", allow_null=True)
    heldBy = serializers.CharField(source="held_by_name", read_only=True)
    heldDate = serializers.DateTimeField(source="held_at", read_only=True)
    releasedBy = serializers.SerializerMethodField()
    releasedDate = serializers.DateTimeField(source="released_at", read_only=True, allow_null=True)
    releaseNote = serializers.CharField(source="release_note", read_only=True)

    def get_releasedBy(self, hold) -> str | None:
        return hold.released_by_name if hold.released_at else None


class HoldsOutputSerializer(_Success):
    holds = HoldSerializer(many=True, read_only=True)


# --- Routing -----------------------------------------------------------------------------------------


class OrderedQuantitySerializer(StrictSerializer):
    stockKeepingUnit = serializers.CharField(max_length=80)
    quantity = _quantity(min_value=0)


class AvailableInventorySerializer(StrictSerializer):
    externalReferenceId = serializers.CharField(max_length=255)
    stockKeepingUnit = serializers.CharField(max_length=80)
    quantity = _quantity(min_value=0)


class FindRoutesInputSerializer(StrictSerializer):
    orderedQuantities = OrderedQuantitySerializer(many=True, allow_empty=False, max_length=1000)
    locationAvailableInventory = AvailableInventorySerializer(many=True, max_length=100_000)
    maximumNumberOfSplits = serializers.IntegerField(min_value=0, max_value=100)


class TargetLocationsSerializer(StrictSerializer):
    locations = serializers.ListField(child=serializers.CharField(max_length=255), allow_empty=False, max_length=100)


class FindRoutesOutputSerializer(_Success):
    targetLocations = TargetLocationsSerializer(many=True, read_only=True)


class RankInputSerializer(StrictSerializer):
    deliveryCountryCode = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    deliveryPostalCode = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    deliveryLatitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        required=False,
        allow_null=True,
        min_value=-90,
        max_value=90,
        coerce_to_string=False,
        help_text="With deliveryLongitude, used instead of the postal code.",
    )
    deliveryLongitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        required=False,
        allow_null=True,
        min_value=-180,
        max_value=180,
        coerce_to_string=False,
    )
    distanceUnit = serializers.ChoiceField(choices=[unit.value for unit in DistanceUnit], default=DistanceUnit.MILES)
    sortResult = serializers.ChoiceField(choices=["ASC", "DESC"], default="ASC")
    targetLocations = TargetLocationsSerializer(many=True, allow_empty=False, max_length=10_000)


class RankedSetSerializer(serializers.Serializer):
    locations = serializers.ListField(child=serializers.CharField(), read_only=True)
    averageDistance = serializers.FloatField(read_only=True)


class RankOutputSerializer(_Success):
    distanceUnit = serializers.CharField(read_only=True)
    results = RankedSetSerializer(many=True, read_only=True)


# --- Locations and inventory levels ----------------------------------------------------------------


class LocationSerializer(StrictSerializer):
    id = IdOut()
    name = serializers.CharField(max_length=255)
    externalReference = serializers.CharField(source="external_reference", max_length=255)
    locationType = serializers.ChoiceField(
        source="location_type", choices=LocationType.choices, default=LocationType.WAREHOUSE
    )
    street = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    state = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    postalCode = serializers.CharField(
        source="postal_code", max_length=20, required=False, allow_blank=True, default=""
    )
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, default=None, coerce_to_string=False
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, default=None, coerce_to_string=False
    )
    isInventoryLocation = serializers.BooleanField(source="is_inventory_location", default=True)
    locationGroups = serializers.ListField(
        child=serializers.CharField(max_length=255),
        required=False,
        default=list,
        write_only=True,
        help_text="External references of location groups to join.",
    )

    def to_input(self) -> LocationInput:
        data = self.validated_data
        return LocationInput(
            name=data["name"],
            external_reference=data["external_reference"],
            location_type=data["location_type"],
            street=data["street"],
            city=data["city"],
            state=data["state"],
            postal_code=data["postal_code"],
            country=data["country"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            is_inventory_location=data["is_inventory_location"],
            group_references=tuple(data["locationGroups"]),
        )


class LocationPageSerializer(serializers.Serializer):
    rows = LocationSerializer(many=True, read_only=True)
    nextCursor = serializers.CharField(source="next_cursor", allow_null=True, read_only=True)


class InventoryLevelSerializer(StrictSerializer):
    id = IdOut()
    locationExternalReference = serializers.CharField(source="location.external_reference", max_length=255)
    stockKeepingUnit = serializers.CharField(source="sku", max_length=80)
    quantityOnHand = _quantity(source="quantity_on_hand", min_value=0)
    quantityReserved = QuantityOut(source="quantity_reserved")
    quantityAvailable = QuantityOut(source="quantity_available")
    updatedDate = serializers.DateTimeField(source="updated_at", read_only=True)

    def to_input(self) -> InventoryInput:
        data = self.validated_data
        return InventoryInput(data["location"]["external_reference"], data["sku"], data["quantity_on_hand"])


class InventoryLevelPageSerializer(serializers.Serializer):
    rows = InventoryLevelSerializer(many=True, read_only=True)
    nextCursor = serializers.CharField(source="next_cursor", allow_null=True, read_only=True)


class ListParamsSerializer(serializers.Serializer):
    cursor = serializers.CharField(required=False, allow_blank=True)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200)


class LocationListParamsSerializer(ListParamsSerializer):
    locationType = serializers.ChoiceField(choices=LocationType.choices, required=False)


class InventoryListParamsSerializer(ListParamsSerializer):
    locationExternalReference = serializers.CharField(required=False)
    stockKeepingUnit = serializers.CharField(required=False)


# --- Return orders ------------------------------------------------------------------------------------


class ReturnOrderLineFeeInputSerializer(StrictSerializer):
    amount = serializers.DecimalField(
        max_digits=18,
        decimal_places=4,
        coerce_to_string=False,
        help_text="Positive: an amount, or a percent for Percentage and PercentageGross.",
    )
    amountType = serializers.ChoiceField(choices=FeeAmountType.ALL)
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    reason = serializers.CharField(
        max_length=80,
        required=False,
        allow_blank=True,
        default="",
        help_text="A reason code; the line's reasonForReturn when empty.",
    )


class ReturnOrderLineInputSerializer(StrictSerializer):
    orderItemSummaryId = serializers.CharField(max_length=40)
    quantityExpected = _quantity()
    reasonForReturn = serializers.CharField(max_length=80, required=False, allow_blank=True, default="Unknown")
    canReduceShipping = serializers.BooleanField(required=False, default=False)
    returnOrderLineItemFees = ReturnOrderLineFeeInputSerializer(
        many=True,
        required=False,
        default=list,
        max_length=10,
        help_text="Restocking or return fees on the units that come back (DOMAIN.md §3.2a): a percentage of the "
        "units returned each time the line is processed, a fixed amount shared by the line's units.",
    )

    @staticmethod
    def fees_of(line) -> tuple[FeeInput, ...]:
        return tuple(
            FeeInput(
                amount=fee["amount"],
                amount_type=fee["amountType"],
                description=fee["description"],
                reason=fee["reason"],
            )
            for fee in line["returnOrderLineItemFees"]
        )


class ReturnOrderInputSerializer(StrictSerializer):
    orderSummaryId = serializers.CharField(max_length=40)
    status = serializers.CharField(max_length=12, required=False, default="Submitted")
    returnOrderLifeCycleType = serializers.CharField(max_length=10, required=False, default="Managed")
    destinationLocationId = serializers.CharField(
        max_length=40,
        required=False,
        allow_null=True,
        default=None,
        help_text="Received goods go back into this location's stock.",
    )
    expectedArrivalDate = serializers.DateTimeField(required=False, allow_null=True, default=None)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    returnOrderLineItems = ReturnOrderLineInputSerializer(many=True, allow_empty=False, max_length=500)


class ReturnOrderCreatedSerializer(_Success):
    returnOrderId = serializers.CharField(read_only=True)


class ReturnItemInputSerializer(StrictSerializer):
    returnOrderLineItemId = serializers.CharField(max_length=40)
    quantityReturned = _quantity(required=False, default=0)
    quantityToCancel = _quantity(required=False, default=0)
    quantityReceived = _quantity(
        required=False, allow_null=True, default=None, help_text="Defaults to quantityReturned + quantityRejected."
    )
    quantityRejected = _quantity(required=False, default=0)
    reasonForRejection = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ReturnItemsInputSerializer(StrictSerializer):
    returnOrderItems = ReturnItemInputSerializer(many=True, allow_empty=False, max_length=500)


class ReturnLineSplitSerializer(serializers.Serializer):
    processedReturnOrderLineItemId = serializers.CharField(read_only=True)
    remainingReturnOrderLineItemId = serializers.CharField(read_only=True)


class ReturnItemsOutputSerializer(_Success):
    changeOrderId = serializers.CharField(allow_null=True, read_only=True)
    feeChangeOrderId = serializers.CharField(allow_null=True, read_only=True)
    returnLineItemSplits = ReturnLineSplitSerializer(many=True, read_only=True)
