"""Fulfillment actions on the order page: create (suggested by routing), move status, cancel lines."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console.access import MANAGE_FULFILLMENT, console_view
from console.agent_text import agent_message
from console.forms.fulfillment import CreateFulfillmentOrderForm, StatusMoveForm, units_to_cancel
from console.selectors import fulfillment_suggestion, wizard_state
from orders.errors import ServiceError
from orders.models import FulfillmentOrder, ItemType, OrderDeliveryGroupSummary
from orders.services.fulfillment_cancel import LineToCancel, cancel_fulfillment_order_items
from orders.services.fulfillment_create import (
    FulfillmentGroupInput,
    FulfillmentItemInput,
    FulfillmentOrderInput,
    create_fulfillment_orders,
)
from orders.services.fulfillment_moves import needs_confirmation
from orders.services.fulfillment_status import change_fulfillment_order_status, is_allowed_move


@console_view(MANAGE_FULFILLMENT)
def create_fulfillment_order(request, pk: int, group_pk: int):
    state = wizard_state(pk)
    group = get_object_or_404(OrderDeliveryGroupSummary, pk=group_pk, order_summary_id=pk)
    items = [
        item
        for item in state.items
        if item.delivery_group_summary_id == group.pk
        and item.type == ItemType.PRODUCT
        and item.quantity_available_to_fulfill > 0
    ]
    suggestion = fulfillment_suggestion(group, items)
    if request.method == "POST":
        form = CreateFulfillmentOrderForm(items, data=request.POST)
        if form.is_valid():
            chosen = form.chosen()
            data = FulfillmentOrderInput(
                order_summary_id=pk,
                delivery_group_summary_id=group.pk,
                groups=(
                    FulfillmentGroupInput(
                        location_id=form.cleaned_data["location"].pk,
                        fulfillment_type=form.cleaned_data["fulfillment_type"],
                        items=tuple(FulfillmentItemInput(item_pk, quantity) for item_pk, quantity in chosen),
                    ),
                ),
            )
            try:
                created = create_fulfillment_orders(data, actor=request.user)
            except ServiceError as failure:
                for error in failure.errors:
                    form.add_service_error(error.field, error.message, chosen)
            else:
                messages.success(request, f"{created[0].number} created at {form.cleaned_data['location'].name}.")
                return redirect("console:order", pk=pk)
    else:
        form = CreateFulfillmentOrderForm(items, initial=suggestion.initial if suggestion else None)
    return render(
        request,
        "console/fulfillment_create.html",
        {
            "summary": state.summary,
            "group": group,
            "form": form,
            "suggestion": suggestion,
            "nav": "orders",
        },
    )


@require_POST
@console_view(MANAGE_FULFILLMENT)
def move_fulfillment_order(request, pk: int):
    fulfillment_order = get_object_or_404(
        FulfillmentOrder.objects.only("pk", "order_summary_id", "status", "grand_total_amount", "currency"), pk=pk
    )
    form = StatusMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status to move the fulfillment order to.")
    else:
        status = form.cleaned_data["status"]
        # A step back, a reject or a cancel is confirmed with a reason, kept with the move; forward is one click.
        # A move the service refuses anyway goes straight to it for its message.
        if (
            is_allowed_move(fulfillment_order.status, status)
            and needs_confirmation(fulfillment_order.status, status)
            and not form.confirmed()
        ):
            return render(
                request,
                "console/fulfillment_move_confirm.html",
                {
                    "fo": fulfillment_order,
                    "form": form,
                    "status": status,
                    "nav": "orders",
                    "back": f"/console/orders/{fulfillment_order.order_summary_id}/#fo-{fulfillment_order.pk}",
                },
                status=400 if form.data.get("confirm") else 200,
            )
        try:
            moved = change_fulfillment_order_status(
                fulfillment_order.pk, status, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ServiceError as failure:
            messages.error(request, agent_message(failure.message))
        else:
            messages.success(request, f"{moved.number} is now {moved.status}.")
    return redirect(f"/console/orders/{fulfillment_order.order_summary_id}/#fo-{fulfillment_order.pk}")


@require_POST
@console_view(MANAGE_FULFILLMENT)
def cancel_fulfillment_lines(request, pk: int):
    fulfillment_order = get_object_or_404(FulfillmentOrder.objects.only("pk", "order_summary_id"), pk=pk)
    try:
        lines = [LineToCancel(line_id, units) for line_id, units in units_to_cancel(request.POST)]
    except ValidationError as error:
        # Nothing was changed; the page offers the way back to the order.
        return render(
            request,
            "400.html",
            {
                "reason": f"Nothing was canceled: {error.messages[0]}",
                "back": f"/console/orders/{fulfillment_order.order_summary_id}/#fo-{fulfillment_order.pk}",
            },
            status=400,
        )
    reason = request.POST.get("reason", "").strip()
    if lines and not reason:
        # As a move back, a reject or a cancel of the whole order: the units go with a reason for the timeline.
        messages.error(
            request, "Nothing was canceled: give a reason; it is kept with the cancel and shown in the timeline."
        )
        return redirect(f"/console/orders/{fulfillment_order.order_summary_id}/#fo-{fulfillment_order.pk}")
    try:
        canceled = cancel_fulfillment_order_items(fulfillment_order.pk, lines, actor=request.user, reason=reason)
    except ServiceError as failure:
        messages.error(request, agent_message(failure.message))
    else:
        messages.success(request, f"Lines of {canceled.number} canceled; it is {canceled.status}.")
    return redirect(f"/console/orders/{fulfillment_order.order_summary_id}/#fo-{fulfillment_order.pk}")
