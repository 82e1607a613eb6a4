"""DOMAIN.md §3.2a: restocking and return fees that come with a canceled or returned item."""

from decimal import Decimal

from orders.money import with_tax

from .inputs import FeeAmountType, FeeInput
from .plan import FeeCharge
from .state import Amounts, ItemState
from .tax import from_amount_with_tax, from_amount_without_tax, item_rate, of_percentage


def fee_charge(
    fee: FeeInput,
    item: ItemState,
    removed: Amounts,
    *,
    reason: str,
    tax_locale_type: str,
    currency: str,
) -> FeeCharge | None:
    """The fee for `item`, whose change removes `removed` (positive); None when it comes to nothing.

    Amount types: AmountWithoutTax (tax added at the item's rate), AmountWithTax (tax contained),
    Percentage (of the removed price and, separately, of its tax), PercentageGross (of the removed
    price with tax, then split like an amount with tax).
    """
    rate = item_rate(item, tax_locale_type)
    amount = Decimal(fee.amount)
    if fee.amount_type == FeeAmountType.AMOUNT_WITHOUT_TAX:
        stored, tax = from_amount_without_tax(amount, rate, tax_locale_type, currency)
    elif fee.amount_type == FeeAmountType.AMOUNT_WITH_TAX:
        stored, tax = from_amount_with_tax(amount, rate, tax_locale_type, currency)
    elif fee.amount_type == FeeAmountType.PERCENTAGE:
        stored, tax = of_percentage(amount, removed.price, removed.tax, currency)
    else:
        gross = of_percentage(amount, with_tax(removed.price, removed.tax, tax_locale_type), Decimal(0), currency)[0]
        stored, tax = from_amount_with_tax(gross, rate, tax_locale_type, currency)
    if not stored and not tax:
        return None
    return FeeCharge(
        source_item_id=item.id,
        group_id=item.group_id,
        description=fee.description,
        reason=reason,
        amounts=Amounts(line=stored, line_tax=tax),
        tax_rate=item.tax_rate,
    )
