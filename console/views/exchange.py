"""The Exchange wizard (issue 15): choose → preview → submit on the exchange service.

Like the Cancel/Return/Adjust wizards (console.views.wizards): the preview's request and the summary version
it was computed on are kept in the session under a one-time token; the submit sends exactly that with that
version, so a change made in between is refused by the service (a fresh preview is shown instead), and a
second submit of the same token is refused before it reaches the service.
"""

import secrets
from dataclasses import dataclass

from django.contrib import messages
from django.urls import reverse

from console.access import CHANGE_ORDERS, console_view
from console.agent_text import agent_message
from console.consequence import _join, limit_sentence, refund_destinations
from console.forms.exchange import ExchangeForm, ExchangeRequest, field_for
from console.selectors import wizard_state
from console.services import claim_wizard_token, record_wizard_outcome, release_wizard_token
from console.templatetags.console_tags import money_text, qty
from console.views.wizard_flow import render_wizard
from console.views.wizards import KEEP_PREVIEWS, SESSION_KEY, _stored, _to_order
from orders.errors import Conflict, ServiceError
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
        sentences.append(f"The customer pays {money_text(amounts.to_charge, currency)} more, charged to {where} "
                         "when the new item ships.")
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
        sentences.append(f"{money_text(amounts.transferred, currency)} already paid for the returned units pays "
                         "the new order; it is not refunded.")
    if request.wait_for_return:
        sentences.append("When the units are received, the exchange is settled on what came back in good condition: "
                         "rejected or missing units are not credited (the customer pays for them); if nothing comes "
                         "back, the new order is canceled and nothing is charged.")
    return ExchangeConsequence(sentences=tuple(sentences))


@console_view(CHANGE_ORDERS)
def exchange_wizard(request, pk: int):
    state = wizard_state(pk)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "submit":
        return _submit_step(request, state)
    if action == "edit":
        stored = _stored(request, request.POST.get("token"), pk, KIND)
        initial = ExchangeRequest.from_dict(stored["request"]).initial() if stored else None
        return _render(request, state, "choose", form=ExchangeForm(state.items, state.summary.currency,
                                                                   initial=initial))
    if request.method != "POST":
        return _render(request, state, "choose", form=ExchangeForm(state.items, state.summary.currency))
    form = ExchangeForm(state.items, state.summary.currency, data=request.POST)
    if not form.is_valid():
        return _render(request, state, "choose", form=form)
    return _preview_step(request, state, form, form.exchange_request())


def _preview_step(request, state, form, exchange_request: ExchangeRequest, *, notice: str = ""):
    currency = state.summary.currency
    try:
        result = preview_exchange(state.summary.pk, exchange_request.exchange_input(currency))
    except ServiceError as failure:
        for error in failure.errors:
            form.add_error(field_for(error.field), agent_message(error.message, currency))
        if notice:
            notice = ("The order changed after your preview, so nothing was applied. Your choices no longer fit "
                      "it: correct them below and preview again.")
        return _render(request, state, "choose", form=form, notice=notice)
    token = secrets.token_urlsafe(24)
    previews = request.session.get(SESSION_KEY, {})
    previews[token] = {"summary_id": state.summary.pk, "kind": KIND, "version": result.version,
                       "request": exchange_request.as_dict()}
    request.session[SESSION_KEY] = dict(list(previews.items())[-KEEP_PREVIEWS:])
    item = next((each for each in state.items if each.pk == exchange_request.item_id), None)
    return _render(request, state, "preview", result=result, amounts=result.amounts, balances=result.balances,
                   consequence=describe_exchange(state, result, exchange_request, request.user), token=token,
                   exchange_request=exchange_request, item=item,
                   replacement_tax=exchange_request.tax(currency), notice=notice,
                   grand_total_after=state.summary.grand_total_amount - result.balances.grand_total_amount)


def _submit_step(request, state):
    token = request.POST.get("token", "")
    summary = state.summary
    stored = _stored(request, token, summary.pk, KIND, consume=True)
    if stored is None:
        messages.info(request, "That preview was already submitted or has expired: nothing more was changed. "
                               "Check the order below.")
        return _to_order(request, summary.pk)
    if not claim_wizard_token(token, user=request.user, summary_id=summary.pk, kind=KIND):
        messages.info(request, "This exchange was already submitted once; it was not applied again.")
        return _to_order(request, summary.pk)
    exchange_request = ExchangeRequest.from_dict(stored["request"])
    try:
        result = submit_exchange(summary.pk, exchange_request.exchange_input(summary.currency), actor=request.user,
                                 expected_version=stored["version"])
    except Conflict:
        release_wizard_token(token)
        fresh = wizard_state(summary.pk)
        form = ExchangeForm(fresh.items, fresh.summary.currency, data=exchange_request.initial())
        form.is_valid()
        return _preview_step(request, fresh, form, exchange_request, notice=(
            "The order changed after your preview, so nothing was applied. Here is a fresh preview on the "
            "current order: check the figures and submit again."
        ))
    except ServiceError as failure:
        release_wizard_token(token)
        fresh = wizard_state(summary.pk)
        form = ExchangeForm(fresh.items, fresh.summary.currency, data=exchange_request.initial())
        form.is_valid()
        for error in failure.errors:
            form.add_error(field_for(error.field), agent_message(error.message, fresh.summary.currency))
        return _render(request, fresh, "choose", form=form)
    record_wizard_outcome(token, [result.change_order_id] if result.change_order_id else [])
    number = f"{summary.order_number}"
    if result.return_order_id:
        messages.success(request, f"Exchange started: the replacement order for {exchange_request.name} was created "
                                  f"and waits for the return {ReturnOrder(pk=result.return_order_id).number} "
                                  "(see Exchanges below).")
    else:
        messages.success(request, f"Exchanged: the replacement order for {exchange_request.name} was created "
                                  f"(see Exchanges below) and the units of {number} are returned.")
    for sentence in describe_exchange(state, result, exchange_request).sentences[2:3]:
        messages.info(request, sentence)
    return _to_order(request, summary.pk)


def _render(request, state, step, **context):
    context.update(summary=state.summary, kind=KIND, step=step, title="Exchange items", nav="orders",
                   currency=state.summary.currency, submit_label="Submit exchange")
    return render_wizard(request, "console/exchange.html", reverse("console:exchange", args=[state.summary.pk]),
                         context)
