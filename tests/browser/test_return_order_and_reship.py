"""Issue 15 in a real Chromium: an agent reships a damaged unit at no charge, and makes a return order with a
restocking fee, previews what it credits, then receives it in two parts (one unit restocked, one rejected);
the screens fit a laptop and a phone without sideways scrolling and pass axe-core.

Screenshots land in tests/browser/screenshots/ (git-ignored).
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.models import FulfillmentOrder, Reshipment, ReturnOrder
from payments.models import AgentRefund
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_agent_changes import LAPTOP, PHONE, no_serious_violations, no_sideways_scroll
from tests.builders import items_by_sku
from tests.console.builders import shipped_and_paid
from tests.fulfillment.helpers import make_location, on_hand_reserved, stock

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_agent_reships_a_damaged_unit_at_no_charge(page, live_server, console_user):
    console_user("agent", "Agent")
    summary = shipped_and_paid()
    make_location("WH-R", latitude=39.78, longitude=-89.65, name="Springfield warehouse")
    stock("WH-R", A=5)
    sign_in(page, live_server, "agent")
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server.url}/console/orders/{summary.pk}/")
    page.get_by_test_id("reship").click()
    expect(page.get_by_role("heading", name=re.compile("Choose the shipped units"))).to_be_visible()
    page.get_by_label("Units of Product A to reship").fill("1")
    page.get_by_label("Reason").select_option("Damaged")
    page.get_by_label("Note (optional)").fill("Parcel arrived crushed")
    no_sideways_scroll(page, "the reship wizard")
    no_serious_violations(page, "the reship wizard")
    screenshot(page, "issue15-reship-1-choose-1366")
    page.get_by_role("button", name="Preview").click()

    consequence = page.get_by_test_id("consequence")
    expect(consequence).to_contain_text("The customer pays nothing")
    expect(consequence).to_contain_text("Springfield warehouse ships 1 × Product A")
    expect(page.get_by_test_id("amount-to-charge")).to_have_text("0.00 USD")
    expect(page.get_by_role("button", name="Submit reshipment")).to_be_focused()
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page, "the reship preview on a phone")
    screenshot(page, "issue15-reship-2-preview-390")
    page.set_viewport_size(LAPTOP)
    no_serious_violations(page, "the reship preview")

    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/console/orders/{summary.pk}/$"))
    expect(page.get_by_role("status").first).to_contain_text("Reshipped at no charge on FO-")
    expect(page.get_by_text("Reshipment · no charge")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("at no charge: 1 × Product A")
    screenshot(page, "issue15-reship-3-after-1366")
    reshipment = Reshipment.objects.get()
    (order,) = FulfillmentOrder.objects.filter(reshipment=reshipment)
    assert order.grand_total_amount == 0 and reshipment.created_by.username == "agent"
    assert items_by_sku(summary)["A"].quantity_reshipped == 1


def test_agent_makes_a_return_order_and_receives_it_in_two_parts(page, live_server, console_user):
    console_user("agent", "Agent")
    summary = shipped_and_paid()
    make_location("RET-1", name="Returns centre")
    stock("RET-1", A=0)
    sign_in(page, live_server, "agent")
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server.url}/console/orders/{summary.pk}/")
    page.get_by_test_id("return-order").click()
    expect(page.get_by_role("heading", name=re.compile("Choose the units"))).to_be_visible()
    page.get_by_label("Units of Product A expected back").fill("2")
    page.get_by_label("Reason for return").select_option("Damaged")
    page.get_by_label("Goes back to").select_option(label="Returns centre (RET-1)")
    page.get_by_label("Restocking fee").select_option("Percentage")
    page.get_by_label("Fee (percent or amount)").fill("10")
    no_sideways_scroll(page, "the return order wizard")
    no_serious_violations(page, "the return order wizard")
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_test_id("grand-total-reduction")).to_have_text("86.40 USD")
    expect(page.get_by_test_id("fee")).to_have_text("8.64 USD")
    consequence = page.get_by_test_id("consequence")
    expect(consequence).to_contain_text("Nothing is refunded now")
    expect(consequence).to_contain_text("A credit memo of 86.40 USD will be created and refunded to Visa")
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page, "the return order preview on a phone")
    screenshot(page, "issue15-return-order-preview-390")
    page.set_viewport_size(LAPTOP)
    no_serious_violations(page, "the return order preview")
    page.get_by_role("button", name="Create return order").click()
    page.wait_for_url(re.compile(rf"/console/orders/{summary.pk}/$"))
    return_order = ReturnOrder.objects.get()
    expect(page.get_by_test_id(f"return-order-{return_order.number}")).to_contain_text("Restocking fee: 10 %")

    # First parcel: one unit in good condition.
    page.get_by_test_id(f"receive-{return_order.number}").click()
    page.get_by_label("Units of Product A received in good condition: refund and restock").fill("1")
    no_sideways_scroll(page, "the receive screen")
    no_serious_violations(page, "the receive screen")
    screenshot(page, "issue15-receive-1-1366")
    page.get_by_test_id("receive-submit").click()
    page.wait_for_url(re.compile(rf"/console/orders/{summary.pk}/(\?awaiting=\d+)?$"))
    expect(page.get_by_role("status").first).to_contain_text(f"Received on return order {return_order.number}")

    # Second parcel: the other unit, rejected.
    page.get_by_test_id(f"receive-{return_order.number}").click()
    page.get_by_label("Units of Product A received and rejected: no refund, not restocked").fill("1")
    page.get_by_label("Why units of Product A were rejected").fill("Worn, not the unit we sent")
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page, "the receive screen on a phone")
    page.set_viewport_size(LAPTOP)
    page.get_by_test_id("receive-submit").click()
    page.wait_for_url(re.compile(rf"/console/orders/{summary.pk}/(\?awaiting=\d+)?$"))
    lines = page.get_by_test_id(f"return-order-{return_order.number}")
    expect(lines).to_contain_text("Closed")
    expect(lines).to_contain_text("Worn, not the unit we sent")
    expect(page.locator("#timeline")).to_contain_text(f"Return order {return_order.number} received")
    screenshot(page, "issue15-receive-2-after-1366")
    assert on_hand_reserved("RET-1", "A") == (Decimal(1), Decimal(0))
    refund = AgentRefund.objects.get()
    assert (refund.kind, refund.amount) == ("return", Decimal("43.20"))
