from datetime import UTC, datetime, timedelta

from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from console.forms.approvals import RefundRemainingForm
from console.htmx import wants_partial
from console.location_access import order_view
from console.order_page import operations_for, order_page
from orders.models import OrderSummary

# htmx stops polling an element whose response has this status.
STOP_POLLING = 286
# How long the page waits for the refund automation to show its first job after a change.
AWAIT_AUTOMATION = timedelta(seconds=60)


def awaiting_since(request) -> datetime | None:
    """`?awaiting=<unix time>`: a change just queued money automation whose job may not exist yet."""
    try:
        since = datetime.fromtimestamp(int(request.GET["awaiting"]), tz=UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        return None
    return since if timezone.now() - since < AWAIT_AUTOMATION else None


def keep_polling(operations, since: datetime | None) -> bool:
    if any(not operation.is_final for operation in operations):
        return True
    return since is not None and not any(operation.submitted_at >= since for operation in operations)


@order_view
def order_detail(request, pk: int):
    page = order_page(pk)
    since = awaiting_since(request)
    return render(
        request,
        "console/order.html",
        order_context(
            page,
            operations_running=keep_polling(page.operations, since),
            awaiting=request.GET.get("awaiting") if since else "",
        ),
    )


def order_context(page, **extra) -> dict:
    return {
        "page": page,
        "summary": page.summary,
        "nav": "orders",
        "operations": page.operations,
        "operations_running": page.operations_running,
        "summary_id": page.summary.pk,
        "remaining_form": RefundRemainingForm(),
        **extra,
    }


def order_url_awaiting(summary_id: int, since: int) -> str:
    """The order page, watching for jobs submitted from `since` (whole seconds, rounded down) on."""
    return f"/console/orders/{summary_id}/?awaiting={since}"


@order_view
def order_operations(request, pk: int):
    """The background operations fragment, polled every 2 s while one is still running. Whoever may open
    the order page may poll it (a Fulfillment user: the orders their locations fulfil), nobody else."""
    summary = get_object_or_404(OrderSummary.objects.only("pk", "currency"), pk=pk)
    if not wants_partial(request):
        return redirect("console:order", pk=pk)
    operations = operations_for(pk)
    since = awaiting_since(request)
    running = keep_polling(operations, since)
    response = render(
        request,
        "console/order.html#operations",
        {
            "operations": operations,
            "operations_running": running,
            "summary_id": pk,
            "currency": summary.currency,
            "awaiting": request.GET.get("awaiting") if since else "",
        },
    )
    if running:
        return response
    if request.GET.get("was_running"):
        # Finished while the agent watched: reload, so totals, refunds and documents show the outcome.
        response["HX-Refresh"] = "true"
        return response
    response.status_code = STOP_POLLING
    return response
