"""DOMAIN.md §3.1: the share of an item's current amounts that q of its Q units carry."""

from decimal import Decimal

from orders.money import ZERO, prorate, quantum

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
    line, adjustment = _cumulative_pair(basis.line, basis.adjustment, gone + quantity, basis_units, currency)
    line_tax, adjustment_tax = _cumulative_pair(
        basis.line_tax, basis.adjustment_tax, gone + quantity, basis_units, currency
    )
    shares = []
    for start, now, removed in zip(
        _fields(basis), _fields(item.amounts), (line, line_tax, adjustment, adjustment_tax), strict=True
    ):
        shares.append(_within(removed - (start - now), now))
    return Amounts(*shares)


def _cumulative_pair(
    first: Decimal, second: Decimal, units: Decimal, whole: Decimal, currency: str
) -> tuple[Decimal, Decimal]:
    """round(X0 × units / Q0) of an amount and of its adjustment, the adjustment's taken so that their
    sum never runs backwards.

    A line and its discount are rounded on their own (§3.1), so their sum can dip by a cent between
    two unit counts: tax 0.10 and discount tax −0.09 over 4 units remove 0.03 − 0.02 = 0.01 for one
    unit and 0.05 − 0.05 = 0.00 for two, and canceling the second unit would add a cent of tax. Where
    that happens the discount's share waits: the pair's sum is the highest it has reached so far (never
    more than the whole), which keeps every share of the same sign as its amount and is still a function
    of the units gone alone, so one unit at a time still removes what all units at once remove. Where
    the sum does not dip, these are exactly §3.1's shares.
    """
    first_share = prorate(first, units, whole, currency)
    second_share = prorate(second, units, whole, currency)
    total = first + second
    if first * second >= 0 or units >= whole:
        return first_share, second_share
    step = Decimal(1) if whole == whole.to_integral_value() else Decimal("0.01")
    direction = 1 if total >= 0 else -1
    reached = first_share + second_share
    # An earlier sum more than two minor units short of this one's line cannot be the highest (each
    # rounding is off by at most half a unit), so the look back is bounded.
    lookback = whole if total == 0 else min(units, 2 * quantum(currency) * whole / abs(total) + step)
    earlier = units - step
    while earlier >= 0 and units - earlier <= lookback:
        sum_then = prorate(first, earlier, whole, currency) + prorate(second, earlier, whole, currency)
        reached = max(reached * direction, sum_then * direction) * direction
        earlier -= step
    reached = min(reached * direction, total * direction) * direction
    return first_share, reached - first_share


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
