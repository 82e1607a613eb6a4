"""Issue 13 in a real Chromium: an agent cancels a routed order end to end, a supervisor approves a refund
from the queue, and the wizards at 1366 px (a laptop) and 390 px (a phone) never scroll sideways.

Screenshots land in tests/browser/screenshots/ (git-ignored).
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.calculations.inputs import ChangeItemInput
from orders.models import FulfillmentOrder, OrderSummary
from orders.services.route_summary import route_order_summary
from payments.models import AgentRefund, OrderPaymentSummary
from payments.services.agent_changes import submit_agent_change
from tests.browser.conftest import screenshot, serious_violations, sign_in
from tests.builders import address, ingest, item, items_by_sku, order_body
from tests.console.builders import paid_at_checkout
from tests.fulfillment.helpers import make_location, stock

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page, what: str) -> None:
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    # What sticks out (outside the scrolling table frames), to say where to look when it fails.
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !el.closest('.table-wrap'))
        .slice(0, 3).map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))""")
    assert width <= inner, f"{what} scrolls sideways: {width} > {inner}: {wide}"


def no_serious_violations(page, what: str) -> None:
    violations = serious_violations(page)
    assert violations == [], f"axe-core on {what}: {violations}"


def routed_paid_order() -> OrderSummary:
    """The §6 order (A 2 × 40.00, B 1 × 20.00, delivery 10.00, 8 %; 118.80 paid by a Visa sale), routed to
    the one stocked warehouse: every unit on one Allocated fulfillment order."""
    make_location("WH-EAST", latitude=40.7, longitude=-74.0)
    stock("WH-EAST", A=10, B=10)
    summary = paid_at_checkout()
    outcome = route_order_summary(summary.pk)
    assert len(outcome.fulfillment_order_ids) == 1 and not outcome.unrouted_group_ids
    return summary


def test_agent_cancels_a_routed_order_end_to_end(page, live_server, console_user):
    console_user("agent", "Agent")
    summary = routed_paid_order()
    [fulfillment_order] = FulfillmentOrder.objects.filter(order_summary=summary)
    assert fulfillment_order.status == "Allocated"
    sign_in(page, live_server, "agent")
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server.url}/console/orders/{summary.pk}/")
    screenshot(page, "issue13-order-routed-1366")
    # The items table fits a laptop: nothing to scroll sideways, in the page or in the table's frame.
    no_sideways_scroll(page, "the order page")
    assert page.locator("#items .table-wrap").evaluate("el => el.scrollWidth <= el.clientWidth")

    page.get_by_test_id("cancel-order").click()
    expect(page.get_by_role("heading", name=re.compile("Choose"))).to_be_visible()
    page.get_by_label("Reason").select_option("Customer Changed Mind")
    page.get_by_label("Note (optional)").fill("Ordered the wrong size")
    no_sideways_scroll(page, "the cancel-order wizard")
    screenshot(page, "issue13-cancel-order-1-choose-1366")
    page.get_by_role("button", name="Preview").click()

    preview = page.get_by_test_id("wizard-preview")
    expect(preview).to_be_visible()
    # Focus lands on the preview's Submit button.
    expect(page.get_by_role("button", name="Submit order cancel")).to_be_focused()
    expect(page.get_by_test_id("grand-total-reduction")).to_have_text("118.80 USD")
    expect(page.get_by_test_id("new-grand-total")).to_have_text("0.00 USD")
    expect(page.get_by_test_id("consequence")).to_contain_text(
        "118.80 USD will be refunded to Visa •••• 4242 as excess funds."
    )
    lines = page.get_by_test_id("line-cancels")
    expect(lines).to_contain_text(fulfillment_order.number)
    expect(lines).to_contain_text("becomes Cancelled")
    no_sideways_scroll(page, "the cancel-order preview")
    screenshot(page, "issue13-cancel-order-2-preview-1366")
    no_serious_violations(page, "the cancel-order preview")

    page.keyboard.press("Enter")  # the focused Submit button
    page.wait_for_url(re.compile(rf"/console/orders/{summary.pk}/(\?awaiting=\d+)?$"))
    expect(page.get_by_role("status").first).to_contain_text(
        "Order canceled: the order's grand total went down by 118.80 USD."
    )
    expect(page.get_by_test_id("grand-total")).to_have_text("0.00 USD")
    # The refund runs in the background and the page shows it done.
    expect(page.get_by_test_id("operations")).to_contain_text("Refunded 118.80 USD", timeout=20_000)
    screenshot(page, "issue13-cancel-order-3-after-1366")
    summary.refresh_from_db()
    fulfillment_order.refresh_from_db()
    assert (summary.status, fulfillment_order.status) == ("Canceled", "Cancelled")
    assert OrderPaymentSummary.objects.get(order_summary=summary).refunded_amount == Decimal("118.80")
    refund = AgentRefund.objects.get()
    assert (refund.kind, refund.status, refund.amount) == ("cancel_order", "Released", Decimal("118.80"))


def test_supervisor_approves_a_refund_from_the_queue(page, live_server, console_user):
    agent = console_user("agent", "Agent")
    console_user("supervisor", "Supervisor")
    # 5 × 100.00 at 8 % = 540.00, paid at checkout; canceling 3 frees 324.00, above the agent's 200.00.
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("BIG", 5, "100.00", rate=8)],
                }
            ],
            payments=[
                {
                    "kind": "sale",
                    "method": "Visa",
                    "gatewayToken": "tok_visa",
                    "last4": "4242",
                    "amount": Decimal("540.00"),
                    "gatewayReference": "sale_big",
                }
            ],
        )
    )
    big = items_by_sku(summary)["BIG"]
    held = submit_agent_change(
        summary.pk, "cancel", [ChangeItemInput(big.pk, Decimal(3), "Damaged")], user=agent
    ).refund
    assert held.status == "Pending"

    sign_in(page, live_server, "supervisor")
    page.set_viewport_size(LAPTOP)
    nav = page.get_by_test_id("nav-approvals")
    expect(nav).to_have_text("Approvals 1")
    nav.click()
    queue = page.get_by_test_id("approvals")
    expect(queue).to_contain_text(summary.order_number)
    expect(queue).to_contain_text("324.00 USD")
    expect(queue).to_contain_text("agent")
    expect(queue).to_contain_text("Damaged")
    no_sideways_scroll(page, "the approvals queue")
    screenshot(page, "issue13-approvals-queue-1366")
    no_serious_violations(page, "the approvals queue")

    queue.get_by_role("button", name="Approve 324.00 USD").click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"Refund of 324.00 USD on order {summary.order_number} approved"
    )
    expect(page.get_by_text("Nothing waits for approval")).to_be_visible()
    expect(page.get_by_test_id("nav-approvals")).to_have_text("Approvals")
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page, "the approvals queue on a phone")
    screenshot(page, "issue13-approvals-queue-after-390")
    held.refresh_from_db()
    assert (held.status, held.decided_by.username) == ("Approved", "supervisor")
    page.goto(f"{live_server.url}/console/orders/{summary.pk}/")
    expect(page.get_by_test_id("operations")).to_contain_text("Refunded 324.00 USD", timeout=20_000)
    assert OrderPaymentSummary.objects.get(order_summary=summary).refunded_amount == Decimal("324.00")


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "390"])
def test_the_wizards_do_not_scroll_sideways(page, live_server, console_user, viewport):
    console_user("agent", "Agent")
    summary = routed_paid_order()
    a = items_by_sku(summary)["A"]
    width = viewport["width"]
    sign_in(page, live_server, "agent")
    page.set_viewport_size(viewport)

    for kind in ("cancel", "cancel-order", "return", "adjust"):
        page.goto(f"{live_server.url}/console/orders/{summary.pk}/{kind}/")
        expect(page.get_by_test_id("wizard-choose")).to_be_visible()
        no_sideways_scroll(page, f"the {kind} wizard at {width} px")
        screenshot(page, f"issue13-{kind}-choose-{width}")

    page.goto(f"{live_server.url}/console/orders/{summary.pk}/cancel/")
    page.locator(f"#id_item-{a.pk}").fill("1")
    page.get_by_label("Reason").select_option("Damaged")
    page.get_by_label("Also cancel units allocated to fulfillment orders not yet picked").check()
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("wizard-preview")).to_be_visible()
    expect(page.get_by_role("button", name="Submit cancel")).to_be_focused()
    expect(page.get_by_test_id("line-cancels")).to_contain_text("Product A")
    no_sideways_scroll(page, f"the cancel preview at {width} px")
    screenshot(page, f"issue13-cancel-preview-{width}")
    if width == PHONE["width"]:
        no_serious_violations(page, "the cancel preview on a phone")
