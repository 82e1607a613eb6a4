"""Issue 16 in the console: a location's work queue, holds (queue, hold, release) and Route again."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console.access import CHANGE_ORDERS, MANAGE_FULFILLMENT, console_view
from console.location_access import assigned_location_ids, location_view
from console.location_selectors import QUEUE_MOVES, held_orders, location_queue, locations_of, queue_moves
from orders.errors import ServiceError
from orders.models import OPEN_STATUSES, FulfillmentOrder, Location, OrderSummary
from orders.services.fulfillment_reject import LineToReject, reject_fulfillment_order_items
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.holds import hold_order_summary, release_holds
from orders.services.route_summary import route_order_summary
from orders.services.shipments import ShipmentInput, create_shipment

# --- A location's work queue ----------------------------------------------------------------------------


@location_view
def my_locations(request):
    locations = locations_of(assigned_location_ids(request.user))
    if len(locations) == 1:
        return redirect("console:location_queue", location_pk=locations[0].pk)
    return render(request, "console/locations.html", {"locations": locations, "nav": "queue"})


@location_view
def location_queue_page(request, location_pk: int):
    location = get_object_or_404(Location, pk=location_pk)
    status = request.GET.get("status", "")
    if status not in OPEN_STATUSES:
        status = ""
    return render(
        request,
        "console/location_queue.html",
        {
            "location": location,
            "entries": location_queue(location, status),
            "status": status,
            "statuses": OPEN_STATUSES,
            "nav": "queue",
        },
    )


def _queue_order(location_pk: int, pk: int) -> FulfillmentOrder:
    """The fulfillment order, only at this location: another location's is not found here."""
    return get_object_or_404(
        FulfillmentOrder.objects.only("pk", "status", "type", "location_id"), pk=pk, location_id=location_pk
    )


@require_POST
@location_view
def queue_move(request, location_pk: int, pk: int):
    order = _queue_order(location_pk, pk)
    action = request.POST.get("action", "")
    if action not in dict(queue_moves(order)):
        messages.error(request, "That move is not open to this fulfillment order.")
    else:
        try:
            moved = change_fulfillment_order_status(order.pk, QUEUE_MOVES[action][0], actor=request.user)
        except ServiceError as failure:
            messages.error(request, failure.message)
        else:
            messages.success(request, f"{moved.number} is now {moved.status}.")
    return redirect("console:location_queue", location_pk=location_pk)


@require_POST
@location_view
def queue_reject(request, location_pk: int, pk: int):
    order = _queue_order(location_pk, pk)
    reason = request.POST.get("reason", "").strip()
    lines = []
    for key, value in request.POST.items():
        if not key.startswith("line-") or not value.strip():
            continue
        try:
            quantity = Decimal(value)
        except InvalidOperation:
            messages.error(request, f"'{value}' is not a number of units.")
            return redirect("console:location_queue", location_pk=location_pk)
        if quantity:
            lines.append(LineToReject(key.removeprefix("line-"), quantity, reason))
    if not lines:
        messages.error(request, "Enter the units to reject.")
        return redirect("console:location_queue", location_pk=location_pk)
    try:
        rejected = reject_fulfillment_order_items(order.pk, lines, actor=request.user)
    except ServiceError as failure:
        messages.error(request, failure.message)
    else:
        messages.success(
            request,
            f"Units of {rejected.number} rejected; it is {rejected.status}. They are routed to another location.",
        )
    return redirect("console:location_queue", location_pk=location_pk)


# The shipment service names the API's fields; the form's labels say the same to a person.
PARCEL_LABELS = {
    "carrier": "Carrier",
    "service": "Service",
    "trackingNumber": "Tracking number",
    "trackingUrl": "Tracking link",
}


@require_POST
@location_view
def queue_ship(request, location_pk: int, pk: int):
    """Ship what is left of the fulfillment order as one parcel, with its carrier and tracking (issue 17's
    shipments; the last parcel moves the order to Fulfilled, and invoicing follows)."""
    order = _queue_order(location_pk, pk)
    parcel = ShipmentInput(
        **{name: request.POST.get(name, "") for name in ("carrier", "service", "tracking_number", "tracking_url")}
    )
    try:
        shipment = create_shipment(order.pk, parcel, actor=request.user)
    except ServiceError as failure:
        label = PARCEL_LABELS.get(failure.errors[0].field or "")
        messages.error(request, f"{label}: {failure.message}" if label else failure.message)
    else:
        tracking = f" (tracking {shipment.tracking_number})" if shipment.tracking_number else ""
        messages.success(request, f"Shipped what was left of {shipment.fulfillment_order.number}{tracking}.")
    return redirect("console:location_queue", location_pk=location_pk)


# --- Holds and Route again on the order page ------------------------------------------------------------


@console_view()
def hold_queue(request):
    return render(request, "console/holds.html", {"holds": held_orders(), "nav": "holds"})


@require_POST
@console_view(CHANGE_ORDERS)
def hold_order(request, pk: int):
    """The whole order, or (scope=lines) the fulfillment order lines ticked, with a reason."""
    summary = get_object_or_404(OrderSummary.objects.only("pk"), pk=pk)
    line_ids = request.POST.getlist("line")
    if request.POST.get("scope") == "lines" and not line_ids:
        messages.error(request, "Tick the lines to hold.")
        return redirect("console:order", pk=pk)
    try:
        holds = hold_order_summary(summary.pk, request.POST.get("reason", ""), line_ids=line_ids, actor=request.user)
    except ServiceError as failure:
        messages.error(request, failure.message)
    else:
        if line_ids:
            messages.success(
                request,
                f"{len(holds)} line{'s' if len(holds) != 1 else ''} on hold: their fulfillment "
                "orders do not move forward until released.",
            )
        else:
            messages.success(request, "The order is on hold: it is not routed, shipped or captured until released.")
    return redirect("console:order", pk=pk)


@require_POST
@console_view(CHANGE_ORDERS)
def release_order_hold(request, pk: int):
    """Every active hold of the order, or only the hold of the line named."""
    summary = get_object_or_404(OrderSummary.objects.only("pk"), pk=pk)
    line_ids = request.POST.getlist("line")
    try:
        released = release_holds(summary.pk, line_ids=line_ids, note=request.POST.get("note", ""), actor=request.user)
    except ServiceError as failure:
        messages.error(request, failure.message)
    else:
        resumed = "its fulfillment order may move on" if line_ids else "routing and capture resume"
        messages.success(request, f"{len(released)} hold{'s' if len(released) != 1 else ''} released; {resumed}.")
    return redirect("console:order", pk=pk)


@require_POST
@console_view(MANAGE_FULFILLMENT)
def route_again(request, pk: int):
    summary = get_object_or_404(OrderSummary.objects.only("pk"), pk=pk)
    try:
        outcome = route_order_summary(summary.pk, on_demand=True)
    except ServiceError as failure:
        messages.error(request, failure.message)
    else:
        if outcome.unrouted_group_ids:
            messages.error(
                request,
                f"{len(outcome.fulfillment_order_ids)} fulfillment order(s) created; "
                f"{len(outcome.unrouted_group_ids)} delivery group(s) could not be placed "
                "(see the exceptions).",
            )
        elif outcome.fulfillment_order_ids:
            messages.success(request, f"{len(outcome.fulfillment_order_ids)} fulfillment order(s) created.")
        else:
            messages.info(request, "Nothing left to route.")
    return redirect("console:order", pk=pk)
