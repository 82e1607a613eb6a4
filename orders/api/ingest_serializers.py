"""Shape and type checks of the ingest body; business rules live in orders.services.ingest_validation."""

import re
from decimal import Decimal

from django.conf import settings
from rest_framework import serializers

from orders.api.fast_validation import read_body
from orders.api.strict import StrictSerializer
from orders.ingest_input import (
    AddressInput,
    AdjustmentInput,
    DeliveryChargeInput,
    DeliveryGroupInput,
    ItemInput,
    OrderInput,
    PaymentInput,
    TaxInput,
)
from orders.models import AdjustmentSource, DeliveryMethodType, LifeCycleType, TaxLocaleType
from orders.money import MONEY_DECIMAL_PLACES, is_known_currency

MONEY_DIGITS = 14
# Something that looks like a card number must never reach the database.
CARD_NUMBER = re.compile(r"(?:\d[ -]?){13,19}")
CARD_NUMBER_INSIDE = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")


def holds_card_number(value: str) -> bool:
    """A run of 13 to 19 digits (spaces or dashes between them) that passes the Luhn check, anywhere in
    the text: "tok_4111111111111111" and "Visa 4111 1111 1111 1111" hold one."""
    for run in CARD_NUMBER_INSIDE.findall(value):
        digits = [int(d) for d in re.sub(r"\D", "", run)][::-1]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits))
        if total % 10 == 0:
            return True
    return False


def Money(**kwargs):
    return serializers.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs)


def Text(max_length=255, **kwargs):
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    kwargs.setdefault("default", "")
    return serializers.CharField(max_length=max_length, trim_whitespace=True, **kwargs)


class TaxSerializer(StrictSerializer):
    name = serializers.CharField(max_length=255)
    rate = serializers.DecimalField(
        max_digits=7,
        decimal_places=4,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        allow_null=True,
        default=None,
    )
    amount = Money()

    @staticmethod
    def to_input(data) -> TaxInput:
        return TaxInput(name=data["name"], rate=data["rate"], amount=data["amount"])


class AdjustmentSerializer(StrictSerializer):
    name = serializers.CharField(max_length=255)
    promotionCode = Text(max_length=80)
    source = serializers.ChoiceField(
        choices=[AdjustmentSource.ITEM, AdjustmentSource.DISTRIBUTED], default=AdjustmentSource.ITEM
    )
    amount = Money(max_value=Decimal("0"))
    taxes = TaxSerializer(many=True, required=False, default=list, max_length=10)

    @staticmethod
    def to_input(data) -> AdjustmentInput:
        return AdjustmentInput(
            name=data["name"],
            amount=data["amount"],
            promotion_code=data["promotionCode"],
            source=data["source"],
            taxes=tuple(TaxSerializer.to_input(t) for t in data["taxes"]),
        )


class ItemSerializer(StrictSerializer):
    sku = serializers.CharField(max_length=80)
    name = serializers.CharField(max_length=255)
    productReference = Text()
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("1000000")
    )
    unitPrice = Money(min_value=Decimal("0"))
    listPrice = Money(min_value=Decimal("0"), required=False, allow_null=True, default=None)
    taxes = TaxSerializer(many=True, required=False, default=list, max_length=10)
    adjustments = AdjustmentSerializer(many=True, required=False, default=list, max_length=10)

    @staticmethod
    def to_input(data) -> ItemInput:
        return ItemInput(
            sku=data["sku"],
            name=data["name"],
            product_reference=data["productReference"],
            quantity=data["quantity"],
            unit_price=data["unitPrice"],
            list_price=data["listPrice"],
            taxes=tuple(TaxSerializer.to_input(t) for t in data["taxes"]),
            adjustments=tuple(AdjustmentSerializer.to_input(a) for a in data["adjustments"]),
        )


class DeliveryChargeSerializer(StrictSerializer):
    amount = Money(min_value=Decimal("0"))
    name = Text()
    sku = Text(max_length=80)
    taxes = TaxSerializer(many=True, required=False, default=list, max_length=10)
    adjustments = AdjustmentSerializer(many=True, required=False, default=list, max_length=10)

    @staticmethod
    def to_input(data) -> DeliveryChargeInput:
        return DeliveryChargeInput(
            amount=data["amount"],
            name=data["name"],
            sku=data["sku"],
            taxes=tuple(TaxSerializer.to_input(t) for t in data["taxes"]),
            adjustments=tuple(AdjustmentSerializer.to_input(a) for a in data["adjustments"]),
        )


class AddressSerializer(StrictSerializer):
    name = Text()
    street = Text()
    city = Text(max_length=100)
    state = Text(max_length=100)
    postalCode = Text(max_length=20)
    country = serializers.RegexField(
        r"^[A-Z]{2}$",
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": "Use a two-letter ISO 3166 country code."},
    )
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    phone = Text(max_length=40)
    latitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=Decimal("-90"),
        max_value=Decimal("90"),
        required=False,
        allow_null=True,
        default=None,
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=Decimal("-180"),
        max_value=Decimal("180"),
        required=False,
        allow_null=True,
        default=None,
    )

    @staticmethod
    def to_input(data) -> AddressInput:
        return AddressInput(
            name=data["name"],
            street=data["street"],
            city=data["city"],
            state=data["state"],
            postal_code=data["postalCode"],
            country=data["country"],
            email=data["email"],
            phone=data["phone"],
            latitude=data["latitude"],
            longitude=data["longitude"],
        )


class BillToSerializer(AddressSerializer):
    name = serializers.CharField(max_length=255)
    email = serializers.EmailField(max_length=254)


class DeliverToSerializer(AddressSerializer):
    name = serializers.CharField(max_length=255)


class DeliveryGroupSerializer(StrictSerializer):
    referenceId = Text(max_length=80)
    deliverTo = DeliverToSerializer()
    deliveryMethod = Text(max_length=80)
    deliveryMethodType = serializers.ChoiceField(
        choices=DeliveryMethodType.choices,
        required=False,
        default=None,
        allow_null=True,
        help_text="Ship (default) or Pickup; a pickupLocationExternalReference alone means Pickup.",
    )
    pickupLocationExternalReference = Text(max_length=255)
    desiredDeliveryDate = serializers.DateField(required=False, allow_null=True, default=None)
    isGift = serializers.BooleanField(required=False, default=False)
    giftMessage = Text(max_length=500)
    deliveryCharge = DeliveryChargeSerializer(required=False, allow_null=True, default=None)
    items = ItemSerializer(many=True, min_length=1, max_length=settings.OMS_MAX_ORDER_ITEMS)

    @staticmethod
    def to_input(data) -> DeliveryGroupInput:
        charge = data["deliveryCharge"]
        return DeliveryGroupInput(
            reference_id=data["referenceId"],
            deliver_to=AddressSerializer.to_input(data["deliverTo"]),
            delivery_method=data["deliveryMethod"],
            delivery_method_type=data["deliveryMethodType"]
            or (DeliveryMethodType.PICKUP if data["pickupLocationExternalReference"] else DeliveryMethodType.SHIP),
            pickup_location_reference=data["pickupLocationExternalReference"],
            desired_delivery_date=data["desiredDeliveryDate"],
            is_gift=data["isGift"],
            gift_message=data["giftMessage"],
            delivery_charge=DeliveryChargeSerializer.to_input(charge) if charge else None,
            items=tuple(ItemSerializer.to_input(i) for i in data["items"]),
        )


class PaymentSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=["authorization", "sale"])
    method = serializers.CharField(max_length=80)
    type = Text(max_length=40)
    gatewayToken = serializers.CharField(max_length=255)
    gatewayReference = Text()
    last4 = serializers.RegexField(r"^\d{4}$", required=False, allow_blank=True, default="")
    expiresAt = serializers.DateTimeField(required=False, allow_null=True, default=None)
    amount = Money(min_value=Decimal("0.0001"))

    def validate_gatewayToken(self, value):
        if CARD_NUMBER.fullmatch(value.strip()) or holds_card_number(value):
            raise serializers.ValidationError("Send the gateway's token, never a card number.")
        return value

    def validate_method(self, value):
        if holds_card_number(value):
            raise serializers.ValidationError("A payment method's name never holds a card number.")
        return value

    validate_type = validate_method

    @staticmethod
    def to_input(data) -> PaymentInput:
        return PaymentInput(
            kind=data["kind"],
            method=data["method"],
            type=data["type"] or data["method"],
            gateway_token=data["gatewayToken"],
            gateway_reference=data["gatewayReference"],
            last4=data["last4"],
            expires_at=data["expiresAt"],
            amount=data["amount"],
        )


class OrderIngestSerializer(StrictSerializer):
    orderNumber = serializers.RegexField(
        r"^[\w.\-/#]{1,80}$", max_length=80, error_messages={"invalid": "Use 1 to 80 letters, digits and . - _ / #."}
    )
    salesChannel = serializers.CharField(max_length=80, required=False, allow_null=True, default=None)
    currencyIsoCode = serializers.CharField(max_length=3, min_length=3)
    taxLocaleType = serializers.ChoiceField(choices=TaxLocaleType.values, default=TaxLocaleType.NET)
    orderedDate = serializers.DateTimeField()
    name = Text()
    externalReference = Text()
    billTo = BillToSerializer()
    deliveryGroups = DeliveryGroupSerializer(many=True, min_length=1, max_length=50)
    payments = PaymentSerializer(many=True, required=False, default=list, max_length=10)
    orderLifeCycleType = serializers.ChoiceField(choices=LifeCycleType.choices, default=LifeCycleType.MANAGED)
    createOrderSummary = serializers.BooleanField(default=True)
    totalAmount = Money(required=False)
    totalTaxAmount = Money(required=False)
    grandTotalAmount = Money(required=False)

    def validate_currencyIsoCode(self, value):
        if not is_known_currency(value):
            raise serializers.ValidationError(f"'{value}' is not an ISO 4217 currency code.")
        return value

    def to_input(self) -> OrderInput:
        return self.input_from(self.validated_data)

    @staticmethod
    def input_from(data: dict) -> OrderInput:
        """The typed input of validated data (`run_validation`'s result, as the batch validates)."""
        return OrderInput(
            order_number=data["orderNumber"],
            sales_channel=data["salesChannel"],
            currency=data["currencyIsoCode"],
            tax_locale_type=data["taxLocaleType"],
            ordered_date=data["orderedDate"],
            name=data["name"],
            external_reference=data["externalReference"],
            bill_to=AddressSerializer.to_input(data["billTo"]),
            delivery_groups=tuple(DeliveryGroupSerializer.to_input(g) for g in data["deliveryGroups"]),
            payments=tuple(PaymentSerializer.to_input(p) for p in data["payments"]),
            life_cycle_type=data["orderLifeCycleType"],
            create_order_summary=data["createOrderSummary"],
            client_totals={
                key: data[key] for key in ("totalAmount", "totalTaxAmount", "grandTotalAmount") if key in data
            },
        )


def validated_ingest_data(data) -> dict:
    """What `OrderIngestSerializer(data=data)` validates to (orders/api/fast_validation.read_body)."""
    return read_body(OrderIngestSerializer, data)


def order_input(data) -> OrderInput:
    """The typed input of an ingest body (POST /commerce/orders)."""
    return OrderIngestSerializer.input_from(validated_ingest_data(data))
