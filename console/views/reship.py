"""Reship items (issue 15): choose shipped units → preview where they ship from → submit
(console.views.wizard_flow), on orders.services.reships. Nothing is charged."""

from django.contrib import messages
from django.urls import reverse

from console.access import CHANGE_ORDERS, console_view
from console.forms.reship import ReshipForm, field_for, initial_of, reship_input, reshippable_items
from console.views.wizard_flow import WizardFlow, to_order
from orders.models import FulfillmentOrder, Location
from orders.services.reships import preview_reship, submit_reship

KIND = "reship"


class ReshipWizard(WizardFlow):
    kind = KIND
    template = "console/reship.html"
    title = "Reship items"
    submit_label = "Submit reshipment"
    what = "reshipment"
    nothing_done = "nothing was reshipped"

    def url(self, summary_id: int) -> str:
        return reverse("console:reship", args=[summary_id])

    def form(self, state, **kwargs) -> ReshipForm:
        return ReshipForm(reshippable_items(state.items), **kwargs)

    def asked(self, form: ReshipForm) -> dict:
        return form.request()

    def initial(self, data: dict) -> dict:
        return initial_of(data)

    def error_field(self, error, data, form):
        return field_for(error.field, data, form)

    def preview(self, state, data: dict):
        return preview_reship(state.summary.pk, reship_input(data))

    def preview_context(self, request, state, data: dict, result) -> dict:
        return {"data": data, "rows": _chosen(data, state.items), "shipments": _shipments(result.plans, state.items)}

    def submit(self, request, state, data: dict, version: int):
        return submit_reship(state.summary.pk, reship_input(data), actor=request.user, expected_version=version)

    def done(self, request, state, data, outcome, *, started: int):
        numbers = ", ".join(FulfillmentOrder(pk=pk).number for pk in outcome.fulfillment_order_ids)
        messages.success(request, f"Reshipped at no charge on {numbers}: nothing is invoiced or captured.")
        return to_order(request, state.summary.pk)


FLOW = ReshipWizard()


@console_view(CHANGE_ORDERS)
def reship(request, pk: int):
    return FLOW.view(request, pk)


def _chosen(data, items):
    by_id = {item.pk: item for item in items}
    return [(by_id.get(pk), quantity) for pk, quantity in data["rows"]]


def _shipments(plans, items) -> list[dict]:
    """Per fulfillment order the reshipment makes: the location and the units."""
    by_id = {item.pk: item for item in items}
    locations = Location.objects.in_bulk([group.location_id for plan in plans for group in plan.groups])
    return [
        {
            "location": locations[group.location_id].name,
            "type": group.fulfillment_type,
            "items": [(by_id[entry.order_item_summary_id].name, entry.quantity) for entry in group.items],
        }
        for plan in plans
        for group in plan.groups
    ]
