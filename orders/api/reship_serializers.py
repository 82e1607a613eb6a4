"""Inputs and outputs of preview-reship and submit-reship (issue 15): shapes only; the service checks the
units against what can be reshipped."""

from rest_framework import serializers

from orders.api.openapi import ErrorItemSerializer
from orders.api.order_serializers import MoneyOut
from orders.api.strict import StrictSerializer
from orders.money import QUANTITY_DECIMAL_PLACES, QUANTITY_MAX_DIGITS, round_money
from orders.services.reships import ReshipItemInput


def _quantity(**kwargs):
    return serializers.DecimalField(
        max_digits=QUANTITY_MAX_DIGITS, decimal_places=QUANTITY_DECIMAL_PLACES, coerce_to_string=False, **kwargs
    )


class ReshipItemSerializer(StrictSerializer):
    orderItemSummaryId = serializers.CharField(max_length=40)
    quantity = _quantity()
    reason = serializers.CharField(max_length=80, help_text="One of the active reason codes, e.g. Damaged.")
    reasonForChangeText = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ReshipInputSerializer(StrictSerializer):
    reshipItems = ReshipItemSerializer(many=True, allow_empty=False, max_length=1000)

    @staticmethod
    def input_from(data) -> list[ReshipItemInput]:
        return [
            ReshipItemInput(
                order_item_summary_id=item["orderItemSummaryId"],
                quantity=item["quantity"],
                reason=item["reason"],
                reason_text=item["reasonForChangeText"],
            )
            for item in data["reshipItems"]
        ]


class ReshipPlanItemSerializer(serializers.Serializer):
    orderItemSummaryId = serializers.CharField(read_only=True)
    quantity = _quantity(read_only=True)


class ReshipPlanGroupSerializer(serializers.Serializer):
    """One fulfillment order the reshipment makes (preview) or made (submit)."""

    orderDeliveryGroupSummaryId = serializers.CharField(read_only=True)
    fulfilledFromLocationId = serializers.CharField(read_only=True)
    fulfillmentType = serializers.CharField(read_only=True)
    orderItemSummaries = ReshipPlanItemSerializer(many=True, read_only=True)


class ReshipOutputSerializer(serializers.Serializer):
    orderSummaryId = serializers.CharField(read_only=True)
    fulfillmentOrderIds = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Empty on preview."
    )
    reshipmentId = serializers.CharField(read_only=True, allow_null=True, help_text="Null on preview.")
    fulfillmentGroups = ReshipPlanGroupSerializer(
        many=True, read_only=True, help_text="Where the units ship from, one per fulfillment order."
    )
    amountToCharge = MoneyOut(help_text="Always 0: a reshipment is never invoiced or captured.")
    success = serializers.BooleanField(read_only=True)
    errors = ErrorItemSerializer(many=True, read_only=True)


def render_reship(result) -> dict:
    return {
        "orderSummaryId": str(result.order_summary_id),
        "fulfillmentOrderIds": [str(pk) for pk in result.fulfillment_order_ids],
        "reshipmentId": None if result.reshipment_id is None else str(result.reshipment_id),
        "fulfillmentGroups": [
            {
                "orderDeliveryGroupSummaryId": str(plan.delivery_group_summary_id),
                "fulfilledFromLocationId": str(group.location_id),
                "fulfillmentType": group.fulfillment_type,
                "orderItemSummaries": [
                    {"orderItemSummaryId": str(item.order_item_summary_id), "quantity": item.quantity}
                    for item in group.items
                ],
            }
            for plan in result.plans
            for group in plan.groups
        ],
        "amountToCharge": round_money(result.amount_to_charge, result.currency),
        "success": True,
        "errors": [],
    }
