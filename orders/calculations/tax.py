"""An item's tax rate, and amounts given with or without tax turned into stored amount and tax."""

from decimal import Decimal

from orders.money import HUNDRED, ZERO, round_money

from .state import ItemState

GROSS = "Gross"


def item_rate(item: ItemState, tax_locale_type: str) -> Decimal:
    """Percent: the sum of the line's rates, or for a flat tax the tax over the pre-tax price."""
    if item.tax_rate is not None:
        return item.tax_rate
    price, tax = item.amounts.price, item.amounts.tax
    pre_tax = price - tax if tax_locale_type == GROSS else price
    if pre_tax == 0:
        return ZERO
    return tax * HUNDRED / pre_tax


def from_amount_without_tax(
    amount: Decimal, rate: Decimal, tax_locale_type: str, currency: str
) -> tuple[Decimal, Decimal]:
    """(stored amount, tax) for a pre-tax amount: tax is added at the rate.

    The stored amount includes the tax under Gross, where prices are tax-included.
    """
    tax = round_money(amount * rate / HUNDRED, currency)
    stored = amount + tax if tax_locale_type == GROSS else amount
    return stored, tax


def from_amount_with_tax(
    amount: Decimal, rate: Decimal, tax_locale_type: str, currency: str
) -> tuple[Decimal, Decimal]:
    """(stored amount, tax) for a tax-included amount: pre-tax = amount / (1 + rate)."""
    pre_tax = round_money(amount * HUNDRED / (HUNDRED + rate), currency)
    tax = amount - pre_tax
    stored = amount if tax_locale_type == GROSS else pre_tax
    return stored, tax


def of_percentage(percent: Decimal, price: Decimal, tax: Decimal, currency: str) -> tuple[Decimal, Decimal]:
    """(stored amount, tax) as `percent` of a price and its tax, each rounded."""
    return round_money(price * percent / HUNDRED, currency), round_money(tax * percent / HUNDRED, currency)
