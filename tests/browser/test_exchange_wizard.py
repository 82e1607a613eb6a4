"""Issue 15 in a real Chromium: an agent exchanges a shipped unit for a dearer size, from the order page through
the wizard (choose → preview → submit), and follows the links between the original and the replacement.
At 1366 px (a laptop) and 390 px (a phone) nothing scrolls sideways; axe-core finds nothing serious.

Screenshots land in tests/browser/screenshots/ (git-ignored).
"""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Exchange
from tests.browser.conftest import screenshot, serious_violations, sign_in
from tests.browser.test_agent_changes import LAPTOP, PHONE, no_sideways_scroll
from tests.builders import items_by_sku
from tests.console.builders import shipped_and_paid

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "390"])
def test_agent_exchanges_a_shipped_unit_for_a_dearer_one(page, live_server, console_user, viewport):
    console_user("agent", "Agent")
    summary = shipped_and_paid()  # the §6 order, shipped and captured: 118.80
    sign_in(page, live_server, "agent")
    page.set_viewport_size(viewport)
    size = viewport["width"]
    page.goto(f"{live_server.url}/console/orders/{summary.pk}/")
    page.get_by_test_id("exchange").click()

    expect(page.get_by_role("heading", name=re.compile("Choose"))).to_be_visible()
    page.get_by_label("Item coming back").select_option(str(items_by_sku(summary)["A"].pk))
    page.get_by_label("Units coming back").fill("1")
    page.get_by_label("Reason").select_option("Wrong Item")
    page.get_by_label("Note (optional)").fill("Too small")
    page.get_by_label("Replacement SKU").fill("A-44")
    page.get_by_label("Replacement name").fill("Trail shoe 44")
    page.get_by_label("Replacement units").fill("1")
    page.get_by_label("Replacement unit price (USD)").fill("50.00")
    page.get_by_label("Tax rate (%)").fill("8")
    no_sideways_scroll(page, "the exchange wizard")
    screenshot(page, f"issue15-exchange-1-choose-{size}")
    page.get_by_role("button", name="Preview").click()

    preview = page.get_by_test_id("wizard-preview")
    expect(preview).to_be_visible()
    expect(page.get_by_role("button", name="Submit exchange")).to_be_focused()
    consequence = page.get_by_test_id("consequence")
    expect(consequence).to_contain_text("1 × Product A comes back, worth 43.20 USD.")
    expect(consequence).to_contain_text(
        "The customer pays 10.80 USD more, charged to Visa •••• 4242 when the new item ships."
    )
    expect(page.get_by_test_id("replacement-total")).to_have_text("54.00 USD")
    expect(page.get_by_test_id("to-charge")).to_have_text("10.80 USD")
    no_sideways_scroll(page, "the exchange preview")
    screenshot(page, f"issue15-exchange-2-preview-{size}")
    assert serious_violations(page) == []
    assert not Exchange.objects.exists()  # the preview wrote nothing

    page.keyboard.press("Enter")  # the focused Submit button
    page.wait_for_url(re.compile(rf"/console/orders/{summary.pk}/$"))
    expect(page.get_by_role("status").first).to_contain_text("Exchanged: the replacement order for Trail shoe 44")
    (exchange,) = Exchange.objects.all()
    replacement = exchange.exchange_summary
    exchanges = page.get_by_test_id("exchanges")
    expect(exchanges).to_contain_text("10.80 USD more charged when it ships")
    expect(page.locator("#timeline")).to_contain_text(f"Exchange: replacement order {replacement.order_number}")
    no_sideways_scroll(page, "the order page with its exchange")
    screenshot(page, f"issue15-exchange-3-original-{size}")

    exchanges.get_by_role("link", name=replacement.order_number).click()
    page.wait_for_url(re.compile(rf"/console/orders/{replacement.pk}/$"))
    expect(page.get_by_test_id("exchange-origin")).to_contain_text(summary.order_number)
    expect(page.locator("#timeline")).to_contain_text(f"Created by an exchange on order {summary.order_number}")
    no_sideways_scroll(page, "the replacement's order page")
    screenshot(page, f"issue15-exchange-4-replacement-{size}")
    assert serious_violations(page) == []

    # Back to the preview and submit again (the browser's back button): nothing is applied twice.
    page.go_back()
    page.go_back()
    if page.get_by_role("button", name="Submit exchange").count():
        page.get_by_role("button", name="Submit exchange").click()
    assert Exchange.objects.count() == 1


def test_agent_exchanges_waiting_for_the_return_on_a_phone(page, live_server, console_user):
    """The same exchange, the replacement shipped only after the return arrives: the consequence in words, then
    both order pages say what it waits for; at 390 px nothing scrolls sideways."""
    console_user("agent", "Agent")
    summary = shipped_and_paid()
    sign_in(page, live_server, "agent")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/console/orders/{summary.pk}/exchange/")
    page.get_by_label("Item coming back").select_option(str(items_by_sku(summary)["A"].pk))
    page.get_by_label("Reason").select_option("Wrong Item")
    page.get_by_label("Replacement SKU").fill("A-44")
    page.get_by_label("Replacement name").fill("Trail shoe 44")
    page.get_by_label("Replacement unit price (USD)").fill("50.00")
    page.get_by_label("Tax rate (%)").fill("8")
    page.get_by_label("Ship the replacement only after the return arrives").check()
    no_sideways_scroll(page, "the exchange wizard with the waiting choice")
    page.get_by_role("button", name="Preview").click()

    consequence = page.get_by_test_id("consequence")
    expect(consequence).to_contain_text(
        "A return order expects 1 × Product A, worth 43.20 USD if it comes back in good condition."
    )
    expect(consequence).to_contain_text("it ships only after the return arrives. No money moves until then.")
    expect(page.get_by_test_id("ships-when")).to_contain_text("after the return arrives")
    no_sideways_scroll(page, "the waiting exchange's preview")
    screenshot(page, "issue15-exchange-waiting-preview-390")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Submit exchange").click()

    page.wait_for_url(re.compile(rf"/console/orders/{summary.pk}/$"))
    (exchange,) = Exchange.objects.all()
    waiting = f"Waiting for the return {exchange.return_order_number}"
    expect(page.get_by_test_id("exchanges")).to_contain_text(waiting)
    no_sideways_scroll(page, "the order page with a waiting exchange")
    page.get_by_test_id("exchanges").get_by_role("link", name=exchange.exchange_summary.order_number).click()
    expect(page.get_by_test_id("exchange-origin")).to_contain_text(waiting)
    no_sideways_scroll(page, "the waiting replacement's order page")
    screenshot(page, "issue15-exchange-waiting-replacement-390")
