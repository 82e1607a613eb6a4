"""Cancel, Return and Adjust: choose → preview → submit, on the change services.

The preview's request and the summary version it was computed on are kept in the session under a
one-time token; the submit sends exactly that request with that version, so a change made in
between is refused by the service (and a fresh preview shown), and a second submit of the same
token is refused before it reaches the service.
"""

import secrets

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from console import preview_store
from console.access import CHANGE_ORDERS, console_view
from console.agent_text import agent_message
from console.consequence import describe
from console.forms.wizards import (
    ADJUST,
    CANCEL,
    CANCEL_ORDER,
    KINDS,
    RETURN,
    TITLES,
    WizardForm,
    WizardRequest,
    available_of,
    eligible_items,
    field_for,
)
from console.htmx import wants_partial
from console.selectors import wizard_state
from console.services import claim_wizard_token, record_wizard_outcome, release_wizard_token
from console.templatetags.console_tags import money_text
from console.views.orders import order_url_awaiting
from console.views.wizard_flow import render_wizard
from orders.errors import Conflict, ServiceError
from orders.funds import funds_position
from orders.services.adjust import preview_adjust
from orders.services.cancel import preview_cancel
from orders.services.cancel_order import preview_cancel_order
from orders.services.simple_return import preview_return
from payments.models import AgentRefundKind, AgentRefundStatus
from payments.services.agent_changes import AgentChangeOutcome, submit_agent_change

SESSION_KEY = "console_wizards"
# Previews kept per session: enough for a few tabs, small enough to keep the session light.
KEEP_PREVIEWS = 8

SUBMIT_LABELS = {CANCEL: "Submit cancel", RETURN: "Submit return", ADJUST: "Submit adjust",
                 CANCEL_ORDER: "Submit order cancel"}
DONE = {CANCEL: "Canceled", RETURN: "Returned", ADJUST: "Adjusted", CANCEL_ORDER: "Order canceled"}


def _preview(kind: str, summary_id: int, wizard_request: WizardRequest):
    if kind == ADJUST:
        return preview_adjust(summary_id, wizard_request.adjust_input())
    if kind == CANCEL_ORDER:
        return preview_cancel_order(summary_id, wizard_request.cancel_order_input())
    if kind == CANCEL:
        return preview_cancel(summary_id, wizard_request.change_items(),
                              cancel_allocated=wizard_request.cancel_allocated)
    return preview_return(summary_id, wizard_request.change_items())


def _submit(kind: str, summary_id: int, wizard_request: WizardRequest, *, user, version: int) -> AgentChangeOutcome:
    """The change and the refund that follows it, in one payments service (the figures from the submit)."""
    if kind == ADJUST:
        request = wizard_request.adjust_input()
    elif kind == CANCEL_ORDER:
        request = wizard_request.cancel_order_input()
    else:
        request = wizard_request.change_items()
    return submit_agent_change(summary_id, AGENT_KIND[kind], request, user=user, expected_version=version,
                               cancel_allocated=wizard_request.cancel_allocated)


# The payments service's names of the changes (AgentRefund.kind).
AGENT_KIND = {CANCEL: AgentRefundKind.CANCEL, RETURN: AgentRefundKind.RETURN, ADJUST: AgentRefundKind.ADJUST,
              CANCEL_ORDER: AgentRefundKind.CANCEL_ORDER}


def _state(pk: int, kind: str):
    return wizard_state(pk, with_allocated=kind in (CANCEL, CANCEL_ORDER))


def _form(kind, state, **kwargs) -> WizardForm:
    return WizardForm(kind, eligible_items(kind, state.items, state.allocated), allocated=state.allocated, **kwargs)


@console_view(CHANGE_ORDERS)
def wizard(request, pk: int, kind: str):
    if kind not in KINDS:
        raise Http404("No such wizard.")
    state = _state(pk, kind)
    action = request.POST.get("action") if request.method == "POST" else None

    if action == "submit":
        return _submit_step(request, state, kind)
    if action == "edit":
        stored = _stored(request, request.POST.get("token"), pk, kind)
        initial = WizardRequest.from_dict(stored["request"]).initial() if stored else None
        return _render(request, state, kind, "choose", form=_form(kind, state, initial=initial))
    if request.method != "POST":
        return _render(request, state, kind, "choose", form=_form(kind, state))

    form = _form(kind, state, data=request.POST)
    if not form.is_valid():
        return _render(request, state, kind, "choose", form=form)
    return _preview_step(request, state, kind, form, form.wizard_request())


def _preview_step(request, state, kind, form, wizard_request, *, notice: str = ""):
    try:
        result = _preview(kind, state.summary.pk, wizard_request)
    except ServiceError as failure:
        for error in failure.errors:
            form.add_error(field_for(error.field, wizard_request, form),
                           agent_message(error.message, state.summary.currency))
        if notice:
            notice = ("The order changed after your preview, so nothing was applied. Your choices no longer fit "
                      "it: correct them below and preview again.")
        return _render(request, state, kind, "choose", form=form, notice=notice)
    consequence = describe(
        state.summary, result.balances, funds_position(state.summary), state.payment_summaries, user=request.user,
    )
    token = secrets.token_urlsafe(24)
    previews = request.session.get(SESSION_KEY, {})
    previews[token] = {
        "summary_id": state.summary.pk, "kind": kind, "version": result.version,
        "request": wizard_request.as_dict(),
    }
    request.session[SESSION_KEY] = dict(list(previews.items())[-KEEP_PREVIEWS:])
    if kind == CANCEL_ORDER:
        rows = [(item, available_of(kind, item) + state.allocated.get(item.pk, 0))
                for item in eligible_items(kind, state.items, state.allocated)]
    else:
        rows = _chosen_rows(wizard_request, state.items)
    return _render(request, state, kind, "preview", balances=result.balances, consequence=consequence, token=token,
                   rows=rows, wizard_request=wizard_request, notice=notice,
                   line_cancels=_line_cancels(result, state.items),
                   charges_with_last_product=_names(result.charges_canceled_with_last_product, state.items))


def _names(item_ids, items) -> list[str]:
    by_id = {item.pk: item for item in items}
    return [by_id[pk].name if pk in by_id else f"Item {pk}" for pk in item_ids]


def _line_cancels(result, items) -> list[dict]:
    """The fulfillment-order lines the cancel takes units off, as the preview lists them."""
    by_id = {item.pk: item for item in items}
    return [
        {"number": cancel.fulfillment_order_number, "name": by_id[cancel.item_id].name if cancel.item_id in by_id
         else f"Item {cancel.item_id}", "quantity": cancel.quantity, "returned_to_group": cancel.returned_to_group,
         "emptied": cancel.fulfillment_order_id in result.fulfillment.canceled_orders}
        for cancel in result.fulfillment.line_cancels
    ]


def _submit_step(request, state, kind):
    token = request.POST.get("token", "")
    stored = _stored(request, token, state.summary.pk, kind, consume=True)
    if stored is None:
        messages.info(request, "That preview was already submitted or has expired: nothing more was changed. "
                               "Check the order below.")
        return _to_order(request, state.summary.pk)
    if not claim_wizard_token(token, user=request.user, summary_id=state.summary.pk, kind=kind):
        messages.info(request, "This change was already submitted once; it was not applied again.")
        return _to_order(request, state.summary.pk)
    wizard_request = WizardRequest.from_dict(stored["request"])
    # Taken before anything is written, so the refund job the change sets off counts as after it.
    started = int(timezone.now().timestamp())
    try:
        outcome = _submit(kind, state.summary.pk, wizard_request, user=request.user, version=stored["version"])
    except Conflict:
        release_wizard_token(token)
        fresh = _state(state.summary.pk, kind)
        form = _form(kind, fresh, data=wizard_request.initial())
        form.is_valid()
        return _preview_step(request, fresh, kind, form, wizard_request, notice=(
            "The order changed after your preview, so nothing was applied. Here is a fresh preview on the "
            "current order: check the figures and submit again."
        ))
    except ServiceError as failure:
        release_wizard_token(token)
        fresh = _state(state.summary.pk, kind)
        form = _form(kind, fresh, data=wizard_request.initial())
        form.is_valid()
        for error in failure.errors:
            form.add_error(field_for(error.field, wizard_request, form),
                           agent_message(error.message, fresh.summary.currency))
        return _render(request, fresh, kind, "choose", form=form)

    record_wizard_outcome(token, list(outcome.change_order_ids))
    messages.success(request, f"{DONE[kind]}: the order's grand total went down by "
                              f"{money_text(outcome.result.balances.grand_total_amount, state.summary.currency)}.")
    if refund_message(request, outcome.refund):
        return _to_order(request, state.summary.pk, url=order_url_awaiting(state.summary.pk, started))
    return _to_order(request, state.summary.pk)


def refund_message(request, refund) -> bool:
    """Tell the agent what happened to the refund; True when it was queued (the page then watches for it)."""
    if refund is None:
        return False
    amount = money_text(refund.amount, refund.currency)
    if refund.status == AgentRefundStatus.PENDING:
        messages.warning(request, f"The refund of {amount} is above your limit: it waits for a supervisor's "
                                  "approval on this page.")
        return False
    if refund.operation_id:
        messages.info(request, f"The refund is queued ({amount}); its progress shows under Background jobs.")
        return True
    return False


def _stored(request, token, summary_id, kind, *, consume=False):
    return preview_store.find(request, token, kind=kind, summary_id=summary_id, consume=consume,
                              session_key=SESSION_KEY)


def _chosen_rows(wizard_request, items):
    by_id = {item.pk: item for item in items}
    return [(by_id.get(pk), value) for pk, value in wizard_request.rows]


def _to_order(request, summary_id, url=None):
    url = url or f"/console/orders/{summary_id}/"
    return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)


def _render(request, state, kind, step, **context):
    context.update(
        summary=state.summary, kind=kind, step=step, title=TITLES[kind], nav="orders", submit_label=SUBMIT_LABELS[kind],
        currency=state.summary.currency,
    )
    return render_wizard(request, "console/wizard.html", reverse("console:wizard", args=[state.summary.pk, kind]),
                         context)
