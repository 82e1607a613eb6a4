"""Demo orders as a storefront sends them: an ingest body per order, priced in the channel's currency
with its tax rules, taken in through the same serializer and service as POST /commerce/orders."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from orders.api.ingest_serializers import OrderIngestSerializer
from orders.money import ZERO, round_money, tax_at_rate, with_tax
from orders.services.ingest import ingest_order

from .catalog import Product
from .customers import Customer

D = Decimal


@dataclass(frozen=True)
class Channel:
    name: str
    prefix: str
    currency: str
    tax_locale_type: str
    tax_name: str
    tax_rate: Decimal | None
    region: str
    delivery_charges: dict  # delivery method -> charge
    gift_card_amount: Decimal


WEB_US = Channel(
    "Web US", "US", "USD", "Net", "Sales tax", D("8.25"), "US", {"Ground": D("6.95"), "Express": D("19.95")}, D("50.00")
)
WEB_EU = Channel(
    "Web EU", "EU", "EUR", "Gross", "VAT", D("20"), "EU", {"Standard": D("4.95"), "Express": D("14.95")}, D("50.00")
)
WEB_JP = Channel(
    "Web JP",
    "JP",
    "JPY",
    "Gross",
    "消費税 (consumption tax)",
    D("10"),
    "JP",
    {"Standard": D("550"), "Express": D("1100")},
    D("5000"),
)
# The shops charge their own state's sales tax, so the rate comes with each store.
RETAIL = Channel("Retail Stores", "RS", "USD", "Net", "Sales tax", None, "US", {"In Store Pickup": ZERO}, D("50.00"))

PROMOTION_PERCENT = D("10")


@dataclass
class GroupPlan:
    recipient: Customer
    delivery_method: str
    lines: list[tuple[Product, int]]
    is_gift: bool = False
    gift_message: str = ""


@dataclass
class OrderPlan:
    number: str
    channel: Channel
    ordered_at: datetime
    customer: Customer
    groups: list[GroupPlan]
    # card | split (gift card sale + card authorization) | decline | timeout | sale (paid at the till)
    payment: str = "card"
    card: str = "Visa"
    promotion: bool = False
    tax_rate: Decimal | None = None

    @property
    def rate(self) -> Decimal:
        return self.tax_rate if self.tax_rate is not None else self.channel.tax_rate


CARDS = {
    # method -> (sandbox token, last 4 digits)
    "Visa": ("tok_visa", "4242"),
    "Mastercard": ("tok_mastercard", "4444"),
}
DECLINED_CARD = ("Visa", "tok_decline", "0002")
# The sandbox answers a capture of this token with a timeout first; asking again settles it.
SLOW_CARD = ("Mastercard", "tok_timeout", "0119")


def _taxes(plan: OrderPlan, base: Decimal) -> list[dict]:
    currency, gross = plan.channel.currency, plan.channel.tax_locale_type == "Gross"
    return [
        {
            "name": plan.channel.tax_name,
            "rate": plan.rate,
            "amount": tax_at_rate(base, plan.rate, currency, included=gross),
        }
    ]


def _item(plan: OrderPlan, product: Product, quantity: int) -> dict:
    currency = plan.channel.currency
    unit_price = product.price(currency)
    line_amount = round_money(unit_price * quantity, currency)
    item = {
        "sku": product.sku,
        "name": product.name,
        "productReference": product.category,
        "quantity": D(quantity),
        "unitPrice": unit_price,
        "listPrice": unit_price,
        "taxes": _taxes(plan, line_amount),
        "adjustments": [],
    }
    if plan.promotion:
        discount = -round_money(line_amount * PROMOTION_PERCENT / 100, currency)
        item["adjustments"].append(
            {
                "name": f"{PROMOTION_PERCENT.normalize():f}% off, newsletter welcome",
                "promotionCode": "WELCOME10",
                "amount": discount,
                "taxes": _taxes(plan, discount),
            }
        )
    return item


def _group(plan: OrderPlan, index: int, group: GroupPlan) -> dict:
    charge = plan.channel.delivery_charges[group.delivery_method]
    body = {
        "referenceId": f"G{index + 1}",
        "deliverTo": group.recipient.address(),
        "deliveryMethod": group.delivery_method,
        "isGift": group.is_gift,
        "giftMessage": group.gift_message,
        "items": [_item(plan, product, quantity) for product, quantity in group.lines],
    }
    if charge > 0:
        body["deliveryCharge"] = {
            "amount": charge,
            "name": f"{group.delivery_method} delivery",
            "taxes": _taxes(plan, charge),
        }
    return body


def grand_total(plan: OrderPlan, groups: list[dict]) -> Decimal:
    amount = tax = ZERO
    for group in groups:
        lines = group["items"] + ([group["deliveryCharge"]] if "deliveryCharge" in group else [])
        for line in lines:
            amount += line["amount"] if "amount" in line else line["unitPrice"] * line["quantity"]
            tax += sum(t["amount"] for t in line["taxes"])
            for adjustment in line.get("adjustments", []):
                amount += adjustment["amount"]
                tax += sum(t["amount"] for t in adjustment["taxes"])
    return with_tax(round_money(amount, plan.channel.currency), tax, plan.channel.tax_locale_type)


def _payments(plan: OrderPlan, total: Decimal) -> list[dict]:
    reference = f"sbx_{plan.number.lower()}"
    if plan.payment == "sale":
        token, last4 = CARDS[plan.card]
        return [
            {
                "kind": "sale",
                "method": plan.card,
                "type": plan.card,
                "gatewayToken": token,
                "last4": last4,
                "amount": total,
                "gatewayReference": f"{reference}_sale",
            }
        ]
    if plan.payment == "decline":
        method, token, last4 = DECLINED_CARD
    elif plan.payment == "timeout":
        method, token, last4 = SLOW_CARD
    else:
        method = plan.card
        token, last4 = CARDS[method]
    payments = []
    if plan.payment == "split":
        gift = min(plan.channel.gift_card_amount, round_money(total / 2, plan.channel.currency))
        # The sandbox knows card tokens only; a gift card provider would hand out its own.
        payments.append(
            {
                "kind": "sale",
                "method": "GiftCard",
                "type": "GiftCard",
                "gatewayToken": "tok_visa",
                "last4": "7001",
                "amount": gift,
                "gatewayReference": f"{reference}_gift",
            }
        )
        total -= gift
    payments.append(
        {
            "kind": "authorization",
            "method": method,
            "type": method,
            "gatewayToken": token,
            "last4": last4,
            "amount": total,
            "gatewayReference": f"{reference}_auth",
        }
    )
    return payments


def ingest_body(plan: OrderPlan) -> dict:
    channel = plan.channel
    groups = [_group(plan, index, group) for index, group in enumerate(plan.groups)]
    return {
        "orderNumber": plan.number,
        "salesChannel": channel.name,
        "currencyIsoCode": channel.currency,
        "taxLocaleType": channel.tax_locale_type,
        "orderedDate": plan.ordered_at,
        "billTo": plan.customer.address(),
        "deliveryGroups": groups,
        "payments": _payments(plan, grand_total(plan, groups)),
    }


def place_order(plan: OrderPlan) -> int:
    """Ingest the order as the storefront would; returns its order summary id."""
    serializer = OrderIngestSerializer(data=ingest_body(plan))
    serializer.is_valid(raise_exception=True)
    return ingest_order(serializer.to_input()).order_summary_id
