"""The process exception queue: filters, status changes through the service, supervisor only."""

import pytest

from orders.models import OrderSummary, ProcessException
from tests.builders import worked_example
from tests.console.conftest import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(db):
    summary = worked_example()
    payment = ProcessException.objects.create(
        order_summary=summary, category="Payment", severity="High", message="Capture declined"
    )
    fulfillment = ProcessException.objects.create(
        order_summary=summary,
        category="Fulfillment",
        severity="Low",
        message="No stock at any location",
        status="Triaged",
    )
    OrderSummary.objects.filter(pk=summary.pk).update(active_process_exception_count=2)
    return summary, payment, fulfillment


def test_full_page_lists_every_exception_with_a_link_to_its_order(supervisor_client, queue):
    summary, _, _ = queue
    body = supervisor_client.get("/console/exceptions/").content.decode()
    assert "<html" in body
    assert "Capture declined" in body and "No stock at any location" in body
    assert f'href="/console/orders/{summary.pk}/"' in body


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"category": "Payment"}, "Capture declined", "No stock"),
        ({"severity": "Low"}, "No stock", "Capture declined"),
        ({"status": "Triaged"}, "No stock", "Capture declined"),
    ],
)
def test_filters_return_the_fragment(supervisor_client, queue, params, shown, hidden):
    body = supervisor_client.get("/console/exceptions/", params, **HTMX).content.decode()
    assert "<html" not in body
    assert shown in body and hidden not in body


def test_unknown_filter_value_shows_the_error_state(supervisor_client, queue):
    body = supervisor_client.get("/console/exceptions/", {"status": "Bogus"}, **HTMX).content.decode()
    assert "Check the filters" in body


def test_empty_queue_has_a_designed_state(supervisor_client):
    assert "The queue is clear" in supervisor_client.get("/console/exceptions/").content.decode()


def test_resolving_through_htmx_swaps_the_row_and_recounts_active_exceptions(supervisor_client, queue):
    summary, payment, _ = queue
    response = supervisor_client.post(f"/console/exceptions/{payment.pk}/status/", {"status": "Resolved"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="exception-{payment.pk}"')
    assert "Marked resolved." in body
    payment.refresh_from_db()
    summary.refresh_from_db()
    assert payment.status == "Resolved"
    # Two were active (New, Triaged); one resolved leaves one.
    assert summary.active_process_exception_count == 1


def test_status_change_without_htmx_redirects_with_a_message(supervisor_client, queue):
    _, payment, _ = queue
    response = supervisor_client.post(
        f"/console/exceptions/{payment.pk}/status/", {"status": "Ignored", "next": "/console/exceptions/?status=New"}
    )
    assert response.status_code == 302 and response["Location"] == "/console/exceptions/?status=New"
    payment.refresh_from_db()
    assert payment.status == "Ignored"


def test_a_status_the_queue_does_not_offer_is_refused_next_to_the_row(supervisor_client, queue):
    _, payment, _ = queue
    body = supervisor_client.post(
        f"/console/exceptions/{payment.pk}/status/", {"status": "Voided"}, **HTMX
    ).content.decode()
    assert 'role="alert"' in body and "Voided is not one of the available choices" in body
    payment.refresh_from_db()
    assert payment.status == "New"


def test_agent_cannot_change_an_exception(agent_client, queue):
    _, payment, _ = queue
    assert agent_client.post(f"/console/exceptions/{payment.pk}/status/", {"status": "Resolved"}).status_code == 403
    payment.refresh_from_db()
    assert payment.status == "New"


def test_status_change_needs_post(supervisor_client, queue):
    _, payment, _ = queue
    assert supervisor_client.get(f"/console/exceptions/{payment.pk}/status/").status_code == 405


def test_status_change_without_csrf_token_is_refused(supervisor, queue):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor)
    _, payment, _ = queue
    assert client.post(f"/console/exceptions/{payment.pk}/status/", {"status": "Resolved"}).status_code == 403


def failed_refund():
    """§6 order shipped, paid 118.80, 1 × A returned (credit memo 43.20); the card refuses refunds."""
    from payments.services.credit_memo_create import create_credit_memo
    from payments.services.ensure_funds import submit_ensure_funds
    from payments.services.ensure_refunds import submit_ensure_refunds
    from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
    from tests.payments.money_builders import invoice_everything, return_one_a, run, set_token

    summary = worked_example()
    set_token(summary, "tok_visa")
    invoice = invoice_everything(summary)
    run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)))
    set_token(summary, "tok_error")
    change = return_one_a(summary)
    memo = create_credit_memo(summary.pk, [change.pk])
    operation = run(submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk)))
    set_token(summary, "tok_visa")
    return summary, operation, ProcessException.objects.get(order_summary=summary, category="Payment")


def test_retry_of_a_failed_refund_queues_a_new_operation_and_resolves_the_exception(supervisor_client):
    from payments.models import BackgroundOperation

    summary, failed, exception = failed_refund()
    queue_page = supervisor_client.get("/console/exceptions/").content.decode()
    assert f'action="/console/exceptions/{exception.pk}/retry/"' in queue_page

    response = supervisor_client.post(f"/console/exceptions/{exception.pk}/retry/")
    assert response.status_code == 302 and response["Location"] == f"/console/orders/{summary.pk}/"
    retried = BackgroundOperation.objects.get(retry_of=failed)
    assert retried.created_by.username == "supervisor"
    exception.refresh_from_db()
    assert exception.status == "Resolved"

    again = supervisor_client.post(f"/console/exceptions/{exception.pk}/retry/", follow=True)
    assert "could not be retried: This exception is Resolved" in again.content.decode()
    assert BackgroundOperation.objects.filter(retry_of=failed).count() == 1


def test_agent_cannot_retry(agent_client, queue):
    _, payment, _ = queue
    assert agent_client.post(f"/console/exceptions/{payment.pk}/retry/").status_code == 403


def test_next_never_leads_off_site(supervisor_client, queue):
    _, payment, _ = queue
    response = supervisor_client.post(
        f"/console/exceptions/{payment.pk}/status/", {"status": "Triaged", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/console/exceptions/"
