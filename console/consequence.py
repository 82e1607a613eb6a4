"""The money consequence of a previewed change, in the words an agent reads to the customer.

Every figure comes from the change service's balances and the funds position; the payment method
that takes the refund is the one the refund selection of DOMAIN.md §3.8 (payments.selection) picks.
Nothing here decides what happens to money: it only says it.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from console.templatetags.console_tags import money_text
from orders.calculations.plan import ChangeBalances
from orders.funds import FundsPosition
from orders.models import OrderSummary
from orders.money import ZERO, with_tax
from payments.models import OrderPaymentSummary
from payments.selection import InsufficientFunds, Source, plan_refunds


@dataclass(frozen=True)
class MoneyConsequence:
    new_grand_total: Decimal
    credit_memo_amount: Decimal
    excess_refund: Decimal
    fee_with_tax: Decimal
    refund_total: Decimal
    refund_to: tuple[str, ...]
    sentences: tuple[str, ...]
    above_agent_limit: bool


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def refund_destinations(payment_summaries: list[OrderPaymentSummary], amount: Decimal) -> tuple[str, ...]:
    if amount <= 0:
        return ()
    sources = [Source(ops.pk, ops.available_to_refund_amount) for ops in payment_summaries]
    names = {ops.pk: ops.display_name for ops in payment_summaries}
    try:
        plan = plan_refunds(amount, sources)
    except InsufficientFunds:
        return ()
    return tuple(names[key] for key, taken in plan.refunds if taken > 0)


def describe(summary: OrderSummary, balances: ChangeBalances, before: FundsPosition,
             payment_summaries: list[OrderPaymentSummary], *, can_approve: bool) -> MoneyConsequence:
    currency = summary.currency

    def text(amount: Decimal) -> str:
        return money_text(amount, currency)

    fee_with_tax = with_tax(balances.total_fee_amount, balances.total_fee_tax_amount, summary.tax_locale_type)
    new_grand_total = summary.grand_total_amount - balances.grand_total_amount + fee_with_tax
    # Refundable = excess + what is owed back; what this change adds to the latter is its credit memo.
    credit_after = balances.total_refundable_amount - balances.total_excess_funds_amount
    credit_memo = max(ZERO, credit_after - before.outstanding_credit)
    excess = balances.total_excess_funds_amount
    refund_total = credit_memo + excess
    destinations = refund_destinations(payment_summaries, refund_total)
    to = f" to {_join(list(destinations))}" if destinations else ""

    sentences = []
    if credit_memo > 0 and excess > 0:
        sentences.append(f"A credit memo of {text(credit_memo)} will be created and refunded, and {text(excess)} "
                         f"will be refunded as excess funds{to}.")
    elif credit_memo > 0:
        sentences.append(f"A credit memo of {text(credit_memo)} will be created and refunded{to}.")
    elif excess > 0:
        sentences.append(f"{text(excess)} will be refunded{to} as excess funds.")
    else:
        sentences.append(f"No money goes back now: nothing was captured beyond the new total of "
                         f"{text(new_grand_total)}.")
    if refund_total > 0 and not destinations:
        sentences.append("The payment methods on the order cannot take all of it back; the refund will raise "
                         "a process exception to work by hand.")
    if fee_with_tax > 0:
        sentences.append(f"A fee of {text(fee_with_tax)} will be invoiced and paid out of the refund.")
    limit = settings.OMS_AGENT_REFUND_LIMIT
    above = refund_total > limit and not can_approve
    if above:
        sentences.append(f"{text(refund_total)} is above your refund limit of {text(limit)}: the refund will wait "
                         "for a supervisor's approval on the order page.")
    return MoneyConsequence(
        new_grand_total=new_grand_total, credit_memo_amount=credit_memo, excess_refund=excess,
        fee_with_tax=fee_with_tax, refund_total=refund_total, refund_to=destinations, sentences=tuple(sentences),
        above_agent_limit=above,
    )
