"""Inputs and outputs of the change resources (cancel, return, adjust) with Salesforce's keys.

Input serializers check shapes and types only and build the plain dataclasses the services take;
every business rule (quantities, reasons, amounts, ids) is checked by the service, so the API and
the console refuse the same things with the same field paths.
"""

from decimal import Decimal

from django.conf import settings
from rest_framework import serializers

from orders.api.openapi import ErrorItemSerializer
from orders.api.order_serializers import MoneyOut
from orders.api.strict import StrictSerializer
from orders.calculations.inputs import (
    AdjustInput,
    AdjustItemInput,
    AdjustmentType,
    AllocatedItemsChangeOrderType,
    CancelOrderInput,
    ChangeItemInput,
    FeeAmountType,
    FeeInput,
)
from orders.money import (
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    QUANTITY_DECIMAL_PLACES,
    QUANTITY_MAX_DIGITS,
    round_money,
)


def _amount(**kwargs):
    return serializers.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, coerce_to_string=False, **kwargs
    )


class ChangeItemFeeSerializer(StrictSerializer):
    amount = _amount(help_text="Positive: an amount, or a percent for Percentage and PercentageGross.")
    amountType = serializers.ChoiceField(choices=FeeAmountType.ALL)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="A reason code; the change item's reason when empty."
    )


class ChangeItemSerializer(StrictSerializer):
    orderItemSummaryId = serializers.CharField()
    quantity = serializers.DecimalField(
        max_digits=QUANTITY_MAX_DIGITS, decimal_places=QUANTITY_DECIMAL_PLACES, coerce_to_string=False
    )
    reason = serializers.CharField(help_text="One of the active reason codes.")
    shippingReductionFlag = serializers.BooleanField(required=False, default=False)
    reasonForChangeText = serializers.CharField(required=False, allow_blank=True, default="")
    changeItemFees = ChangeItemFeeSerializer(many=True, required=False, default=list)


class ChangeInputSerializer(StrictSerializer):
    """ChangeInputRepresentation: the body of preview/submit cancel and return."""

    changeItems = ChangeItemSerializer(many=True, allow_empty=False, max_length=settings.OMS_MAX_CHANGE_ITEMS)

    @staticmethod
    def options_from(data) -> dict:
        """The service's keyword options from validated data (none here)."""
        return {}

    def to_input(self) -> list[ChangeItemInput]:
        return self.input_from(self.validated_data)

    @staticmethod
    def input_from(data) -> list[ChangeItemInput]:
        """The service's input from validated data (this serializer's, or its fast reading's)."""
        return [
            ChangeItemInput(
                order_item_summary_id=item["orderItemSummaryId"],
                quantity=item["quantity"],
                reason=item["reason"],
                shipping_reduction=item["shippingReductionFlag"],
                reason_text=item["reasonForChangeText"],
                fees=tuple(
                    FeeInput(
                        amount=fee["amount"],
                        amount_type=fee["amountType"],
                        description=fee["description"],
                        reason=fee["reason"],
                    )
                    for fee in item["changeItemFees"]
                ),
            )
            for item in data["changeItems"]
        ]


class CancelInputSerializer(ChangeInputSerializer):
    """The body of preview/submit cancel: change items, and whether allocated units may be canceled."""

    cancelAllocatedQuantity = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also cancel units allocated to fulfillment orders not yet picked (Draft, Allocated, "
        "Assigned): their lines are canceled in the same transaction. Default false: only units not "
        "allocated can be canceled.",
    )

    @staticmethod
    def options_from(data) -> dict:
        return {"cancel_allocated": data["cancelAllocatedQuantity"]}


class CancelOrderInputSerializer(StrictSerializer):
    """The body of preview/submit cancel-order: the reason for canceling everything still cancelable."""

    reason = serializers.CharField(help_text="One of the active reason codes.")
    reasonText = serializers.CharField(required=False, allow_blank=True, default="")

    @staticmethod
    def input_from(data) -> CancelOrderInput:
        return CancelOrderInput(reason=data["reason"], reason_text=data["reasonText"])


class AdjustItemSerializer(StrictSerializer):
    orderItemSummaryId = serializers.CharField()
    adjustmentType = serializers.ChoiceField(choices=AdjustmentType.ALL)
    amount = _amount(help_text="Negative: a discount (an amount, or a percent for Percentage).")
    reason = serializers.CharField(help_text="One of the active reason codes.")
    description = serializers.CharField(required=False, allow_blank=True, default="")


class AdjustInputSerializer(StrictSerializer):
    """AdjustOrderItemSummaryInputRepresentation."""

    adjustItems = AdjustItemSerializer(many=True, allow_empty=False, max_length=settings.OMS_MAX_CHANGE_ITEMS)
    allocatedItemsChangeOrderType = serializers.ChoiceField(
        choices=AllocatedItemsChangeOrderType.ALL, required=False, default=AllocatedItemsChangeOrderType.DISALLOWED
    )

    def to_input(self) -> AdjustInput:
        return self.input_from(self.validated_data)

    @staticmethod
    def input_from(data) -> AdjustInput:
        """The service's input from validated data (this serializer's, or its fast reading's)."""
        return AdjustInput(
            items=tuple(
                AdjustItemInput(
                    order_item_summary_id=item["orderItemSummaryId"],
                    adjustment_type=item["adjustmentType"],
                    amount=item["amount"],
                    reason=item["reason"],
                    description=item["description"],
                )
                for item in data["adjustItems"]
            ),
            allocated_items_change_order_type=data["allocatedItemsChangeOrderType"],
        )


class ChangeBalancesSerializer(serializers.Serializer):
    """Positive reductions of the summary's fields (fees: what they add), and the funds position after."""

    grandTotalAmount = MoneyOut(source="grand_total_amount")
    totalAmount = MoneyOut(source="total_amount")
    totalTaxAmount = MoneyOut(source="total_tax_amount")
    totalAdjustedProductAmount = MoneyOut(source="total_adjusted_product_amount")
    totalAdjustedProductTaxAmount = MoneyOut(source="total_adjusted_product_tax_amount")
    totalAdjProductAmtWithTax = MoneyOut(source="total_adj_product_amt_with_tax")
    totalAdjustedDeliveryAmount = MoneyOut(source="total_adjusted_delivery_amount")
    totalAdjustedDeliveryTaxAmount = MoneyOut(source="total_adjusted_delivery_tax_amount")
    totalAdjDeliveryAmtWithTax = MoneyOut(source="total_adj_delivery_amt_with_tax")
    totalFeeAmount = MoneyOut(source="total_fee_amount")
    totalFeeTaxAmount = MoneyOut(source="total_fee_tax_amount")
    totalExcessFundsAmount = MoneyOut(source="total_excess_funds_amount")
    totalRefundableAmount = MoneyOut(source="total_refundable_amount")


class _OptionalId(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return str(value)


class FulfillmentLineCancelSerializer(serializers.Serializer):
    """A fulfillment-order line a cancel takes units off."""

    fulfillmentOrderId = serializers.CharField(read_only=True)
    fulfillmentOrderNumber = serializers.CharField(read_only=True)
    fulfillmentOrderLineItemId = serializers.CharField(read_only=True)
    orderItemSummaryId = serializers.CharField(read_only=True)
    quantity = serializers.DecimalField(
        max_digits=QUANTITY_MAX_DIGITS, decimal_places=QUANTITY_DECIMAL_PLACES, coerce_to_string=False, read_only=True
    )
    returnedToGroup = serializers.BooleanField(
        read_only=True,
        help_text="A delivery charge of a fulfillment order left without products: not canceled, "
        "it goes back to its delivery group.",
    )
    movedToFulfillmentOrderId = _OptionalId(
        help_text="Where a delivery charge back to its group goes: the group's next open fulfillment order; null "
        "when it waits for the group's next new fulfillment order."
    )


class _ActionOutput(serializers.Serializer):
    # Rendered from the dict the view builds.

    orderSummaryId = serializers.CharField(read_only=True)
    changeBalances = ChangeBalancesSerializer(read_only=True)
    success = serializers.BooleanField(read_only=True)
    errors = ErrorItemSerializer(many=True, read_only=True)


class PreviewChangeOutputSerializer(_ActionOutput):
    """What the cancel or return would change; nothing was written."""


class _CancelOutput(_ActionOutput):
    fulfillmentOrderLinesToCancel = FulfillmentLineCancelSerializer(
        many=True,
        read_only=True,
        help_text="The fulfillment-order lines the cancel takes units off (with cancelAllocatedQuantity, and a "
        "whole-order cancel).",
    )
    canceledFulfillmentOrderIds = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Fulfillment orders left without a product unit: they become Cancelled.",
    )
    deliveryChargesCanceledWithLastProduct = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Delivery-charge item summaries canceled whole because the cancel leaves their delivery group "
        "nothing to ship.",
    )


class PreviewCancelOutputSerializer(_CancelOutput):
    """What the cancel would change, and the fulfillment-order lines it would cancel; nothing was written."""


class SubmitCancelOutputSerializer(_CancelOutput):
    """The cancel applied: the change order, the Fee change order when fees were given, and the
    fulfillment-order lines canceled."""

    changeOrderId = _OptionalId()
    feeChangeOrderId = _OptionalId(help_text="The Fee change order, when change items carried fees.")


class SubmitChangeOutputSerializer(_ActionOutput):
    """The change applied: the change order and, when fees were given, the Fee change order."""

    changeOrderId = _OptionalId()
    feeChangeOrderId = _OptionalId(help_text="The Fee change order, when change items carried fees.")


class AdjustOutputSerializer(_ActionOutput):
    """The adjustment's balances and, on submit, one change order per fulfillment phase with an amount."""

    preFulfillmentChangeOrderId = _OptionalId(help_text="Null on preview, and when no pre-fulfillment part.")
    inFulfillmentChangeOrderId = _OptionalId()
    postFulfillmentChangeOrderId = _OptionalId()


# --- Rendering the outputs ------------------------------------------------------------------------------
# The output serializers above document the answers (OpenAPI); the views render them with these plain
# functions, which give the same keys in the same order and the same values, without building a tree of
# serializer fields on every request. tests/api/test_change_output_rendering.py holds them to the serializers.

_BALANCE_KEYS = tuple((key, field.source) for key, field in ChangeBalancesSerializer._declared_fields.items())


def _optional_id(value) -> str | None:
    return None if value is None else str(value)


def render_balances(balances, currency: str) -> dict:
    """changeBalances: every figure rounded to the summary's currency, as MoneyOut does."""
    return {key: round_money(getattr(balances, source), currency) for key, source in _BALANCE_KEYS}


def render_preview(order_summary_id, balances, currency: str) -> dict:
    """PreviewChangeOutputSerializer's answer."""
    return {
        "orderSummaryId": str(order_summary_id),
        "changeBalances": render_balances(balances, currency),
        "success": True,
        "errors": [],
    }


def render_submit(order_summary_id, balances, currency: str, *, change_order_id, fee_change_order_id) -> dict:
    """SubmitChangeOutputSerializer's answer."""
    return {
        **render_preview(order_summary_id, balances, currency),
        "changeOrderId": _optional_id(change_order_id),
        "feeChangeOrderId": _optional_id(fee_change_order_id),
    }


def render_adjust(order_summary_id, balances, currency: str, *, pre, in_fulfillment, post) -> dict:
    """AdjustOutputSerializer's answer (change order ids per fulfillment phase, null on preview)."""
    return {
        **render_preview(order_summary_id, balances, currency),
        "preFulfillmentChangeOrderId": _optional_id(pre),
        "inFulfillmentChangeOrderId": _optional_id(in_fulfillment),
        "postFulfillmentChangeOrderId": _optional_id(post),
    }


_QUANTUM = Decimal(1).scaleb(-QUANTITY_DECIMAL_PLACES)


def render_fulfillment(fulfillment, charges_canceled_with_last_product) -> dict:
    """The keys _CancelOutput adds: the fulfillment-order side of a cancel and the delivery charges that went
    with the last product of their group."""
    return {
        "fulfillmentOrderLinesToCancel": [
            {
                "fulfillmentOrderId": str(cancel.fulfillment_order_id),
                "fulfillmentOrderNumber": cancel.fulfillment_order_number,
                "fulfillmentOrderLineItemId": str(cancel.line_id),
                "orderItemSummaryId": str(cancel.item_id),
                "quantity": cancel.quantity.quantize(_QUANTUM),
                "returnedToGroup": cancel.returned_to_group,
                "movedToFulfillmentOrderId": _optional_id(cancel.moved_to_fulfillment_order_id),
            }
            for cancel in fulfillment.line_cancels
        ],
        "canceledFulfillmentOrderIds": [str(pk) for pk in fulfillment.canceled_orders],
        "deliveryChargesCanceledWithLastProduct": [str(pk) for pk in charges_canceled_with_last_product],
    }


def render_cancel(
    order_summary_id,
    balances,
    currency: str,
    fulfillment,
    charges_canceled_with_last_product,
    *,
    submitted: bool = False,
    change_order_id=None,
    fee_change_order_id=None,
) -> dict:
    """PreviewCancelOutputSerializer's answer, or with `submitted` SubmitCancelOutputSerializer's."""
    body = {
        **render_preview(order_summary_id, balances, currency),
        **render_fulfillment(fulfillment, charges_canceled_with_last_product),
    }
    if submitted:
        body["changeOrderId"] = _optional_id(change_order_id)
        body["feeChangeOrderId"] = _optional_id(fee_change_order_id)
    return body
