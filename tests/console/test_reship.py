"""The Reship wizard (issue 15): choose shipped units → preview where they ship from, at no charge → submit;
stale previews and double submits refused like the change wizards."""

import re
from decimal import Decimal as D

import pytest

from console.models import WizardSubmission
from orders.models import FulfillmentOrder, Reshipment
from orders.services.reships import ReshipItemInput, submit_reship
from tests.builders import items_by_sku
from tests.console.builders import shipped_and_paid
from tests.console.conftest import HTMX
from tests.fulfillment.helpers import make_location, on_hand_reserved, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped():
    summary = shipped_and_paid()
    make_location("WH-R", latitude=39.78, longitude=-89.65, name="Springfield warehouse")
    stock("WH-R", A=4, B=4)
    return summary


def url(summary):
    return f"/console/orders/{summary.pk}/reship/"


def token_of(body: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', body).group(1)


def test_the_order_page_offers_reship_and_the_wizard_lists_shipped_units(agent_client, shipped):
    page = agent_client.get(f"/console/orders/{shipped.pk}/").content.decode()
    assert 'data-testid="reship"' in page
    body = agent_client.get(url(shipped)).content.decode()
    assert 'data-sku="A"' in body and 'data-sku="B"' in body and 'data-sku="DELIVERY' not in body


def test_preview_then_submit_reships_at_no_charge(agent_client, shipped):
    a = items_by_sku(shipped)["A"]
    preview = agent_client.post(
        url(shipped), {"action": "preview", f"item-{a.pk}": "1", "reason": "Damaged", "note": "Box crushed"}, **HTMX
    )
    body = preview.content.decode()
    assert 'data-testid="wizard-preview"' in body
    assert "The customer pays nothing" in body
    assert "Springfield warehouse ships 1 × Product A" in body
    assert not Reshipment.objects.exists()

    done = agent_client.post(url(shipped), {"action": "submit", "token": token_of(body)}, **HTMX)
    assert done.headers["HX-Redirect"] == f"/console/orders/{shipped.pk}/"
    reshipment = Reshipment.objects.get()
    (order,) = FulfillmentOrder.objects.filter(reshipment=reshipment)
    assert reshipment.created_by.username == "agent" and order.grand_total_amount == 0
    assert items_by_sku(shipped)["A"].quantity_reshipped == 1
    assert on_hand_reserved("WH-R", "A") == (D(4), D(1))

    # The same preview again (a double click, back and resubmit): nothing more.
    again = agent_client.post(url(shipped), {"action": "submit", "token": token_of(body)}, **HTMX)
    assert again.status_code == 200 and Reshipment.objects.count() == 1

    page = agent_client.get(f"/console/orders/{shipped.pk}/").content.decode()
    assert "Reshipped at no charge on FO-" in page
    assert "Reshipment · no charge" in page
    assert f"Reshipment {reshipment.number} at no charge: 1 × Product A" in page
    assert "Damaged: Box crushed" in page


def test_a_claimed_token_is_refused_before_the_service(agent_client, shipped):
    a = items_by_sku(shipped)["A"]
    body = agent_client.post(url(shipped), {"action": "preview", f"item-{a.pk}": "1", "reason": "Damaged"}).content
    token = token_of(body.decode())
    WizardSubmission.objects.create(token=token, user=None, order_summary=shipped, kind="reship")
    agent_client.post(url(shipped), {"action": "submit", "token": token})
    assert not Reshipment.objects.exists()


def test_a_stale_preview_is_refused_and_previewed_again(agent_client, shipped):
    items = items_by_sku(shipped)
    body = agent_client.post(
        url(shipped), {"action": "preview", f"item-{items['A'].pk}": "2", "reason": "Damaged"}
    ).content.decode()
    # Meanwhile someone else reships one of the two units.
    submit_reship(shipped.pk, [ReshipItemInput(items["A"].pk, D(1), "Damaged")])
    answer = agent_client.post(url(shipped), {"action": "submit", "token": token_of(body)}).content.decode()
    assert "The order changed after your preview" in answer
    assert "Only 1 of A can be reshipped" in answer  # the fresh preview no longer fits: back to choose
    assert Reshipment.objects.count() == 1


def test_more_than_can_be_reshipped_is_shown_on_the_field(agent_client, shipped):
    b = items_by_sku(shipped)["B"]
    body = agent_client.post(
        url(shipped), {"action": "preview", f"item-{b.pk}": "2", "reason": "Damaged"}
    ).content.decode()
    assert 'data-testid="wizard-choose"' in body and 'aria-invalid="true"' in body
    stock("WH-R", B=0)
    body = agent_client.post(
        url(shipped), {"action": "preview", f"item-{b.pk}": "1", "reason": "Damaged"}
    ).content.decode()
    assert "No location can ship" in body
