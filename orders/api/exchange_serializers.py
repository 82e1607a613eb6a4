"""Inputs and outputs of preview-exchange / submit-exchange (issue 15)."""

from django.conf import settings
from rest_framework import serializers

from orders.api.change_serializers import (
    ChangeBalancesSerializer,
    _ActionOutput,
    _OptionalId,
    render_preview,
)
from orders.api.order_serializers import MoneyOut
from orders.api.strict import StrictSerializer
from orders.calculations.exchange import ExchangeInput, ExchangeItemInput, ReplacementInput, ReplacementTaxInput
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


def _quantity(**kwargs):
    return serializers.DecimalField(
        max_digits=QUANTITY_MAX_DIGITS, decimal_places=QUANTITY_DECIMAL_PLACES, coerce_to_string=False, **kwargs
    )


class ReplacementTaxSerializer(StrictSerializer):
    name = serializers.CharField()
    rate = serializers.DecimalField(
        max_digits=7,
        decimal_places=4,
        coerce_to_string=False,
        required=False,
        allow_null=True,
        default=None,
        help_text="Percent; null for a flat tax.",
    )
    amount = _amount()


class ReplacementSerializer(StrictSerializer):
    stockKeepingUnit = serializers.CharField(max_length=255)
    name = serializers.CharField(max_length=255)
    quantity = _quantity()
    unitPrice = _amount()
    taxes = ReplacementTaxSerializer(many=True, required=False, default=list)


class ExchangeItemSerializer(StrictSerializer):
    orderItemSummaryId = serializers.CharField(
        help_text="A shipped item summary; quantity ≤ quantityAvailableToReturn."
    )
    quantity = _quantity()
    reason = serializers.CharField(help_text="One of the active reason codes.")
    reasonForChangeText = serializers.CharField(required=False, allow_blank=True, default="")
    replacement = ReplacementSerializer()


class ExchangeInputSerializer(StrictSerializer):
    """The body of preview/submit exchange."""

    exchangeItems = ExchangeItemSerializer(many=True, allow_empty=False, max_length=settings.OMS_MAX_CHANGE_ITEMS)
    holdReplacementUntilReturned = serializers.BooleanField(
        required=False,
        default=False,
        help_text="True: the units come back through a return order and the replacement waits on hold until they "
        "are received. False (default): the units are returned at once and the replacement is routed.",
    )
    returnLocationId = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        max_length=20,
        help_text="With holdReplacementUntilReturned: the location the return order's units go back to (restocked "
        "there when received in good condition). Default: the first inventory location by name.",
    )

    @staticmethod
    def input_from(data) -> ExchangeInput:
        return ExchangeInput(
            items=tuple(
                ExchangeItemInput(
                    order_item_summary_id=item["orderItemSummaryId"],
                    quantity=item["quantity"],
                    reason=item["reason"],
                    reason_text=item["reasonForChangeText"],
                    replacement=ReplacementInput(
                        stock_keeping_unit=item["replacement"]["stockKeepingUnit"],
                        name=item["replacement"]["name"],
                        quantity=item["replacement"]["quantity"],
                        unit_price=item["replacement"]["unitPrice"],
                        taxes=tuple(
                            ReplacementTaxInput(name=tax["name"], amount=tax["amount"], rate=tax["rate"])
                            for tax in item["replacement"]["taxes"]
                        ),
                    ),
                )
                for item in data["exchangeItems"]
            ),
            hold_replacement_until_returned=data["holdReplacementUntilReturned"],
            return_location_id=data.get("returnLocationId"),
        )


class ExchangeOutputSerializer(_ActionOutput):
    """What the exchange does (preview) or did (submit): the return's balances, the replacement's grand total,
    and what the customer pays more or gets back."""

    changeBalances = ChangeBalancesSerializer(read_only=True)
    replacementTotalAmount = MoneyOut(help_text="The replacement order summary's grand total.")
    amountToCharge = MoneyOut(help_text="Authorized on the original card; captured when the replacement ships.")
    amountToRefund = MoneyOut(help_text="Refunded to the original card through the original's credit memo.")


class SubmitExchangeOutputSerializer(ExchangeOutputSerializer):
    exchangeOrderSummaryId = _OptionalId(help_text="The replacement order summary.")
    changeOrderId = _OptionalId(
        help_text="The Return change order on the original; null while a return order's units are awaited."
    )
    returnOrderId = _OptionalId(
        help_text="With holdReplacementUntilReturned: the return order the units come back through."
    )


def render_exchange(result, *, submitted: bool = False) -> dict:
    currency = result.currency
    body = {
        **render_preview(result.order_summary_id, result.balances, currency),
        "replacementTotalAmount": round_money(result.amounts.replacement_total, currency),
        "amountToCharge": round_money(result.amounts.to_charge, currency),
        "amountToRefund": round_money(result.amounts.to_refund, currency),
    }
    if submitted:
        body["exchangeOrderSummaryId"] = _id(result.exchange_order_summary_id)
        body["changeOrderId"] = _id(result.change_order_id)
        body["returnOrderId"] = _id(result.return_order_id)
    return body


def _id(value) -> str | None:
    return None if value is None else str(value)
