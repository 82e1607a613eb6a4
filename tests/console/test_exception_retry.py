"""Issue 14 point 2: the sweepers' Fulfillment and Invoicing exceptions are retried from the console (the
exception queue and the order page) through one service; done, the exception is resolved; failed again, it
stays open and says why now. The same service answers the API's retry."""

from decimal import Decimal as D

import pytest
from django.utils import timezone

from orders.models import (
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    OrderSummary,
    OutboxMessage,
    OutboxStatus,
    ProcessException,
)
from orders.sweepers import ROUTING_TASK, sweep_unrouted_summaries
from payments.models import Invoice, OrderPaymentSummary
from payments.services.exception_retry import retry_process_exception
from payments.sweepers import INVOICE_AND_CAPTURE, sweep_unbilled_fulfillment_orders
from tests.builders import worked_example
from tests.fulfillment.helpers import make_location, stock
from tests.reliability.test_sweepers import age, shipped_unbilled

pytestmark = pytest.mark.django_db

API = "/api/v1/commerce"


def failed_message(task, *args, error="OperationalError: the database went away"):
    return OutboxMessage.objects.create(
        task_name=task,
        args=list(args),
        status=OutboxStatus.FAILED,
        done_at=timezone.now(),
        next_attempt_at=timezone.now(),
        last_error=error,
    )


def stuck_unrouted(settings):
    """An order whose routing task failed for good, swept into a Fulfillment exception; no stock anywhere."""
    make_location("WH-R", latitude="41.88", longitude="-87.62")
    summary = worked_example()  # ingested with routing off: never routed
    age(OrderSummary, summary.pk, 20)
    settings.OMS_AUTO_ROUTE_ORDERS = True
    failed_message(ROUTING_TASK, summary.pk)
    assert sweep_unrouted_summaries() == {"requeued": 0, "exceptions": 1}
    return summary, ProcessException.objects.get(order_summary=summary)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_stuck_order_is_routed_from_the_console_and_its_exception_resolved(supervisor_client, settings):
    summary, exception = stuck_unrouted(settings)
    assert exception.message == "Automatic routing did not finish: route this order by hand."
    queue = supervisor_client.get("/console/exceptions/").content.decode()
    assert f'data-testid="retry-{exception.pk}">Route again</button>' in queue

    # Still no stock: routing fails again, the exception stays open with what routing says now.
    failed = supervisor_client.post(
        f"/console/exceptions/{exception.pk}/retry/", {"next": "/console/exceptions/"}, follow=True
    )
    assert failed.redirect_chain == [("/console/exceptions/", 302)]
    exception.refresh_from_db()
    assert exception.status == "New"
    assert exception.message == "No location set can ship this delivery group."
    assert exception.description.startswith("Units to place: A × 2, B × 1.")
    assert "by supervisor; it failed again. Before: Automatic routing did not finish" in exception.description
    assert "the database went away" in exception.description  # what the sweeper said stays below
    assert messages_of(failed) == [
        f"Retried, and it failed again: No location set can ship this delivery group. "
        f"Exception {exception.pk} stays open."
    ]
    # The next sweep does not raise it again: it is active, whatever it says now.
    assert sweep_unrouted_summaries() == {"requeued": 0, "exceptions": 0}

    # Stock arrives; the supervisor retries from the order page.
    stock("WH-R", A=5, B=5)
    page = supervisor_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert f'data-testid="retry-{exception.pk}">Route again</button>' in page
    done = supervisor_client.post(
        f"/console/exceptions/{exception.pk}/retry/", {"next": f"/console/orders/{summary.pk}/"}, follow=True
    )

    assert done.redirect_chain == [(f"/console/orders/{summary.pk}/", 302)]
    (order,) = FulfillmentOrder.objects.filter(order_summary=summary)
    assert sorted((line.sku, line.quantity) for line in order.lines.all()) == [
        ("A", 2),
        ("B", 1),
        ("DELIVERY-GROUND", 1),
    ]
    assert messages_of(done) == [f"Routed: 1 fulfillment order created. Exception {exception.pk} is resolved."]
    # The sweeper's exception and the one routing raised on the first retry are both settled.
    assert set(ProcessException.objects.filter(order_summary=summary).values_list("status", flat=True)) == {"Resolved"}
    assert OrderSummary.objects.get(pk=summary.pk).active_process_exception_count == 0
    assert f'data-testid="retry-{exception.pk}"' not in done.content.decode()


def test_a_shipped_order_never_billed_is_invoiced_and_captured_from_the_console(
    supervisor_client, settings, django_capture_on_commit_callbacks
):
    summary, order = shipped_unbilled(settings)
    failed_message(INVOICE_AND_CAPTURE, order.pk, summary.pk, error="RuntimeError: boom")
    assert sweep_unbilled_fulfillment_orders() == {"requeued": 0, "exceptions": 1}
    exception = ProcessException.objects.get(order_summary=summary)
    assert exception.category == "Invoicing"
    page = supervisor_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert f'data-testid="retry-{exception.pk}">Invoice and capture</button>' in page

    # Something is still wrong with the order (here: its lines read nothing to bill): the retry fails again.
    lines = list(FulfillmentOrderLineItem.objects.filter(fulfillment_order=order).values_list("pk", "quantity"))
    FulfillmentOrderLineItem.objects.filter(fulfillment_order=order).update(quantity=0)
    failed = supervisor_client.post(
        f"/console/exceptions/{exception.pk}/retry/", {"next": f"/console/orders/{summary.pk}/"}, follow=True
    )
    exception.refresh_from_db()
    assert exception.status == "New"
    assert exception.message == (
        f"Invoicing the fulfillment order failed again: Fulfillment order {order.number} has nothing to bill."
    )
    assert messages_of(failed)[0].startswith("Retried, and it failed again: Invoicing the fulfillment order failed")
    assert not Invoice.objects.exists()
    assert sweep_unbilled_fulfillment_orders() == {"requeued": 0, "exceptions": 0}

    for pk, quantity in lines:
        FulfillmentOrderLineItem.objects.filter(pk=pk).update(quantity=quantity)
    with django_capture_on_commit_callbacks(execute=True):
        done = supervisor_client.post(
            f"/console/exceptions/{exception.pk}/retry/", {"next": "/console/exceptions/"}, follow=True
        )

    invoice = Invoice.objects.get(fulfillment_order=order)
    # 80.00 + 20.00 + 10.00 delivery, 8.80 tax = 118.80, paid by capturing the authorization.
    assert (invoice.total_amount_with_tax, invoice.balance) == (D("118.80"), 0)
    assert OrderPaymentSummary.objects.get(order_summary=summary).captured_amount == D("118.80")
    assert messages_of(done) == [
        f"Invoice {invoice.number} posted; the capture is queued. Exception {exception.pk} is resolved."
    ]
    exception.refresh_from_db()
    assert exception.status == "Resolved"
    assert OrderSummary.objects.get(pk=summary.pk).active_process_exception_count == 0
    # Retried again by a second tab: refused, nothing billed twice.
    again = supervisor_client.post(f"/console/exceptions/{exception.pk}/retry/", follow=True)
    assert messages_of(again) == [
        f"Exception {exception.pk} could not be retried: This exception is Resolved; only an active one can be retried."
    ]
    assert Invoice.objects.count() == 1


def test_an_exception_with_no_step_to_retry_has_no_button_and_is_refused(supervisor_client):
    summary = worked_example()
    exception = ProcessException.objects.create(
        order_summary=summary, category="Fulfillment", severity="High", message="Parcel lost by the carrier"
    )
    assert f'data-testid="retry-{exception.pk}"' not in supervisor_client.get("/console/exceptions/").content.decode()
    response = supervisor_client.post(f"/console/exceptions/{exception.pk}/retry/", follow=True)
    assert messages_of(response) == [
        f"Exception {exception.pk} could not be retried: This exception has no step "
        "to retry: resolve it by hand once the cause is fixed."
    ]


def test_an_agent_sees_no_retry_button_on_the_order_page(agent_client, settings):
    summary, exception = stuck_unrouted(settings)
    page = agent_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert f'data-testid="retry-{exception.pk}"' not in page
    assert agent_client.post(f"/console/exceptions/{exception.pk}/retry/").status_code == 403


def test_the_api_retries_routing_with_the_fulfillment_scope(make_api, settings):
    summary, exception = stuck_unrouted(settings)
    payments_only = make_api(scopes=["payments:write"])
    url = f"{API}/process-exceptions/{exception.pk}/actions/retry"

    assert payments_only.post(url, format="json").status_code == 403
    back_office = make_api()
    failed = back_office.post(url, format="json")
    assert failed.status_code == 409
    assert failed.json()["errors"][0]["errorCode"] == "RETRY_FAILED"
    assert failed.json()["errors"][0]["message"] == (
        "The retry failed again: No location set can ship this delivery group. The exception stays open."
    )
    exception.refresh_from_db()
    assert (exception.status, exception.message) == ("New", "No location set can ship this delivery group.")
    assert f"API: {back_office.record.name}" in exception.description

    stock("WH-R", A=5, B=5)
    done = back_office.post(url, format="json")
    assert done.status_code == 202, done.content
    (order,) = FulfillmentOrder.objects.filter(order_summary=summary)
    assert done.json() == {
        "backgroundOperationId": None,
        "retryKind": "route",
        "processExceptionStatus": "Resolved",
        "message": "Routed: 1 fulfillment order created.",
        "fulfillmentOrderIds": [str(order.pk)],
        "invoiceId": None,
        "success": True,
        "errors": [],
    }


def test_a_failed_routing_retry_leaves_one_open_exception_that_says_why_now(settings):
    """The sweeper's exception is retried twice without stock. Routing raises its own exception on the group each
    time; the retried exception now says the same thing (its history below), so routing's copy is settled at once:
    one open exception, the one retried, and the summary counts one."""
    summary, exception = stuck_unrouted(settings)
    for attempt in (1, 2):
        outcome = retry_process_exception(exception.pk)
        assert (outcome.resolved, outcome.message) == (False, "No location set can ship this delivery group.")
        open_ = ProcessException.objects.filter(order_summary=summary, status__in=("New", "Triaged")).order_by("pk")
        assert list(open_.values_list("pk", "message")) == [
            (exception.pk, "No location set can ship this delivery group.")
        ], attempt
        assert OrderSummary.objects.get(pk=summary.pk).active_process_exception_count == 1
    assert ProcessException.objects.get(pk=exception.pk).description.count("it failed again") == 2
    assert sweep_unrouted_summaries() == {"requeued": 0, "exceptions": 0}
