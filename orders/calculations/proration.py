"""DOMAIN.md §3.1: the share of an item's current amounts that q of its Q units carry."""

from decimal import Decimal

from orders.money import prorate

from .state import Amounts


def prorated(amounts: Amounts, part: Decimal, whole: Decimal, currency: str) -> Amounts:
    """round(X × part / whole) of each amount, or every X whole when part == whole.

    Working on what remains is what makes one-at-a-time equal all-at-once and leaves no cent
    behind: the last share is always the whole remainder.
    """
    return Amounts(
        prorate(amounts.line, part, whole, currency),
        prorate(amounts.line_tax, part, whole, currency),
        prorate(amounts.adjustment, part, whole, currency),
        prorate(amounts.adjustment_tax, part, whole, currency),
    )


def split_by_units(total: Decimal, units: list[Decimal], currency: str) -> list[Decimal]:
    """Spread `total` over groups of units in proportion; the last non-empty group takes the remainder."""
    whole = sum(units, Decimal(0))
    shares = [Decimal(0)] * len(units)
    if whole == 0:
        return shares
    last = max(index for index, n in enumerate(units) if n)
    given = Decimal(0)
    for index, n in enumerate(units):
        if not n or index == last:
            continue
        shares[index] = prorate(total, n, whole, currency)
        given += shares[index]
    shares[last] = total - given
    return shares
