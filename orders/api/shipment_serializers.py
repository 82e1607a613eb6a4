"""Request bodies of the shipment resources; the shipment's read shape is in order_serializers (the
fulfillment order's representation embeds it)."""

from rest_framework import serializers

from orders.api.fulfillment_serializers import _quantity
from orders.api.strict import StrictSerializer
from orders.services.shipments import TEXT_LIMITS, ShipmentInput, ShipmentLineInput, ShipmentUpdate


def _text(name, **kwargs):
    return serializers.CharField(max_length=TEXT_LIMITS[name], required=False, allow_blank=True, default="", **kwargs)


class ShipmentLineInputSerializer(StrictSerializer):
    fulfillmentOrderLineItemId = serializers.CharField(max_length=40)
    quantity = _quantity()


class ShipmentInputSerializer(StrictSerializer):
    carrier = _text("carrier", help_text="UPS, FedEx, DHL, …")
    service = _text("service", help_text="The carrier's service level: Ground, Express, …")
    trackingNumber = _text("tracking_number")
    trackingUrl = _text("tracking_url", help_text="An http or https address where the customer can follow the parcel.")
    shippedDate = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the parcel left; now when not given."
    )
    lines = ShipmentLineInputSerializer(
        many=True,
        required=False,
        default=list,
        max_length=500,
        help_text="Units per fulfillment-order line; none given: every product unit left to ship.",
    )

    def to_input(self) -> ShipmentInput:
        data = self.validated_data
        return ShipmentInput(
            carrier=data["carrier"],
            service=data["service"],
            tracking_number=data["trackingNumber"],
            tracking_url=data["trackingUrl"],
            shipped_at=data["shippedDate"],
            lines=tuple(
                ShipmentLineInput(line["fulfillmentOrderLineItemId"], line["quantity"]) for line in data["lines"]
            ),
        )


class ShipmentUpdateSerializer(StrictSerializer):
    """Only the keys sent change; deliveredDate null clears it."""

    deliveredDate = serializers.DateTimeField(required=False, allow_null=True)
    carrier = serializers.CharField(max_length=TEXT_LIMITS["carrier"], required=False, allow_blank=True)
    service = serializers.CharField(max_length=TEXT_LIMITS["service"], required=False, allow_blank=True)
    trackingNumber = serializers.CharField(max_length=TEXT_LIMITS["tracking_number"], required=False, allow_blank=True)
    trackingUrl = serializers.CharField(max_length=TEXT_LIMITS["tracking_url"], required=False, allow_blank=True)

    _NAMES = {
        "deliveredDate": "delivered_at",
        "carrier": "carrier",
        "service": "service",
        "trackingNumber": "tracking_number",
        "trackingUrl": "tracking_url",
    }

    def to_input(self) -> ShipmentUpdate:
        data = self.validated_data
        return ShipmentUpdate(
            fields=frozenset(self._NAMES[key] for key in data),
            **{self._NAMES[key]: value for key, value in data.items()},
        )
