"""Return orders in the console (issue 15, point 1): listed on the order page and in the timeline, created by
the Return order wizard with a preview of what is credited when received, received on the Receive screen
(restock or reject) with the refund through the agent-refund path."""

import re
from decimal import Decimal as D

import pytest

from console.models import WizardSubmission
from orders.calculations.inputs import ChangeItemInput
from orders.models import ReturnOrder, ReturnOrderLineItem
from orders.services.simple_return import submit_return
from payments.models import AgentRefund, CreditMemo, Invoice
from tests.builders import items_by_sku
from tests.console.builders import shipped_and_paid
from tests.console.conftest import HTMX
from tests.fulfillment.helpers import make_location, on_hand_reserved, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped():
    summary = shipped_and_paid()
    location = make_location("RET-1", name="Returns centre")
    stock("RET-1", A=0)
    summary.returns_location = location
    return summary


def new_url(summary):
    return f"/console/orders/{summary.pk}/return-orders/new/"


def token_of(body: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', body).group(1)


def choose(summary, **extra):
    a = items_by_sku(summary)["A"]
    return {
        "action": "preview",
        f"item-{a.pk}": "2",
        "reason": "Damaged",
        "destination": summary.returns_location.pk,
        "fee_type": "Percentage",
        "fee_amount": "10",
        "fee_description": "Restocking fee",
        **extra,
    }


def test_preview_shows_what_is_credited_when_received_and_submit_creates_the_return_order(agent_client, shipped):
    body = agent_client.post(new_url(shipped), choose(shipped), **HTMX).content.decode()
    assert 'data-testid="wizard-preview"' in body
    # 2 × A = 80.00 + 6.40 tax; the 10 % fee 8.00 + 0.64.
    assert re.search(r'data-testid="grand-total-reduction">86\.40 USD<', body)
    assert re.search(r'data-testid="fee">8\.64 USD<', body)
    assert "A credit memo of 86.40 USD will be created and refunded" in body
    assert "A fee of 8.64 USD will be invoiced and paid out of the refund" in body
    assert not ReturnOrder.objects.exists()

    done = agent_client.post(new_url(shipped), {"action": "submit", "token": token_of(body)}, **HTMX)
    assert done.headers["HX-Redirect"] == f"/console/orders/{shipped.pk}/"
    return_order = ReturnOrder.objects.get()
    (line,) = return_order.lines.all()
    assert (line.quantity_expected, line.reason_for_return, return_order.destination_location.name) == (
        2,
        "Damaged",
        "Returns centre",
    )
    assert list(line.fees.values_list("amount_type", "amount", "description")) == [
        ("Percentage", D(10), "Restocking fee")
    ]
    assert not CreditMemo.objects.filter(order_summary=shipped).exists()  # nothing refunded before receipt
    again = agent_client.post(new_url(shipped), {"action": "submit", "token": token_of(body)}, **HTMX)
    assert again.status_code == 200 and ReturnOrder.objects.count() == 1

    page = agent_client.get(f"/console/orders/{shipped.pk}/").content.decode()
    assert f'data-testid="return-order-{return_order.number}"' in page
    assert "Restocking fee: 10 % of the price" in page
    assert f"Return order {return_order.number} created: 2 × Product A expected at Returns centre" in page
    assert f'data-testid="receive-{return_order.number}"' in page


def test_a_stale_preview_is_refused(agent_client, shipped):
    body = agent_client.post(new_url(shipped), choose(shipped)).content.decode()
    submit_return(shipped.pk, [ChangeItemInput(items_by_sku(shipped)["B"].pk, D(1), "Damaged")], actor=None)
    answer = agent_client.post(new_url(shipped), {"action": "submit", "token": token_of(body)}).content.decode()
    assert "The order changed after your preview" in answer and 'data-testid="wizard-preview"' in answer
    assert not ReturnOrder.objects.exists()


def test_a_fee_above_the_credit_is_shown_on_the_fee(agent_client, shipped):
    body = agent_client.post(
        new_url(shipped), choose(shipped, fee_type="AmountWithoutTax", fee_amount="500")
    ).content.decode()
    assert 'data-testid="wizard-choose"' in body and "exceed" in body


def make_return_order(agent_client, shipped) -> ReturnOrder:
    body = agent_client.post(new_url(shipped), choose(shipped)).content.decode()
    agent_client.post(new_url(shipped), {"action": "submit", "token": token_of(body)})
    return ReturnOrder.objects.get()


def receive_url(return_order):
    return f"/console/return-orders/{return_order.pk}/receive/"


def test_receive_in_two_parts_restock_and_reject(agent_client, shipped, django_capture_on_commit_callbacks):
    return_order = make_return_order(agent_client, shipped)
    line = return_order.lines.get()
    form = agent_client.get(receive_url(return_order)).content.decode()
    assert 'data-testid="receive-form"' in form and "Restocking fee" in form

    with django_capture_on_commit_callbacks(execute=True):
        done = agent_client.post(receive_url(return_order), {"token": token_of(form), f"restock-{line.pk}": "1"})
    assert done.status_code == 302 and "awaiting=" in done.url
    refund = AgentRefund.objects.get()
    assert (refund.amount, refund.status) == (D("43.20"), "Released")
    assert on_hand_reserved("RET-1", "A") == (D(1), D(0))
    fee_invoice = Invoice.objects.filter(order_summary=shipped, fulfillment_order__isnull=True).get()
    assert (fee_invoice.total_amount_with_tax, fee_invoice.balance) == (D("4.32"), D("0.00"))

    rest = ReturnOrderLineItem.objects.get(return_order=return_order, is_processed=False)
    form = agent_client.get(receive_url(return_order)).content.decode()
    missing_reason = agent_client.post(
        receive_url(return_order), {"token": token_of(form), f"reject-{rest.pk}": "1"}
    ).content.decode()
    assert "Say why the units were rejected" in missing_reason
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(
            receive_url(return_order),
            {"token": token_of(missing_reason), f"reject-{rest.pk}": "1", f"why-{rest.pk}": "Worn, not as sent"},
        )
    rest.refresh_from_db()
    assert (rest.quantity_rejected, rest.quantity_received, rest.quantity_returned, rest.reason_for_rejection) == (
        1,
        1,
        0,
        "Worn, not as sent",
    )
    assert on_hand_reserved("RET-1", "A") == (D(1), D(0))  # the rejected unit is not restocked
    assert AgentRefund.objects.count() == 1  # nothing refunded for it
    return_order.refresh_from_db()
    assert return_order.status == "Closed"

    page = agent_client.get(f"/console/orders/{shipped.pk}/").content.decode()
    assert f"Return order {return_order.number} received: Product A: 1 returned" in page
    assert f"Return order {return_order.number} received: Product A: 1 rejected" in page
    assert f'data-testid="receive-{return_order.number}"' not in page
    # Closed: the screen says there is nothing left.
    assert agent_client.get(receive_url(return_order)).status_code == 302


def test_a_receipt_submitted_twice_is_recorded_once(agent_client, shipped):
    return_order = make_return_order(agent_client, shipped)
    line = return_order.lines.get()
    token = token_of(agent_client.get(receive_url(return_order)).content.decode())
    WizardSubmission.objects.create(token=token, user=None, order_summary=shipped, kind="receive")
    agent_client.post(receive_url(return_order), {"token": token, f"restock-{line.pk}": "1"})
    line.refresh_from_db()
    assert not line.is_processed
