"""Reship items (issue 15): choose shipped units → preview where they ship from → submit, on
orders.services.reships. Nothing is charged. A stale preview is refused by the service's version check
and a fresh one shown; a second submit of one preview is refused before it reaches the service."""

from django.contrib import messages
from django.urls import reverse

from console import preview_store
from console.access import CHANGE_ORDERS, console_view
from console.agent_text import agent_message
from console.forms.reship import ReshipForm, field_for, initial_of, reship_input, reshippable_items
from console.selectors import wizard_state
from console.services import record_wizard_outcome, release_wizard_token
from console.views.wizard_flow import render_wizard
from console.views.wizards import _to_order
from orders.errors import Conflict, ServiceError
from orders.models import FulfillmentOrder, Location
from orders.services.reships import preview_reship, submit_reship

KIND = "reship"


@console_view(CHANGE_ORDERS)
def reship(request, pk: int):
    state = wizard_state(pk)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "submit":
        return _submit_step(request, state)
    if action == "edit":
        stored = preview_store.find(request, request.POST.get("token", ""), kind=KIND, summary_id=pk)
        initial = initial_of(stored["data"]) if stored else None
        return _render(request, state, "choose", form=ReshipForm(reshippable_items(state.items), initial=initial))
    if request.method != "POST":
        return _render(request, state, "choose", form=ReshipForm(reshippable_items(state.items)))
    form = ReshipForm(reshippable_items(state.items), data=request.POST)
    if not form.is_valid():
        return _render(request, state, "choose", form=form)
    return _preview_step(request, state, form, form.request())


def _preview_step(request, state, form, data, *, notice: str = ""):
    try:
        result = preview_reship(state.summary.pk, reship_input(data))
    except ServiceError as failure:
        _add_errors(form, failure, data, state.summary.currency)
        return _render(request, state, "choose", form=form, notice=notice and (
            "The order changed after your preview, so nothing was reshipped. Your choices no longer fit it: "
            "correct them below and preview again."))
    token = preview_store.keep(request, kind=KIND, summary_id=state.summary.pk, version=result.version, data=data)
    return _render(request, state, "preview", token=token, data=data, notice=notice,
                   rows=_chosen(data, state.items), shipments=_shipments(result.plans, state.items))


def _add_errors(form, failure, data, currency):
    for error in failure.errors:
        form.add_error(field_for(error.field, data, form), agent_message(error.message, currency))


def _chosen(data, items):
    by_id = {item.pk: item for item in items}
    return [(by_id.get(pk), quantity) for pk, quantity in data["rows"]]


def _shipments(plans, items) -> list[dict]:
    """Per fulfillment order the reshipment makes: the location and the units."""
    by_id = {item.pk: item for item in items}
    locations = Location.objects.in_bulk([group.location_id for plan in plans for group in plan.groups])
    return [
        {"location": locations[group.location_id].name, "type": group.fulfillment_type,
         "items": [(by_id[entry.order_item_summary_id].name, entry.quantity) for entry in group.items]}
        for plan in plans for group in plan.groups
    ]


def _submit_step(request, state):
    token = request.POST.get("token", "")
    stored = preview_store.claim(request, token, kind=KIND, summary_id=state.summary.pk, what="reshipment")
    if stored is None:
        return _to_order(request, state.summary.pk)
    data = stored["data"]
    try:
        result = submit_reship(state.summary.pk, reship_input(data), actor=request.user,
                               expected_version=stored["version"])
    except Conflict:
        release_wizard_token(token)
        fresh = wizard_state(state.summary.pk)
        form = ReshipForm(reshippable_items(fresh.items), data=initial_of(data))
        form.is_valid()
        return _preview_step(request, fresh, form, data, notice=(
            "The order changed after your preview, so nothing was reshipped. Here is a fresh preview on the "
            "current order: check it and submit again."))
    except ServiceError as failure:
        release_wizard_token(token)
        fresh = wizard_state(state.summary.pk)
        form = ReshipForm(reshippable_items(fresh.items), data=initial_of(data))
        form.is_valid()
        _add_errors(form, failure, data, fresh.summary.currency)
        return _render(request, fresh, "choose", form=form)
    record_wizard_outcome(token, [])
    numbers = ", ".join(FulfillmentOrder(pk=pk).number for pk in result.fulfillment_order_ids)
    messages.success(request, f"Reshipped at no charge on {numbers}: nothing is invoiced or captured.")
    return _to_order(request, state.summary.pk)


def _render(request, state, step, **context):
    context.update(summary=state.summary, step=step, title="Reship items", nav="orders",
                   currency=state.summary.currency, submit_label="Submit reshipment")
    return render_wizard(request, "console/reship.html", reverse("console:reship", args=[state.summary.pk]),
                         context)
