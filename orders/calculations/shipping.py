"""DOMAIN.md §3.2: reduce a delivery group's delivery charges along with its products."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from orders.money import ZERO

from .proration import prorated
from .state import DELIVERY_CHARGE, PRODUCT, Amounts, ItemState, SummaryState


@dataclass(frozen=True)
class ShippingReduction:
    item: ItemState
    removed: Amounts  # positive: what comes off the delivery charge
    whole: bool  # the whole remaining charge goes, with its quantity


def shipping_reductions(
    state: SummaryState,
    removed_units: Mapping[int, Decimal],
    removed_amounts: Mapping[int, Amounts],
    flagged_item_ids: set[int],
) -> list[ShippingReduction]:
    """Delivery charge reductions for the groups where a changed product asked for one.

    r = (TotalPrice this request removes from the group's flagged products) / (the group's products'
    TotalPrice before the request); every amount X of each delivery charge loses round(X × r), all of
    it once none of the group's products has a unit left.
    """
    groups = []
    for item_id in flagged_item_ids:
        group_id = state.known_item(item_id).group_id
        if group_id not in groups:
            groups.append(group_id)

    reductions = []
    for group_id in sorted(groups):
        products = state.group_items(group_id, PRODUCT)
        price_before = sum((item.amounts.price for item in products), ZERO)
        removed_price = sum((removed_amounts[item.id].price for item in products if item.id in flagged_item_ids), ZERO)
        units_left = sum((item.quantity - removed_units.get(item.id, ZERO) for item in products), ZERO)
        for charge in state.group_items(group_id, DELIVERY_CHARGE):
            if charge.amounts.is_zero and (units_left > 0 or charge.quantity == 0):
                continue
            if units_left == 0:
                reductions.append(ShippingReduction(charge, charge.amounts, whole=True))
                continue
            removed = prorated(charge.amounts, removed_price, price_before, state.currency)
            if not removed.is_zero:
                reductions.append(ShippingReduction(charge, removed, whole=False))
    return reductions
