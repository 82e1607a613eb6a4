"""Issue 12, rule 2 under concurrency (PostgreSQL, real threads and commits): a client's create-invoice
racing the automation that invoices a fulfillment order once it is Fulfilled. Whoever comes second gets
the invoice that exists; one invoice, paid once, by one capture; no process exception."""

from decimal import Decimal as D

import pytest

from orders.models import ApiClient, ProcessException
from orders.services.fulfillment_status import change_fulfillment_order_status
from payments.models import BackgroundOperation, Invoice, Payment, SandboxTransaction
from payments.services import money_follow_ups
from tests.builders import worked_example
from tests.fulfillment.helpers import make_location, place, stock
from tests.reliability.helpers import post, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FO = "/api/v1/commerce/fulfillment/fulfillment-orders"


@pytest.mark.parametrize("round_", range(3))
def test_manual_create_invoice_racing_the_automation_invoices_and_captures_once(settings, round_):
    settings.OMS_AUTO_INVOICE_AND_CAPTURE = False  # the automation is played by a thread below
    _, raw_key = ApiClient.issue(name=f"race-{round_}", scopes=["all"])
    summary = worked_example()  # 118.80 authorized
    location = make_location(f"WH-race-{round_}")
    stock(location.external_reference, A=5, B=5)
    items = {ois.sku: ois for ois in summary.item_summaries.all()}
    (fulfillment_order,) = place(summary, (location, [(items["A"], 2), (items["B"], 1)]))
    change_fulfillment_order_status(fulfillment_order.pk, "Fulfilled")

    def work(index):
        if index == 0:
            return money_follow_ups.invoice_and_capture(fulfillment_order.pk, summary.pk)
        return post(raw_key, f"{FO}/{fulfillment_order.pk}/actions/create-invoice", {})

    outcomes = run_together(work, 2)
    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert outcomes[1].status_code in (200, 201), outcomes[1].content
    (invoice,) = Invoice.objects.filter(order_summary=summary)
    assert outcomes[1].json()["invoiceId"] == str(invoice.pk)
    # Paid once, by one capture, whichever thread made the invoice.
    assert (invoice.total_amount_with_tax, invoice.balance) == (D("118.80"), D("0"))
    (capture,) = Payment.objects.filter(order_payment_summary__order_summary=summary, kind="Capture")
    assert (capture.amount, capture.status) == (D("118.80"), "Processed")
    assert SandboxTransaction.objects.filter(interaction_type="Capture").count() == 1
    assert BackgroundOperation.objects.filter(order_summary=summary, type="EnsureFunds").count() == 1
    assert not ProcessException.objects.filter(order_summary=summary).exists()


def test_two_clients_creating_the_invoice_at_once_get_the_same_one():
    _, raw_key = ApiClient.issue(name="race-clients", scopes=["all"])
    summary = worked_example()
    location = make_location("WH-race-clients")
    stock(location.external_reference, A=5, B=5)
    items = {ois.sku: ois for ois in summary.item_summaries.all()}
    (fulfillment_order,) = place(summary, (location, [(items["A"], 2), (items["B"], 1)]))
    from django.test import override_settings

    with override_settings(OMS_AUTO_INVOICE_AND_CAPTURE=False):
        change_fulfillment_order_status(fulfillment_order.pk, "Fulfilled")
    outcomes = run_together(lambda index: post(raw_key, f"{FO}/{fulfillment_order.pk}/actions/create-invoice", {}), 4)
    assert sorted(outcome.status_code for outcome in outcomes) == [200, 200, 200, 201]
    assert len({outcome.json()["invoiceId"] for outcome in outcomes}) == 1
    assert Invoice.objects.filter(order_summary=summary).count() == 1
