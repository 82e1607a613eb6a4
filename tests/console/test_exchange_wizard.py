"""The Exchange wizard (issue 15): choose → preview → submit on the exchange service, both order pages linked.

The §6 order shipped whole and captured (118.80): one A back is worth 40.00 + 3.20 = 43.20.
"""

import re
from decimal import Decimal

import pytest

from console.models import WizardSubmission
from orders.calculations.inputs import ChangeItemInput
from orders.models import Exchange, OrderSummary
from orders.services.returns import submit_return
from tests.builders import items_by_sku, worked_example
from tests.console.builders import shipped_and_paid
from tests.console.conftest import HTMX

pytestmark = pytest.mark.django_db


def url(summary):
    return f"/console/orders/{summary.pk}/exchange/"


def token_of(body: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', body).group(1)


def choices(summary, *, price="50.00", rate="8", quantity="1", sku="A-44"):
    return {"item": str(items_by_sku(summary)["A"].pk), "quantity": quantity, "reason": "Wrong Item",
            "note": "Too small", "sku": sku, "name": "Trail shoe 44", "new_quantity": "1", "unit_price": price,
            "tax_rate": rate}


def preview(client, summary, data, **extra):
    return client.post(url(summary), {"action": "preview", **data}, **extra)


def test_the_order_page_offers_the_exchange_once_units_shipped(agent_client):
    unshipped = worked_example()
    assert 'data-testid="exchange"' not in agent_client.get(f"/console/orders/{unshipped.pk}/").content.decode()
    assert "Nothing on this order can be exchanged now" in agent_client.get(url(unshipped)).content.decode()
    summary = shipped_and_paid()
    assert 'data-testid="exchange"' in agent_client.get(f"/console/orders/{summary.pk}/").content.decode()
    body = agent_client.get(url(summary)).content.decode()
    assert 'data-testid="wizard-choose"' in body and "2 can come back" in body


@pytest.mark.parametrize("price, rate, sentence, charge, refund", [
    ("50.00", "8", "The customer pays 10.80 USD more, charged to Visa •••• 4242 when the new item ships.",
     "10.80", "0.00"),
    ("30.00", "8", "10.80 USD will be refunded to Visa •••• 4242.", "0.00", "10.80"),
    ("40.00", "8", "The customer pays nothing more and gets nothing back.", "0.00", "0.00"),
])
def test_preview_says_what_the_customer_pays_or_gets_back_and_writes_nothing(agent_client, price, rate, sentence,
                                                                             charge, refund):
    summary = shipped_and_paid()
    body = preview(agent_client, summary, choices(summary, price=price, rate=rate)).content.decode()
    assert 'data-testid="wizard-preview"' in body
    assert "1 × Product A comes back, worth 43.20 USD." in body
    assert sentence in body
    assert f'data-testid="to-charge">{charge} USD<' in body
    assert f'data-testid="to-refund">{refund} USD<' in body
    assert Exchange.objects.count() == 0 and OrderSummary.objects.count() == 1


def test_submit_creates_the_linked_replacement_once(agent_client, agent):
    summary = shipped_and_paid()
    token = token_of(preview(agent_client, summary, choices(summary)).content.decode())
    response = agent_client.post(url(summary), {"action": "submit", "token": token})
    assert response.status_code == 302 and response["Location"] == f"/console/orders/{summary.pk}/"
    (exchange,) = Exchange.objects.all()
    replacement = exchange.exchange_summary
    assert (exchange.created_by, exchange.amount_to_charge, replacement.source_order_summary_id) == (
        agent, Decimal("10.80"), summary.pk)

    # The same token again (a double click, the back button): refused before the service, nothing more.
    again = agent_client.post(url(summary), {"action": "submit", "token": token})
    assert again.status_code == 302 and Exchange.objects.count() == 1

    original_page = agent_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert f'href="/console/orders/{replacement.pk}/">{replacement.order_number}</a>' in original_page
    assert f"Exchange: replacement order {replacement.order_number} created; 10.80 USD more charged at " \
           "shipment" in original_page
    replacement_page = agent_client.get(f"/console/orders/{replacement.pk}/").content.decode()
    assert 'data-testid="exchange-origin"' in replacement_page
    assert f'href="/console/orders/{summary.pk}/">{summary.order_number}</a>' in replacement_page
    assert f"Created by an exchange on order {summary.order_number}: 43.20 USD paid by the returned units" \
        in replacement_page


def test_a_second_session_replaying_the_token_is_refused_by_the_claim(agent, agent_client):
    summary = shipped_and_paid()
    token = token_of(preview(agent_client, summary, choices(summary)).content.decode())
    WizardSubmission.objects.create(token=token, order_summary=summary, kind="exchange", user=agent)
    assert agent_client.post(url(summary), {"action": "submit", "token": token}).status_code == 302
    assert not Exchange.objects.exists()


def test_a_stale_preview_is_not_applied_and_a_fresh_one_is_shown(agent_client, agent):
    summary = shipped_and_paid()
    token = token_of(preview(agent_client, summary, choices(summary)).content.decode())
    # Someone returns one A meanwhile: the version moves on; one A can still come back.
    submit_return(summary.pk, [ChangeItemInput(items_by_sku(summary)["A"].pk, Decimal(1), "Damaged")], actor=agent)
    body = agent_client.post(url(summary), {"action": "submit", "token": token}).content.decode()
    assert "The order changed after your preview, so nothing was applied." in body
    assert 'data-testid="wizard-preview"' in body and token_of(body) != token
    assert not Exchange.objects.exists()


def test_service_errors_are_shown_next_to_the_fields(agent_client):
    summary = shipped_and_paid()
    body = preview(agent_client, summary, choices(summary, quantity="3")).content.decode()
    assert 'data-testid="wizard-choose"' in body
    assert 'id="id_quantity-error"><ul class="errorlist"><li>' in body
    htmx = preview(agent_client, summary, choices(summary, price="-1"), **HTMX).content.decode()
    assert "<html" not in htmx and 'id="id_unit_price-error"><ul class="errorlist"><li>' in htmx
