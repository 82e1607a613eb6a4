"""Build realistic orders for tests through the real ingest service (serializer + service)."""

import copy
import itertools
from decimal import Decimal

from django.db.models import F

from orders.api.ingest_serializers import OrderIngestSerializer
from orders.models import OrderItemSummary, OrderSummary, SalesChannel
from orders.services.ingest import ingest_order
from orders.services.summary_refresh import refresh_summary
from payments.models import OrderPaymentSummary

_numbers = itertools.count(1)

WEB = "Web US"


def ensure_channel(name: str = WEB) -> SalesChannel:
    return SalesChannel.objects.get_or_create(name=name)[0]


def tax(rate, amount, name="Sales tax"):
    return {"name": name, "rate": Decimal(str(rate)), "amount": Decimal(str(amount))}


def address(name="Ada Park", **overrides):
    base = {
        "name": name,
        "street": "1 Main St",
        "city": "Springfield",
        "state": "IL",
        "postalCode": "62701",
        "country": "US",
    }
    base.update(overrides)
    return base


def item(sku, quantity, unit_price, *, rate=None, tax_amount=None, adjustments=(), name=None, **extra):
    """A product line; give `rate` (percent) to have the tax computed, or `tax_amount` for a flat tax."""
    quantity = Decimal(str(quantity))
    unit_price = Decimal(str(unit_price))
    line = {
        "sku": sku,
        "name": name or f"Product {sku}",
        "quantity": quantity,
        "unitPrice": unit_price,
        "taxes": [],
        "adjustments": list(adjustments),
    }
    if rate is not None:
        amount = (quantity * unit_price * Decimal(str(rate)) / 100).quantize(Decimal("0.01"))
        line["taxes"].append(tax(rate, amount if tax_amount is None else tax_amount))
    elif tax_amount is not None:
        line["taxes"].append({"name": "Flat tax", "rate": None, "amount": Decimal(str(tax_amount))})
    line.update(extra)
    return line


def order_body(*, number=None, channel=WEB, currency="USD", groups=None, payments=None, **overrides):
    """A valid ingest body; payments default to one Visa authorization of the grand total (computed)."""
    body = {
        "orderNumber": number or f"T-{next(_numbers):06d}",
        "salesChannel": channel,
        "currencyIsoCode": currency,
        "taxLocaleType": "Net",
        "orderedDate": "2026-11-20T10:00:00Z",
        "billTo": {**address(), "email": "ada@example.com", "phone": "+1 555 0100"},
        "deliveryGroups": groups
        or [
            {
                "referenceId": "g1",
                "deliverTo": address(),
                "deliveryMethod": "Ground",
                "items": [item("SKU-1", 1, "10.00", rate=8)],
            }
        ],
    }
    body.update(overrides)
    if payments is None:
        payments = [
            {
                "kind": "authorization",
                "method": "Visa",
                "gatewayToken": "tok_visa",
                "last4": "4242",
                "amount": grand_total_of(body),
                "gatewayReference": "auth_1",
            }
        ]
    body["payments"] = payments
    return body


def grand_total_of(body) -> Decimal:
    total = Decimal("0")
    for group in body["deliveryGroups"]:
        lines = list(group["items"]) + ([group["deliveryCharge"]] if group.get("deliveryCharge") else [])
        for line in lines:
            amount = line.get("amount")
            if amount is None:
                amount = Decimal(str(line["quantity"])) * Decimal(str(line["unitPrice"]))
            total += Decimal(str(amount)) + sum(Decimal(str(t["amount"])) for t in line.get("taxes", []))
            for adjustment in line.get("adjustments", []):
                total += Decimal(str(adjustment["amount"]))
                total += sum(Decimal(str(t["amount"])) for t in adjustment.get("taxes", []))
    return total


def worked_example_body(**overrides):
    """DOMAIN.md §6: A 2 × 40.00 (tax 6.40), B 1 × 20.00 (tax 1.60), delivery 10.00 (tax 0.80);
    TotalAmount 110.00, TotalTaxAmount 8.80, GrandTotal 118.80, one Visa authorization of 118.80."""
    groups = [
        {
            "referenceId": "G",
            "deliverTo": address(),
            "deliveryMethod": "Ground",
            "deliveryCharge": {"amount": Decimal("10.00"), "taxes": [tax(8, "0.80")]},
            "items": [item("A", 2, "40.00", rate=8), item("B", 1, "20.00", rate=8)],
        }
    ]
    payments = [
        {
            "kind": "authorization",
            "method": "Visa",
            "gatewayToken": "tok_visa",
            "last4": "4242",
            "amount": Decimal("118.80"),
            "gatewayReference": "auth_we",
        }
    ]
    return order_body(groups=groups, payments=payments, **overrides)


def ingest(body=None, *, client=None) -> OrderSummary:
    """Ingest `body` (default: a small valid order) and return its order summary."""
    body = copy.deepcopy(body if body is not None else order_body())
    if body.get("salesChannel"):
        ensure_channel(body["salesChannel"])
    serializer = OrderIngestSerializer(data=body)
    serializer.is_valid(raise_exception=True)
    result = ingest_order(serializer.to_input(), client=client)
    return OrderSummary.objects.get(pk=result.order_summary_id) if result.order_summary_id else None


def worked_example() -> OrderSummary:
    return ingest(worked_example_body())


def items_by_sku(summary: OrderSummary) -> dict[str, OrderItemSummary]:
    return {ois.sku: ois for ois in summary.item_summaries.all()}


def set_fulfillment_state(ois: OrderItemSummary, *, allocated=None, fulfilled=None) -> OrderItemSummary:
    """Put units on (imaginary) fulfillment orders and ship them, for tests of rules that depend on
    fulfillment state without going through fulfillment orders."""
    updates = {}
    if allocated is not None:
        updates["quantity_allocated"] = Decimal(str(allocated))
    if fulfilled is not None:
        updates["quantity_fulfilled"] = Decimal(str(fulfilled))
    OrderItemSummary.objects.filter(pk=ois.pk).update(**updates)
    summary = OrderSummary.objects.get(pk=ois.order_summary_id)
    refresh_summary(summary, bump_version=True)
    ois.refresh_from_db()
    return ois


def mark_captured(summary: OrderSummary, amount, method: str = "Visa") -> OrderPaymentSummary:
    """Record `amount` as captured and unapplied on a payment summary (the gateway side is not involved)."""
    amount = Decimal(str(amount))
    OrderPaymentSummary.objects.filter(order_summary=summary, method=method).update(
        captured_amount=F("captured_amount") + amount, balance_amount=F("balance_amount") + amount
    )
    return OrderPaymentSummary.objects.get(order_summary=summary, method=method)
