"""The money consequence of a previewed change, in the words an agent reads to the customer.

Every figure comes from the change service's balances and the funds position; the payment method
that takes the refund is the one the refund selection of DOMAIN.md §3.8 (payments.allocation) picks.
Nothing here decides what happens to money: the amounts and whether the refund waits for a supervisor
are payments' (payments.services.agent_changes), the same calculation the submit makes; this only says it.
"""

from dataclasses import dataclass
from decimal import Decimal

from console.templatetags.console_tags import money_text
from orders.calculations.plan import ChangeBalances
from orders.funds import FundsPosition
from orders.models import OrderSummary
from payments.allocation import InsufficientFunds, Source, plan_refunds
from payments.models import OrderPaymentSummary
from payments.services.agent_changes import LimitCheck, change_refund, check_limit


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


def limit_sentence(check: LimitCheck, amount: Decimal, currency: str) -> str:
    """Why a refund waits for a supervisor, in the agent's words (empty when it does not)."""
    if not check.needs_approval:
        return ""
    if check.limit is None:
        return f"Refunds in {currency} have no agent limit: the refund will wait for a supervisor's approval."
    if check.started > 0:
        return (
            f"With the {money_text(check.started, currency)} you already refunded on this order in the last "
            f"24 hours, {money_text(amount, currency)} more is above your refund limit of "
            f"{money_text(check.limit, currency)}: the refund will wait for a supervisor's approval."
        )
    return (
        f"{money_text(amount, currency)} is above your refund limit of {money_text(check.limit, currency)}: "
        "the refund will wait for a supervisor's approval."
    )


def describe(
    summary: OrderSummary,
    balances: ChangeBalances,
    before: FundsPosition,
    payment_summaries: list[OrderPaymentSummary],
    *,
    user,
) -> MoneyConsequence:
    """`user` is who will submit: their limit (per currency, counted over the day) decides whether the
    refund waits. The figures are payments' `change_refund`, the calculation the submit makes again."""
    currency = summary.currency

    def text(amount: Decimal) -> str:
        return money_text(amount, currency)

    refund = change_refund(summary, balances, before)
    fee_with_tax = refund.fee_with_tax
    new_grand_total = refund.new_grand_total
    credit_memo = refund.credit_amount
    excess = refund.excess_amount
    refund_total = refund.amount
    destinations = refund_destinations(payment_summaries, refund_total)
    to = f" to {_join(list(destinations))}" if destinations else ""

    sentences = []
    if credit_memo > 0 and excess > 0:
        sentences.append(
            f"A credit memo of {text(credit_memo)} will be created and refunded, and {text(excess)} "
            f"will be refunded as excess funds{to}."
        )
    elif credit_memo > 0:
        sentences.append(f"A credit memo of {text(credit_memo)} will be created and refunded{to}.")
    elif excess > 0:
        sentences.append(f"{text(excess)} will be refunded{to} as excess funds.")
    else:
        sentences.append(
            f"No money goes back now: nothing was captured beyond the new total of {text(new_grand_total)}."
        )
    if refund_total > 0 and not destinations:
        sentences.append(
            "The payment methods on the order cannot take all of it back; the refund will raise "
            "a process exception to work by hand."
        )
    if fee_with_tax > 0:
        sentences.append(f"A fee of {text(fee_with_tax)} will be invoiced and paid out of the refund.")
    check = check_limit(summary, user, refund_total)
    if check.needs_approval:
        sentences.append(limit_sentence(check, refund_total, currency))
    return MoneyConsequence(
        new_grand_total=new_grand_total,
        credit_memo_amount=credit_memo,
        excess_refund=excess,
        fee_with_tax=fee_with_tax,
        refund_total=refund_total,
        refund_to=destinations,
        sentences=tuple(sentences),
        above_agent_limit=check.needs_approval,
    )
