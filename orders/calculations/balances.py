"""DOMAIN.md §3.3: change balances as positive reductions of the order summary's fields."""

from collections.abc import Iterable
from decimal import Decimal

from orders.money import ZERO, with_tax

from .plan import ChangeBalances, ChangeOrderPlan, FeeCharge
from .state import DELIVERY_CHARGE, PRODUCT, Amounts, SummaryState


def change_balances(
    state: SummaryState, change_orders: Iterable[ChangeOrderPlan], fees: Iterable[FeeCharge]
) -> ChangeBalances:
    """What the change orders take off products and delivery, and what the fees add.

    Amounts are sums of already rounded deltas, so they need no further rounding.
    """
    locale = state.tax_locale_type
    product = Amounts()
    delivery = Amounts()
    for change_order in change_orders:
        for change in change_order.changes:
            item_type = state.known_item(change.item_id).type
            if item_type == PRODUCT:
                product = product - change.amounts
            elif item_type == DELIVERY_CHARGE:
                delivery = delivery - change.amounts
    fee_price = sum((fee.amounts.price for fee in fees), ZERO)
    fee_tax = sum((fee.amounts.tax for fee in fees), ZERO)
    total = product.price + delivery.price
    total_tax = product.tax + delivery.tax
    return ChangeBalances(
        total_adjusted_product_amount=product.price,
        total_adjusted_product_tax_amount=product.tax,
        total_adj_product_amt_with_tax=with_tax(product.price, product.tax, locale),
        total_adjusted_delivery_amount=delivery.price,
        total_adjusted_delivery_tax_amount=delivery.tax,
        total_adj_delivery_amt_with_tax=with_tax(delivery.price, delivery.tax, locale),
        total_amount=total,
        total_tax_amount=total_tax,
        grand_total_amount=with_tax(total, total_tax, locale),
        total_fee_amount=fee_price,
        total_fee_tax_amount=fee_tax,
    )


def funds_inputs(
    state: SummaryState, change_orders: Iterable[ChangeOrderPlan], fees: Iterable[FeeCharge], balances: ChangeBalances
) -> tuple[Decimal, Decimal]:
    """(grand total reduction before fees, credit owed back by post-fulfillment reductions).

    Fees are taken once: the change's balances (excess funds included) report the reduction before
    fees, and paying the fee invoice out of the refund is the only deduction (issue #12 point 5)."""
    locale = state.tax_locale_type
    credit = ZERO
    for change_order in change_orders:
        if change_order.is_post_fulfillment_reduction:
            totals = change_order.totals
            credit -= with_tax(totals.price, totals.tax, locale)
    return balances.grand_total_amount, credit
