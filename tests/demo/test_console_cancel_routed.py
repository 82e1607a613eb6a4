"""The Cancel wizard and the whole-order cancel on routed demo orders (issue 13, points 1, 2 and 5):
orders are routed within seconds of arriving, and agents can still cancel them.

US-10015 (ALLOCATED story, USD, tax on top): Trail Cap 22.95 + 1.89 tax, Ridgeline Trail Running Shoe
144.95 + 11.96, Ground delivery 6.95 + 0.57; grand total 189.27; every unit on one fulfillment order (Allocated);
authorized, nothing captured. EU-10009 (ALLOCATED, EUR, VAT included): Heritage Fleece Hoodie 69.95,
2 × Featherweight Wind Jacket 219.90, Trail Cap 24.95, Standard delivery 4.95; grand total 319.75, all on
one fulfillment order (Allocated). EU-10002 (PICKPACK story): its fulfillment order is being picked.
Fulfillment-order numbers come from a database sequence, so they depend on what ran before: the tests
look their fulfillment orders up by summary.
"""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from orders.models import FulfillmentOrder, OrderSummary
from payments.models import AgentRefund

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def agent_client(demo):
    client = Client()
    client.force_login(User.objects.get(username="agent"))
    return client


def summary(number) -> OrderSummary:
    return OrderSummary.objects.get(order_number=number)


def token_of(body: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', body).group(1)


def test_cancel_wizard_cancels_units_allocated_to_a_fulfillment_order_not_yet_picked(agent_client):
    order = summary("US-10015")
    cap = order.item_summaries.get(sku="AP-CAP-06")
    url = f"/console/orders/{order.pk}/cancel/"
    page = agent_client.get(f"/console/orders/{order.pk}/").content.decode()
    assert "Cancel items</a>" in page and 'data-testid="cancel-order"' in page

    choose = agent_client.get(url).content.decode()
    # Every unit is on the fulfillment order: none unallocated, one on an order not yet picked.
    assert f'data-testid="allocated-{cap.pk}">1<' in choose
    assert "Also cancel units allocated to fulfillment orders not yet picked" in choose
    assert "Ground delivery" in choose  # delivery charges are listed too

    refused = agent_client.post(url, {"action": "preview", f"item-{cap.pk}": "1", "reason": "Damaged"})
    body = refused.content.decode()
    assert 'data-testid="wizard-choose"' in body and 'data-testid="wizard-preview"' not in body
    assert "field-error" in body or "notice--error" in body

    body = agent_client.post(
        url, {"action": "preview", f"item-{cap.pk}": "1", "reason": "Damaged", "cancel_allocated": "on"}
    ).content.decode()
    assert 'data-testid="wizard-preview"' in body
    # 22.95 + 1.89 tax = 24.84 off; 189.27 − 24.84 = 164.43.
    assert 'data-testid="grand-total-reduction">24.84 USD<' in body
    assert 'data-testid="new-grand-total">164.43 USD<' in body
    fulfillment_order = FulfillmentOrder.objects.get(order_summary=order)
    lines = re.search(r'data-testid="line-cancels">(.*?)</table>', body, re.S).group(1)
    assert fulfillment_order.number in lines and "Trail Cap" in lines and "becomes Cancelled" not in lines
    assert "No money goes back now" in body
    assert 'autofocus data-testid="wizard-submit">Submit cancel<' in body

    agent_client.post(url, {"action": "submit", "token": token_of(body)})
    cap.refresh_from_db()
    order.refresh_from_db()
    assert (cap.quantity_canceled, cap.quantity_allocated, cap.status) == (1, 0, "CANCELED")
    assert order.grand_total_amount == D("164.43")
    fulfillment_order.refresh_from_db()
    assert fulfillment_order.status == "Allocated"
    assert fulfillment_order.lines.get(sku="AP-CAP-06").quantity == 0
    assert not AgentRefund.objects.filter(order_summary=order).exists()  # nothing was captured


def test_cancel_order_cancels_everything_still_cancelable_on_a_routed_order(agent_client):
    order = summary("EU-10009")
    url = f"/console/orders/{order.pk}/cancel-order/"
    choose = agent_client.get(url).content.decode()
    assert 'data-testid="wizard-choose"' in choose and "Featherweight Wind Jacket" in choose
    assert "Standard delivery" in choose and 'name="item-' not in choose  # listed, not chosen

    body = agent_client.post(
        url, {"action": "preview", "reason": "Customer Changed Mind", "note": "Ordered twice"}
    ).content.decode()
    assert 'data-testid="wizard-preview"' in body
    assert 'data-testid="grand-total-reduction">319.75 EUR<' in body
    assert 'data-testid="new-grand-total">0.00 EUR<' in body
    number = FulfillmentOrder.objects.get(order_summary=order).number
    lines = re.search(r'data-testid="line-cancels">(.*?)</table>', body, re.S).group(1)
    assert lines.count(number) == 4 and "becomes Cancelled" in lines
    assert "Submit order cancel" in body

    response = agent_client.post(url, {"action": "submit", "token": token_of(body)}, follow=True)
    assert "Order canceled: the order&#x27;s grand total went down by 319.75 EUR." in response.content.decode()
    order.refresh_from_db()
    assert (order.status, order.grand_total_amount) == ("Canceled", 0)
    assert FulfillmentOrder.objects.get(order_summary=order).status == "Cancelled"
    assert set(order.item_summaries.values_list("quantity_canceled", "quantity_ordered")) == {
        (D(1), D(1)),
        (D(2), D(2)),
    }
    # The order page now offers no cancel at all.
    page = agent_client.get(f"/console/orders/{order.pk}/").content.decode()
    assert "Cancel items</a>" not in page and 'data-testid="cancel-order"' not in page


def test_an_order_being_picked_offers_no_cancel(agent_client):
    order = summary("EU-10002")
    page = agent_client.get(f"/console/orders/{order.pk}/").content.decode()
    assert 'data-testid="cancel-order"' not in page
    body = agent_client.get(f"/console/orders/{order.pk}/cancel-order/").content.decode()
    assert "Nothing on this order can be canceled now" in body
