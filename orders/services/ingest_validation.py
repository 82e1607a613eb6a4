"""Business checks of an incoming order, and every total computed server-side.

Pure (no database), except that an order with a Pickup delivery group looks its pickup stores up (one
query, only for such orders).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from orders.errors import FieldError, InvalidInput
from orders.ingest_input import AdjustmentInput, DeliveryGroupInput, OrderInput, TaxInput
from orders.models import DeliveryMethodType, ItemType, Location, TaxLocaleType
from orders.money import ZERO, is_rounded, quantum, round_money, tax_at_rate, with_tax


@dataclass
class ComputedItem:
    """One order item with its amounts as stored: line amount and the sums of its lines."""

    group_index: int
    type: str
    sku: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    list_price: Decimal | None
    product_reference: str
    line_amount: Decimal
    taxes: tuple[TaxInput, ...]
    adjustments: tuple[AdjustmentInput, ...]
    line_tax_amount: Decimal = ZERO
    adjustment_amount: Decimal = ZERO
    adjustment_tax_amount: Decimal = ZERO

    @property
    def total_price(self) -> Decimal:
        return self.line_amount + self.adjustment_amount

    @property
    def total_tax(self) -> Decimal:
        return self.line_tax_amount + self.adjustment_tax_amount

    @property
    def tax_rate(self) -> Decimal | None:
        """Sum of the line's tax rates; none when a tax on the line is flat (no rate)."""
        if not self.taxes or any(tax.rate is None for tax in self.taxes):
            return None
        return sum((tax.rate for tax in self.taxes if tax.rate is not None), ZERO)


@dataclass
class ComputedOrder:
    data: OrderInput
    items: list[ComputedItem] = field(default_factory=list)
    total_amount: Decimal = ZERO
    total_tax_amount: Decimal = ZERO
    grand_total_amount: Decimal = ZERO
    # Delivery group index → pickup store id, for Pickup groups.
    pickup_location_ids: dict[int, int] = field(default_factory=dict)


class _Errors:
    def __init__(self) -> None:
        self.found: list[FieldError] = []

    def add(self, field_path: str, message: str) -> None:
        self.found.append(FieldError(message, field_path))

    def raise_if_any(self) -> None:
        if self.found:
            first = self.found[0]
            raise InvalidInput(f"{first.field}: {first.message}", errors=self.found)


def _check_money(errors: _Errors, path: str, amount: Decimal | None, currency: str) -> None:
    if amount is not None and not is_rounded(amount, currency):
        errors.add(path, f"{amount} has more decimals than {currency} allows ({quantum(currency)}).")


def _check_taxes(
    errors: _Errors,
    path: str,
    taxes: tuple[TaxInput, ...],
    base: Decimal,
    currency: str,
    *,
    included: bool,
    negative: bool,
) -> Decimal:
    """Each rated tax must be the rate applied to its base, give or take one minor unit."""
    total = ZERO
    one_unit = quantum(currency)
    for index, tax in enumerate(taxes):
        tax_path = f"{path}[{index}]"
        _check_money(errors, f"{tax_path}.amount", tax.amount, currency)
        if negative and tax.amount > 0:
            errors.add(f"{tax_path}.amount", "Tax on a discount must be zero or negative.")
        if not negative and tax.amount < 0:
            errors.add(f"{tax_path}.amount", "Tax on a line must be zero or positive.")
        if tax.rate is not None:
            expected = tax_at_rate(base, tax.rate, currency, included=included)
            if abs(tax.amount - expected) > one_unit:
                errors.add(
                    f"{tax_path}.amount",
                    f"{tax.amount} is not {tax.rate}% of {base} (expected {expected}).",
                )
        total += tax.amount
    return total


def _compute_item(errors: _Errors, path: str, item: ComputedItem, currency: str, included: bool) -> None:
    _check_money(errors, f"{path}.unitPrice", item.unit_price, currency)
    _check_money(errors, f"{path}.listPrice", item.list_price, currency)
    item.line_amount = round_money(item.unit_price * item.quantity, currency)
    item.line_tax_amount = _check_taxes(
        errors, f"{path}.taxes", item.taxes, item.line_amount, currency, included=included, negative=False
    )
    for index, adjustment in enumerate(item.adjustments):
        adj_path = f"{path}.adjustments[{index}]"
        _check_money(errors, f"{adj_path}.amount", adjustment.amount, currency)
        item.adjustment_amount += adjustment.amount
        item.adjustment_tax_amount += _check_taxes(
            errors,
            f"{adj_path}.taxes",
            adjustment.taxes,
            adjustment.amount,
            currency,
            included=included,
            negative=True,
        )
    if item.total_price < 0:
        errors.add(
            f"{path}.adjustments", f"Discounts {item.adjustment_amount} exceed the line amount {item.line_amount}."
        )
    elif item.total_tax < 0:
        errors.add(f"{path}.adjustments", "Tax on discounts exceeds the tax on the line.")


def _group_items(group_index: int, group: DeliveryGroupInput) -> list[tuple[str, ComputedItem]]:
    base = f"deliveryGroups[{group_index}]"
    found = [
        (
            f"{base}.items[{index}]",
            ComputedItem(
                group_index=group_index,
                type=ItemType.PRODUCT,
                sku=item.sku,
                name=item.name,
                quantity=item.quantity,
                unit_price=item.unit_price,
                list_price=item.list_price,
                product_reference=item.product_reference,
                line_amount=ZERO,
                taxes=item.taxes,
                adjustments=item.adjustments,
            ),
        )
        for index, item in enumerate(group.items)
    ]
    charge = group.delivery_charge
    if charge is not None:
        method = group.delivery_method or "Standard"
        found.append(
            (
                f"{base}.deliveryCharge",
                ComputedItem(
                    group_index=group_index,
                    type=ItemType.DELIVERY_CHARGE,
                    sku=charge.sku or f"DELIVERY-{method.upper().replace(' ', '-')}"[:80],
                    name=charge.name or f"Delivery ({method})",
                    quantity=Decimal("1"),
                    unit_price=charge.amount,
                    list_price=charge.amount,
                    product_reference="",
                    line_amount=ZERO,
                    taxes=charge.taxes,
                    adjustments=charge.adjustments,
                ),
            )
        )
    return found


def _check_pickups(errors: _Errors, data: OrderInput, computed: ComputedOrder) -> None:
    """A Pickup group names its store (an existing location); a shipped group names none."""
    wanted: dict[int, str] = {}
    for index, group in enumerate(data.delivery_groups):
        base = f"deliveryGroups[{index}]"
        reference = group.pickup_location_reference
        if group.delivery_method_type == DeliveryMethodType.PICKUP:
            if not reference:
                errors.add(f"{base}.pickupLocationExternalReference", "A Pickup delivery group names its store.")
            else:
                wanted[index] = reference
        elif reference:
            errors.add(f"{base}.deliveryMethodType", "A group with a pickup location has deliveryMethodType Pickup.")
    if not wanted:
        return
    found = dict(
        Location.objects.filter(external_reference__in=set(wanted.values())).values_list("external_reference", "pk")
    )
    for index, reference in wanted.items():
        if reference in found:
            computed.pickup_location_ids[index] = found[reference]
        else:
            errors.add(f"deliveryGroups[{index}].pickupLocationExternalReference", f"No location {reference!r}.")


def validate_order(data: OrderInput) -> ComputedOrder:
    """Check everything the shape alone cannot, and compute every amount; raise InvalidInput listing
    each offending field."""
    errors = _Errors()
    currency = data.currency
    included = data.tax_locale_type == TaxLocaleType.GROSS
    computed = ComputedOrder(data=data)

    references = [group.reference_id for group in data.delivery_groups if group.reference_id]
    if len(references) != len(set(references)):
        errors.add("deliveryGroups", "Each delivery group's referenceId must be unique.")
    item_count = sum(len(group.items) for group in data.delivery_groups)
    if item_count > settings.OMS_MAX_ORDER_ITEMS:
        errors.add("deliveryGroups", f"An order has at most {settings.OMS_MAX_ORDER_ITEMS} items; got {item_count}.")

    _check_pickups(errors, data, computed)
    for group_index, group in enumerate(data.delivery_groups):
        for path, item in _group_items(group_index, group):
            _compute_item(errors, path, item, currency, included)
            computed.items.append(item)

    computed.total_amount = sum((item.total_price for item in computed.items), ZERO)
    computed.total_tax_amount = sum((item.total_tax for item in computed.items), ZERO)
    computed.grand_total_amount = with_tax(computed.total_amount, computed.total_tax_amount, data.tax_locale_type)

    ours = {
        "totalAmount": computed.total_amount,
        "totalTaxAmount": computed.total_tax_amount,
        "grandTotalAmount": computed.grand_total_amount,
    }
    for key, theirs in data.client_totals.items():
        if theirs != ours[key]:
            errors.add(key, f"{theirs} does not match the total of the lines, {ours[key]}.")

    paid = ZERO
    for index, payment in enumerate(data.payments):
        _check_money(errors, f"payments[{index}].amount", payment.amount, currency)
        paid += payment.amount
    if paid < computed.grand_total_amount:
        errors.add("payments", f"Payments of {paid} do not cover the grand total {computed.grand_total_amount}.")

    errors.raise_if_any()
    return computed
