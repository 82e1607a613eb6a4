from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from console.access import WORK_EXCEPTION_QUEUE, console_view
from console.forms.exceptions import ExceptionFilterForm, ExceptionStatusForm
from console.htmx import wants_partial
from console.selectors import ExceptionFilter, process_exception_page
from orders.errors import ServiceError
from orders.models import ProcessException
from orders.services.process_exception_status import set_process_exception_status
from payments.services.exception_retry import retry_process_exception


@console_view(WORK_EXCEPTION_QUEUE)
def exception_queue(request):
    form = ExceptionFilterForm(request.GET or None)
    page = None
    if not form.is_bound:
        page = process_exception_page(ExceptionFilter(), 1)
    elif form.is_valid():
        data = form.cleaned_data
        page = process_exception_page(
            ExceptionFilter(category=data["category"], severity=data["severity"], status=data["status"]), data["page"]
        )
    query = request.GET.copy()
    query.pop("page", None)
    partial = wants_partial(request)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "nav": "exceptions",
        "partial": partial,
        "status_form": ExceptionStatusForm(),
    }
    template = "console/exceptions.html#results" if partial else "console/exceptions.html"
    return render(request, template, context, status=400 if page is None else 200)


@require_POST
@console_view(WORK_EXCEPTION_QUEUE)
def exception_status(request, pk: int):
    exception = get_object_or_404(ProcessException.objects.select_related("order_summary"), pk=pk)
    form = ExceptionStatusForm(request.POST)
    error = None
    if form.is_valid():
        try:
            exception = set_process_exception_status(exception.pk, form.cleaned_data["status"])
        except ServiceError as failure:
            error = failure.message
    else:
        error = "; ".join(form.errors.get("status", ["Choose a status."]))
    if wants_partial(request):
        exception.refresh_from_db()
        return render(
            request,
            "console/exceptions.html#row",
            {
                "exception": exception,
                "row_error": error,
                "row_done": None if error else exception.status,
            },
        )
    if error:
        messages.error(request, f"Exception {pk}: {error}")
    else:
        messages.success(request, f"Exception {pk} is now {exception.status}.")
    return redirect(_back(request))


@require_POST
@console_view(WORK_EXCEPTION_QUEUE)
def exception_retry(request, pk: int):
    """Do the step behind the exception again (a payment, routing, invoice and capture); resolved when done,
    left open with the new reason when it fails again."""
    exception = get_object_or_404(ProcessException.objects.only("pk", "order_summary_id"), pk=pk)
    try:
        outcome = retry_process_exception(exception.pk, user=request.user)
    except ServiceError as failure:
        messages.error(request, f"Exception {pk} could not be retried: {failure.message}")
        return redirect(_back(request))
    if not outcome.resolved:
        messages.error(request, f"Retried, and it failed again: {outcome.message} Exception {pk} stays open.")
        return redirect(_back(request))
    messages.success(request, f"{outcome.message} Exception {pk} is resolved.")
    return redirect("console:order", pk=exception.order_summary_id)


def _back(request) -> str:
    """Back to the queue page the agent came from; never to another site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("console:exceptions")
