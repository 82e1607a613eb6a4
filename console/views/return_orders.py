"""Return orders from the console (issue 15, point 1): the Return order wizard (choose → preview what is
credited once everything arrives → submit) and the Receive screen (what arrived, in what condition),
on orders.services.return_orders and payments.services.return_order_receipt.

Both keep what the agent asked for under a one-time token with the order version it was shown on
(console.preview_store): a changed order is refused and shown afresh, a second submit is refused."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from console import preview_store
from console.access import CHANGE_ORDERS, console_view
from console.agent_text import agent_message
from console.consequence import describe
from console.forms.return_orders import (
    ReceiveForm,
    ReturnOrderForm,
    field_for,
    initial_of,
    return_order_input,
    returnable_items,
)
from console.return_order_selectors import OPEN_RETURN_ORDER_STATUSES, ReturnLineView, fee_text
from console.services import claim_wizard_token, record_wizard_outcome, release_wizard_token
from console.views.orders import order_url_awaiting
from console.views.wizard_flow import WizardFlow, to_order
from console.views.wizards import refund_message
from orders.errors import Conflict, ServiceError
from orders.funds import funds_position
from orders.models import Location, ReturnOrder
from orders.services.return_orders import create_return_order, preview_return_order
from payments.services.return_order_receipt import receive_return_order

NEW = "return-order"
RECEIVE = "receive"


# --- The Return order wizard ---------------------------------------------------------------------------------


class ReturnOrderWizard(WizardFlow):
    kind = NEW
    template = "console/return_order.html"
    title = "Return order"
    submit_label = "Create return order"
    what = "return order"
    nothing_done = "no return order was made"

    def url(self, summary_id: int) -> str:
        return reverse("console:return_order_new", args=[summary_id])

    def form(self, state, **kwargs) -> ReturnOrderForm:
        form = ReturnOrderForm(returnable_items(state.items), **kwargs)
        if "initial" not in kwargs or kwargs["initial"] is None:
            first = form.fields["destination"].queryset.first()
            form.initial.setdefault("destination", first.pk if first else None)
        return form

    def asked(self, form: ReturnOrderForm) -> dict:
        return form.request()

    def initial(self, data: dict) -> dict:
        return initial_of(data)

    def error_field(self, error, data, form):
        return field_for(error.field, data, form)

    def preview(self, state, data: dict):
        return preview_return_order(return_order_input(state.summary.pk, data))

    def preview_context(self, request, state, data: dict, result) -> dict:
        consequence = describe(
            state.summary, result.balances, funds_position(state.summary), state.payment_summaries, user=request.user
        )
        by_id = {item.pk: item for item in state.items}
        return {
            "data": data,
            "balances": result.balances,
            "consequence": consequence,
            "rows": [(by_id.get(pk), quantity) for pk, quantity in data["rows"]],
            "destination": Location.objects.filter(pk=data["destination"]).first(),
        }

    def submit(self, request, state, data: dict, version: int) -> ReturnOrder:
        return create_return_order(
            return_order_input(state.summary.pk, data), actor=request.user, expected_version=version
        )

    def done(self, request, state, data, outcome: ReturnOrder, *, started: int):
        messages.success(
            request,
            f"Return order {outcome.number} is waiting for the units: receive them from "
            "this page when they arrive. Nothing is refunded before that.",
        )
        return to_order(request, state.summary.pk)


FLOW = ReturnOrderWizard()


@console_view(CHANGE_ORDERS)
def new_return_order(request, pk: int):
    return FLOW.view(request, pk)


# --- Receive -----------------------------------------------------------------------------------------------------


def _open_lines(return_order: ReturnOrder) -> list[ReturnLineView]:
    currency = return_order.order_summary.currency
    return [
        ReturnLineView(
            pk=line.pk,
            name=line.order_item_summary.name,
            sku=line.order_item_summary.sku,
            expected=line.quantity_expected,
            received=line.quantity_received,
            returned=line.quantity_returned,
            rejected=line.quantity_rejected,
            canceled=line.quantity_canceled,
            reason=line.reason_for_return,
            reason_for_rejection=line.reason_for_rejection,
            can_reduce_shipping=line.can_reduce_shipping,
            is_processed=line.is_processed,
            processed_at=line.processed_at,
            fees=[fee_text(fee, currency) for fee in line.fees.all()],
        )
        for line in return_order.lines.all()
        if not line.is_processed
    ]


def _return_order(pk: int) -> ReturnOrder:
    found = (
        ReturnOrder.objects.select_related("order_summary", "destination_location")
        .prefetch_related("lines__order_item_summary", "lines__fees")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such return order.")
    return found


@console_view(CHANGE_ORDERS)
def receive(request, pk: int):
    return_order = _return_order(pk)
    summary = return_order.order_summary
    lines = _open_lines(return_order)
    if not (return_order.is_managed and return_order.status in OPEN_RETURN_ORDER_STATUSES and lines):
        messages.info(request, f"Return order {return_order.number} has nothing left to receive.")
        return to_order(request, summary.pk)
    if request.method != "POST":
        return _receive_page(request, return_order, ReceiveForm(lines))
    token = request.POST.get("token", "")
    stored = preview_store.find(request, token, kind=RECEIVE, summary_id=summary.pk, consume=True)
    if stored is None or stored["data"].get("return_order") != return_order.pk:
        messages.info(
            request,
            "That receipt was already recorded or has expired: nothing more was changed. Check the return order below.",
        )
        return to_order(request, summary.pk)
    form = ReceiveForm(lines, data=request.POST)
    if not form.is_valid():
        return _receive_page(request, return_order, form)
    if not claim_wizard_token(token, user=request.user, summary_id=summary.pk, kind=RECEIVE):
        messages.info(request, "This receipt was already recorded once; it was not recorded again.")
        return to_order(request, summary.pk)
    started = int(timezone.now().timestamp())
    try:
        outcome = receive_return_order(
            return_order.pk, form.items(), user=request.user, expected_version=stored["version"]
        )
    except Conflict:
        release_wizard_token(token)
        fresh = _return_order(pk)
        return _receive_page(
            request,
            fresh,
            ReceiveForm(_open_lines(fresh), data=request.POST),
            notice=(
                "The order changed after this screen was opened, so nothing was recorded. Check the lines below "
                "(they are current now) and record the receipt again."
            ),
        )
    except ServiceError as failure:
        release_wizard_token(token)
        for error in failure.errors:
            form.add_error(None, agent_message(error.message, summary.currency))
        return _receive_page(request, _return_order(pk), form)
    record_wizard_outcome(token, list(outcome.change_order_ids))
    messages.success(request, f"Received on return order {return_order.number}.")
    exchange = outcome.exchange
    if exchange is not None:
        number = exchange.exchange_summary.order_number
        messages.info(
            request,
            {
                "Completed": f"The exchange is complete: replacement order {number} is released and ships now.",
                "Canceled": f"Nothing came back in good condition: replacement order {number} is canceled, nothing "
                "is charged.",
            }.get(exchange.status, f"Replacement order {number} still waits for the rest of the units."),
        )
    if refund_message(request, outcome.refund):
        return to_order(request, summary.pk, url=order_url_awaiting(summary.pk, started))
    return to_order(request, summary.pk)


def _receive_page(request, return_order, form, *, notice: str = ""):
    summary = return_order.order_summary
    token = preview_store.keep(
        request, kind=RECEIVE, summary_id=summary.pk, version=summary.version, data={"return_order": return_order.pk}
    )
    return render(
        request,
        "console/return_order_receive.html",
        {
            "summary": summary,
            "return_order": return_order,
            "form": form,
            "token": token,
            "notice": notice,
            "currency": summary.currency,
            "nav": "orders",
            "title": f"Receive {return_order.number}",
        },
    )
