"""The Exchange wizard (issue 15): choose → preview → submit (console.views.wizard_flow) on the exchange
service; stored and worded like the Cancel/Return/Adjust wizards (console.views.wizards.RequestWizard).
"""

from dataclasses import dataclass

from django.contrib import messages
from django.urls import reverse

from console.access import CHANGE_ORDERS, console_view
from console.consequence import _join, limit_sentence, refund_destinations
from console.forms.exchange import ExchangeForm, ExchangeRequest, field_for
from console.templatetags.console_tags import money_text, qty
from console.views.wizard_flow import to_order
from console.views.wizards import RequestWizard
from orders.models import ReturnOrder
from orders.services.exchanges import ExchangeResult, preview_exchange, submit_exchange
from payments.services.agent_changes import check_limit
from payments.services.exchange_funds import card_to_charge

KIND = "exchange"


@dataclass(frozen=True)
class ExchangeConsequence:
    sentences: tuple[str, ...]


def describe_exchange(state, result: ExchangeResult, request: ExchangeRequest, user=None) -> ExchangeConsequence:
    """The exchange's money in the words an agent reads to the customer; every figure is the service's.
    `user` (who submits): a cheaper replacement's refund goes through their agent refund limit."""
    currency = state.summary.currency
    amounts = result.amounts
    item = next((each for each in state.items if each.pk == request.item_id), None)
    name = item.name if item else "the item"
    if request.wait_for_return:
        sentences = [
            f"A return order expects {qty(request.quantity)} × {name}, worth "
            f"{money_text(amounts.returned_value, currency)} if it comes back in good condition.",
            f"A new order is created for {qty(request.new_quantity)} × {request.name}, "
            f"{money_text(amounts.replacement_total, currency)}, and waits on hold: it ships only after the return "
            "arrives. No money moves until then.",
        ]
    else:
        sentences = [
            f"{qty(request.quantity)} × {name} comes back, worth {money_text(amounts.returned_value, currency)}.",
            f"A new order is created for {qty(request.new_quantity)} × {request.name}, "
            f"{money_text(amounts.replacement_total, currency)}, and routed like any order.",
        ]
    if amounts.to_charge > 0:
        card = card_to_charge(state.summary)
        where = f"{card[0]} •••• {card[2]}" if card and card[2] else (card[0] if card else "the original card")
        sentences.append(
            f"The customer pays {money_text(amounts.to_charge, currency)} more, charged to {where} "
            "when the new item ships."
        )
    elif amounts.to_refund > 0:
        destinations = refund_destinations(state.payment_summaries, amounts.to_refund)
        to = f" to {_join(list(destinations))}" if destinations else ""
        sentences.append(f"{money_text(amounts.to_refund, currency)} will be refunded{to}.")
        check = check_limit(state.summary, user, amounts.to_refund) if user is not None else None
        if check is not None and check.needs_approval:
            sentences.append(limit_sentence(check, amounts.to_refund, currency))
    else:
        sentences.append("The customer pays nothing more and gets nothing back.")
    if amounts.transferred > 0:
        sentences.append(
            f"{money_text(amounts.transferred, currency)} already paid for the returned units pays "
            "the new order; it is not refunded."
        )
    if request.wait_for_return:
        sentences.append(
            "When the units are received, the exchange is settled on what came back in good condition: "
            "rejected or missing units are not credited (the customer pays for them); if nothing comes "
            "back, the new order is canceled and nothing is charged."
        )
    return ExchangeConsequence(sentences=tuple(sentences))


class ExchangeWizard(RequestWizard):
    kind = KIND
    request_type = ExchangeRequest
    template = "console/exchange.html"
    title = "Exchange items"
    submit_label = "Submit exchange"
    what = "exchange"

    def url(self, summary_id: int) -> str:
        return reverse("console:exchange", args=[summary_id])

    def context(self) -> dict:
        return {"kind": KIND}

    def form(self, state, **kwargs) -> ExchangeForm:
        return ExchangeForm(state.items, state.summary.currency, **kwargs)

    def asked(self, form: ExchangeForm) -> ExchangeRequest:
        return form.exchange_request()

    def error_field(self, error, data, form):
        return field_for(error.field)

    def preview(self, state, data: ExchangeRequest) -> ExchangeResult:
        return preview_exchange(state.summary.pk, data.exchange_input(state.summary.currency))

    def preview_context(self, request, state, data: ExchangeRequest, result: ExchangeResult) -> dict:
        item = next((each for each in state.items if each.pk == data.item_id), None)
        return {
            "result": result,
            "amounts": result.amounts,
            "balances": result.balances,
            "consequence": describe_exchange(state, result, data, request.user),
            "exchange_request": data,
            "item": item,
            "replacement_tax": data.tax(state.summary.currency),
            "grand_total_after": state.summary.grand_total_amount - result.balances.grand_total_amount,
        }

    def submit(self, request, state, data: ExchangeRequest, version: int) -> ExchangeResult:
        return submit_exchange(
            state.summary.pk, data.exchange_input(state.summary.currency), actor=request.user, expected_version=version
        )

    def change_order_ids(self, outcome: ExchangeResult) -> list[int]:
        return [outcome.change_order_id] if outcome.change_order_id else []

    def done(self, request, state, data: ExchangeRequest, outcome: ExchangeResult, *, started: int):
        if outcome.return_order_id:
            messages.success(
                request,
                f"Exchange started: the replacement order for {data.name} was created "
                f"and waits for the return {ReturnOrder(pk=outcome.return_order_id).number} "
                "(see Exchanges below).",
            )
        else:
            messages.success(
                request,
                f"Exchanged: the replacement order for {data.name} was created "
                f"(see Exchanges below) and the units of {state.summary.order_number} are "
                "returned.",
            )
        for sentence in describe_exchange(state, outcome, data).sentences[2:3]:
            messages.info(request, sentence)
        return to_order(request, state.summary.pk)


FLOW = ExchangeWizard()


@console_view(CHANGE_ORDERS)
def exchange_wizard(request, pk: int):
    return FLOW.view(request, pk)
