"""Cancel, Return, Adjust and Cancel order: choose → preview → submit (console.views.wizard_flow), on the
change services through payments.services.agent_changes.
"""

from django.contrib import messages
from django.http import Http404
from django.urls import reverse

from console.access import CHANGE_ORDERS, console_view
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
from console.selectors import wizard_state
from console.templatetags.console_tags import money_text
from console.views.orders import order_url_awaiting
from console.views.wizard_flow import WizardFlow, to_order
from orders.funds import funds_position
from orders.services.adjust import preview_adjust
from orders.services.cancel import preview_cancel
from orders.services.cancel_order import preview_cancel_order
from orders.services.simple_return import preview_return
from payments.models import AgentRefundKind, AgentRefundStatus
from payments.services.agent_changes import AgentChangeOutcome, submit_agent_change

# Where these wizards (and Exchange) keep their previews: the session's "console_wizards".
SESSION_KEY = "console_wizards"

SUBMIT_LABELS = {
    CANCEL: "Submit cancel",
    RETURN: "Submit return",
    ADJUST: "Submit adjust",
    CANCEL_ORDER: "Submit order cancel",
}
DONE = {CANCEL: "Canceled", RETURN: "Returned", ADJUST: "Adjusted", CANCEL_ORDER: "Order canceled"}


def _preview(kind: str, summary_id: int, wizard_request: WizardRequest):
    if kind == ADJUST:
        return preview_adjust(summary_id, wizard_request.adjust_input())
    if kind == CANCEL_ORDER:
        return preview_cancel_order(summary_id, wizard_request.cancel_order_input())
    if kind == CANCEL:
        return preview_cancel(
            summary_id, wizard_request.change_items(), cancel_allocated=wizard_request.cancel_allocated
        )
    return preview_return(summary_id, wizard_request.change_items())


def _submit(kind: str, summary_id: int, wizard_request: WizardRequest, *, user, version: int) -> AgentChangeOutcome:
    """The change and the refund that follows it, in one payments service (the figures from the submit)."""
    if kind == ADJUST:
        request = wizard_request.adjust_input()
    elif kind == CANCEL_ORDER:
        request = wizard_request.cancel_order_input()
    else:
        request = wizard_request.change_items()
    return submit_agent_change(
        summary_id,
        AGENT_KIND[kind],
        request,
        user=user,
        expected_version=version,
        cancel_allocated=wizard_request.cancel_allocated,
    )


# The payments service's names of the changes (AgentRefund.kind).
AGENT_KIND = {
    CANCEL: AgentRefundKind.CANCEL,
    RETURN: AgentRefundKind.RETURN,
    ADJUST: AgentRefundKind.ADJUST,
    CANCEL_ORDER: AgentRefundKind.CANCEL_ORDER,
}


class RequestWizard(WizardFlow):
    """A wizard whose form makes a request object (`request_type`: WizardRequest, ExchangeRequest), kept as
    its dict in the session's console_wizards and worded as these wizards were first (Exchange too)."""

    request_type: type
    session_key = SESSION_KEY
    stored_as = "request"
    nothing_done = "nothing was applied"
    made = "applied"
    check = "check the figures"
    expired_message = (
        "That preview was already submitted or has expired: nothing more was changed. Check the order below."
    )

    def dump(self, data) -> dict:
        return data.as_dict()

    def load(self, stored: dict):
        return self.request_type.from_dict(stored)

    def initial(self, data) -> dict:
        return data.initial()


class ChangeWizard(RequestWizard):
    """Cancel, Return, Adjust or Cancel order (`kind`), on the change services through
    payments.services.agent_changes (the change and the refund that follows it)."""

    request_type = WizardRequest
    template = "console/wizard.html"
    what = "change"

    def __init__(self, kind: str):
        self.kind = kind
        self.title = TITLES[kind]
        self.submit_label = SUBMIT_LABELS[kind]

    def state(self, pk: int):
        return wizard_state(pk, with_allocated=self.kind in (CANCEL, CANCEL_ORDER))

    def url(self, summary_id: int) -> str:
        return reverse("console:wizard", args=[summary_id, self.kind])

    def context(self) -> dict:
        return {"kind": self.kind}

    def form(self, state, **kwargs) -> WizardForm:
        return WizardForm(
            self.kind, eligible_items(self.kind, state.items, state.allocated), allocated=state.allocated, **kwargs
        )

    def asked(self, form: WizardForm) -> WizardRequest:
        return form.wizard_request()

    def error_field(self, error, data: WizardRequest, form):
        return field_for(error.field, data, form)

    def preview(self, state, data: WizardRequest):
        return _preview(self.kind, state.summary.pk, data)

    def preview_context(self, request, state, data: WizardRequest, result) -> dict:
        consequence = describe(
            state.summary,
            result.balances,
            funds_position(state.summary),
            state.payment_summaries,
            user=request.user,
        )
        if self.kind == CANCEL_ORDER:
            rows = [
                (item, available_of(self.kind, item) + state.allocated.get(item.pk, 0))
                for item in eligible_items(self.kind, state.items, state.allocated)
            ]
        else:
            rows = _chosen_rows(data, state.items)
        return {
            "balances": result.balances,
            "consequence": consequence,
            "rows": rows,
            "wizard_request": data,
            "line_cancels": _line_cancels(result, state.items),
            "charges_with_last_product": _names(result.charges_canceled_with_last_product, state.items),
        }

    def submit(self, request, state, data: WizardRequest, version: int) -> AgentChangeOutcome:
        return _submit(self.kind, state.summary.pk, data, user=request.user, version=version)

    def change_order_ids(self, outcome: AgentChangeOutcome) -> list[int]:
        return list(outcome.change_order_ids)

    def done(self, request, state, data, outcome: AgentChangeOutcome, *, started: int):
        messages.success(
            request,
            f"{DONE[self.kind]}: the order's grand total went down by "
            f"{money_text(outcome.result.balances.grand_total_amount, state.summary.currency)}.",
        )
        if refund_message(request, outcome.refund):
            return to_order(request, state.summary.pk, url=order_url_awaiting(state.summary.pk, started))
        return to_order(request, state.summary.pk)


FLOWS = {kind: ChangeWizard(kind) for kind in KINDS}


@console_view(CHANGE_ORDERS)
def wizard(request, pk: int, kind: str):
    if kind not in KINDS:
        raise Http404("No such wizard.")
    return FLOWS[kind].view(request, pk)


def _names(item_ids, items) -> list[str]:
    by_id = {item.pk: item for item in items}
    return [by_id[pk].name if pk in by_id else f"Item {pk}" for pk in item_ids]


def _line_cancels(result, items) -> list[dict]:
    """The fulfillment-order lines the cancel takes units off, as the preview lists them."""
    by_id = {item.pk: item for item in items}
    return [
        {
            "number": cancel.fulfillment_order_number,
            "name": by_id[cancel.item_id].name if cancel.item_id in by_id else f"Item {cancel.item_id}",
            "quantity": cancel.quantity,
            "returned_to_group": cancel.returned_to_group,
            "emptied": cancel.fulfillment_order_id in result.fulfillment.canceled_orders,
        }
        for cancel in result.fulfillment.line_cancels
    ]


def refund_message(request, refund) -> bool:
    """Tell the agent what happened to the refund; True when it was queued (the page then watches for it)."""
    if refund is None:
        return False
    amount = money_text(refund.amount, refund.currency)
    if refund.status == AgentRefundStatus.PENDING:
        messages.warning(
            request, f"The refund of {amount} is above your limit: it waits for a supervisor's approval on this page."
        )
        return False
    if refund.operation_id:
        messages.info(request, f"The refund is queued ({amount}); its progress shows under Background jobs.")
        return True
    return False


def _chosen_rows(wizard_request, items):
    by_id = {item.pk: item for item in items}
    return [(by_id.get(pk), value) for pk, value in wizard_request.rows]
