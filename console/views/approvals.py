"""Refunds waiting for a supervisor: the queue, approve, decline (a reason and a confirmation), and
"Refund remaining" on an order whose refund was declined or went out in part.

Every decision is payments.services.agent_changes: approving releases exactly the refund's own amount.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from console.access import APPROVE_REFUNDS, CHANGE_ORDERS, console_view
from console.agent_text import agent_message
from console.forms.approvals import DeclineForm, RefundRemainingForm
from console.templatetags.console_tags import money_text
from console.views.orders import order_url_awaiting
from orders.errors import ServiceError
from payments.models import AgentRefund, AgentRefundStatus
from payments.services.agent_changes import decide_refund, pending_refunds, refund_remaining

QUEUE_PAGE_SIZE = 50


@console_view(APPROVE_REFUNDS)
def approval_queue(request):
    paginator = Paginator(pending_refunds(), QUEUE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "console/approvals.html", {"page": page, "nav": "approvals", "now": timezone.now()})


def _next(request) -> str:
    """Where the decision was asked from (the queue or the order page): a path of this site, or ""."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


def _back(request, refund: AgentRefund) -> str:
    return _next(request) or f"/console/orders/{refund.order_summary_id}/"


@require_POST
@console_view(APPROVE_REFUNDS)
def refund_decision(request, pk: int):
    """The Approve and Decline buttons of the queue and the order page: approve at once; declining asks
    for a reason and a confirmation first."""
    if request.POST.get("decision") == "approve":
        return approve_refund(request, pk)
    return decline_refund(request, pk)


def approve_refund(request, pk: int):
    refund = get_object_or_404(AgentRefund.objects.select_related("order_summary"), pk=pk)
    started = int(timezone.now().timestamp())
    try:
        decided = decide_refund(refund.pk, approve=True, user=request.user)
    except ServiceError as failure:
        messages.error(request, agent_message(failure.message))
        return redirect(_back(request, refund))
    messages.success(
        request,
        f"Refund of {money_text(decided.amount, decided.currency)} on order "
        f"{refund.order_summary.order_number} approved; it is queued under Background jobs.",
    )
    back = _back(request, refund)
    if back.startswith(f"/console/orders/{refund.order_summary_id}/"):
        return redirect(order_url_awaiting(refund.order_summary_id, started))
    return redirect(back)


@console_view(APPROVE_REFUNDS)
def decline_refund(request, pk: int):
    """GET: the confirmation, asking why. POST: decline with that reason."""
    refund = get_object_or_404(AgentRefund.objects.select_related("order_summary", "requested_by"), pk=pk)
    form = DeclineForm(request.POST if request.POST.get("confirm") else None)
    if form.is_bound and form.is_valid():
        try:
            decided = decide_refund(refund.pk, approve=False, user=request.user, reason=form.cleaned_data["reason"])
        except ServiceError as failure:
            messages.error(request, agent_message(failure.message))
            return redirect(_back(request, refund))
        messages.info(
            request,
            f"Refund of {money_text(decided.amount, decided.currency)} on order "
            f"{refund.order_summary.order_number} declined; nothing was refunded. The order "
            "offers \u201cRefund remaining\u201d should it be refunded later.",
        )
        return redirect(_back(request, refund))
    if refund.status != AgentRefundStatus.PENDING:
        messages.info(request, f"This refund was already {refund.get_status_display().lower()}.")
        return redirect(_back(request, refund))
    return render(
        request,
        "console/decline.html",
        {
            "refund": refund,
            "form": form,
            "nav": "approvals",
            "next": _next(request),
        },
        status=400 if form.is_bound else 200,
    )


@require_POST
@console_view(CHANGE_ORDERS)
def refund_remaining_view(request, pk: int):
    form = RefundRemainingForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    started = int(timezone.now().timestamp())
    try:
        refund = refund_remaining(pk, user=request.user, reason=reason)
    except ServiceError as failure:
        messages.error(request, agent_message(failure.message))
        return redirect("console:order", pk=pk)
    amount = money_text(refund.amount, refund.currency)
    if refund.status == AgentRefundStatus.PENDING:
        messages.warning(
            request, f"The refund of {amount} is above your limit: it waits for a supervisor's approval on this page."
        )
        return redirect("console:order", pk=pk)
    messages.info(request, f"The refund of the remaining {amount} is queued; its progress shows under Background jobs.")
    return redirect(order_url_awaiting(pk, started))
