from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console.access import APPROVE_REFUNDS, console_view
from console.htmx import wants_partial
from console.models import RefundApproval
from console.order_selectors import operations_for, order_page
from console.services import decide_refund
from console.templatetags.console_tags import money_text
from orders.errors import ServiceError
from orders.models import OrderSummary

# htmx stops polling an element whose response has this status.
STOP_POLLING = 286


@console_view()
def order_detail(request, pk: int):
    page = order_page(pk)
    return render(request, "console/order.html", order_context(page))


def order_context(page, **extra) -> dict:
    return {
        "page": page, "summary": page.summary, "nav": "orders", "operations": page.operations,
        "operations_running": page.operations_running, "summary_id": page.summary.pk,
        "agent_limit": settings.OMS_AGENT_REFUND_LIMIT, **extra,
    }


@require_POST
@console_view(APPROVE_REFUNDS)
def refund_decision(request, pk: int):
    approval = get_object_or_404(RefundApproval.objects.only("pk", "order_summary_id"), pk=pk)
    approve = request.POST.get("decision") == "approve"
    try:
        decided = decide_refund(approval.pk, approve=approve, user=request.user)
    except ServiceError as failure:
        messages.error(request, failure.message)
    else:
        amount = money_text(decided.amount, decided.currency)
        if approve:
            messages.success(request, f"Refund of {amount} approved; it is queued under Background jobs.")
        else:
            messages.info(request, f"Refund of {amount} declined; nothing was refunded.")
    return redirect("console:order", pk=approval.order_summary_id)


@console_view()
def order_operations(request, pk: int):
    """The background operations fragment, polled every 2 s while one is still running."""
    get_object_or_404(OrderSummary.objects.only("pk"), pk=pk)
    if not wants_partial(request):
        return redirect("console:order", pk=pk)
    operations = operations_for(pk)
    running = any(not operation.is_final for operation in operations)
    response = render(request, "console/order.html#operations", {
        "operations": operations, "operations_running": running, "summary_id": pk,
    })
    if running:
        return response
    if request.GET.get("was_running"):
        # Finished while the agent watched: reload, so totals, refunds and documents show the outcome.
        response["HX-Refresh"] = "true"
        return response
    response.status_code = STOP_POLLING
    return response
