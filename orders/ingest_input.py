"""The order a storefront sends, as typed values: what the ingest service takes."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class TaxInput:
    name: str
    amount: Decimal
    rate: Decimal | None = None


@dataclass(frozen=True)
class AdjustmentInput:
    name: str
    amount: Decimal
    promotion_code: str = ""
    source: str = "Item"
    taxes: tuple[TaxInput, ...] = ()


@dataclass(frozen=True)
class ItemInput:
    sku: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    list_price: Decimal | None = None
    product_reference: str = ""
    taxes: tuple[TaxInput, ...] = ()
    adjustments: tuple[AdjustmentInput, ...] = ()


@dataclass(frozen=True)
class DeliveryChargeInput:
    amount: Decimal
    name: str = ""
    sku: str = ""
    taxes: tuple[TaxInput, ...] = ()
    adjustments: tuple[AdjustmentInput, ...] = ()


@dataclass(frozen=True)
class AddressInput:
    name: str = ""
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None


@dataclass(frozen=True)
class DeliveryGroupInput:
    deliver_to: AddressInput
    items: tuple[ItemInput, ...]
    reference_id: str = ""
    delivery_method: str = ""
    # "Ship" or "Pickup"; a Pickup group names its store by external reference.
    delivery_method_type: str = "Ship"
    pickup_location_reference: str = ""
    desired_delivery_date: date | None = None
    is_gift: bool = False
    gift_message: str = ""
    delivery_charge: DeliveryChargeInput | None = None


@dataclass(frozen=True)
class PaymentInput:
    kind: str  # "authorization" or "sale"
    method: str
    amount: Decimal
    type: str = ""
    gateway_token: str = ""
    gateway_reference: str = ""
    last4: str = ""
    expires_at: datetime | None = None


@dataclass(frozen=True)
class OrderInput:
    order_number: str
    currency: str
    ordered_date: datetime
    bill_to: AddressInput
    delivery_groups: tuple[DeliveryGroupInput, ...]
    payments: tuple[PaymentInput, ...] = ()
    tax_locale_type: str = "Net"
    sales_channel: str | None = None
    external_reference: str = ""
    name: str = ""
    life_cycle_type: str = "MANAGED"
    create_order_summary: bool = True
    # Totals the client computed; the server computes its own and refuses a mismatch.
    client_totals: dict[str, Decimal] = field(default_factory=dict)
