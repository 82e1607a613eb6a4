"""DOMAIN.md §3.1: the share of an item's current amounts that q of its Q units carry."""

from decimal import Decimal

from orders.money import ZERO, prorate

from .state import Amounts, ItemState


def prorated(amounts: Amounts, part: Decimal, whole: Decimal, currency: str) -> Amounts:
    """round(X × part / whole) of each amount, or every X whole when part == whole."""
    return Amounts(
        prorate(amounts.line, part, whole, currency),
        prorate(amounts.line_tax, part, whole, currency),
        prorate(amounts.adjustment, part, whole, currency),
        prorate(amounts.adjustment_tax, part, whole, currency),
    )


def unit_reduction(item: ItemState, quantity: Decimal, currency: str) -> Amounts:
    """What taking `quantity` of the item's units away removes from each amount (positive shares).

    The first reduction since the item's price last changed removes round(X × q / Q), exactly §3.1.
    Later ones are counted from that same basis: after n of the basis's Q0 units are gone, q more
    remove round(X0 × (n + q) / Q0) − round(X0 × n / Q0). Rounding the cumulative share instead of
    re-rounding what remains is what makes one unit at a time remove, to the cent, what all units at
    once remove (re-rounding the remainder drifts: 0.01 over 4 units, two at once removes 0.01, one
    and one remove 0.00 + 0.00). The last unit always takes the whole remainder.
    """
    if quantity == item.quantity:
        return item.amounts
    basis = item.basis_amounts if item.basis_amounts is not None else item.amounts
    basis_units = item.basis_quantity if item.basis_quantity is not None else item.quantity
    gone = basis_units - item.quantity
    shares = []
    for start, now in zip(_fields(basis), _fields(item.amounts), strict=True):
        share = prorate(start, gone + quantity, basis_units, currency) - (start - now)
        shares.append(_within(share, now))
    return Amounts(*shares)


def _fields(amounts: Amounts) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return amounts.line, amounts.line_tax, amounts.adjustment, amounts.adjustment_tax


def _within(share: Decimal, remaining: Decimal) -> Decimal:
    """Never more than what is left and never the other way: a guard should an earlier change have
    removed a different share than this basis implies."""
    if remaining >= 0:
        return min(max(share, ZERO), remaining)
    return max(min(share, ZERO), remaining)


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
