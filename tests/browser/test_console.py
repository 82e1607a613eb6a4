"""The console in a real Chromium: sign in, search as you type, each wizard end to end, and axe-core.

Figures are DOMAIN.md §6 (A 2 × 40.00, B 1 × 20.00, delivery 10.00, tax 8 %, grand total 118.80)
unless a test says otherwise. Screenshots land in tests/browser/screenshots/ (git-ignored).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, serious_violations, sign_in
from tests.builders import (
    address,
    ingest,
    item,
    items_by_sku,
    order_body,
    set_fulfillment_state,
    worked_example,
)
from tests.console.builders import paid_at_checkout, shipped_and_paid

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def no_serious_violations(page, what: str) -> None:
    violations = serious_violations(page)
    assert violations == [], f"axe-core on {what}: {violations}"


def test_search_updates_as_the_agent_types_and_passes_axe(page, live_server, console_user):
    console_user("agent", "Agent")
    ingest(order_body(number="WEB-2001"))
    ingest(
        order_body(
            number="WEB-2002",
            billTo={
                "name": "Bob Stone",
                "email": "bob@example.org",
                "street": "2 Elm St",
                "city": "Austin",
                "state": "TX",
                "postalCode": "73301",
                "country": "US",
            },
        )
    )
    ingest(order_body(number="STORE-9"))
    sign_in(page, live_server, "agent")
    results = page.locator("#results")
    expect(results).to_contain_text("3 orders found")

    page.get_by_label("Order number, customer name or email").press_sequentially("bob", delay=40)
    expect(results).to_contain_text("1 order found")
    expect(results.get_by_role("link", name="WEB-2002")).to_be_visible()
    expect(results.get_by_role("link", name="WEB-2001")).to_have_count(0)
    # The address bar follows the search, so a reload or a shared link shows the same results.
    assert "q=bob" in page.url
    screenshot(page, "search")
    no_serious_violations(page, "the search page")

    page.get_by_label("Order number, customer name or email").fill("")
    page.get_by_label("Order number, customer name or email").press("Enter")
    expect(results).to_contain_text("3 orders found")


def test_keyboard_only_sign_in_and_skip_link(page, live_server, console_user):
    console_user("agent", "Agent")
    page.goto(f"{live_server.url}/console/login/")
    # The username field has the focus on arrival.
    page.keyboard.type("agent")
    page.keyboard.press("Tab")
    page.keyboard.type("console-pass-123")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/console/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def test_cancel_wizard_end_to_end(page, live_server, console_user):
    console_user("agent", "Agent")
    summary = paid_at_checkout()
    a = items_by_sku(summary)["A"]
    sign_in(page, live_server, "agent")
    page.goto(f"{live_server.url}/console/orders/{summary.pk}/")
    expect(page.get_by_test_id("grand-total")).to_have_text("118.80 USD")
    screenshot(page, "order-before-cancel")
    no_serious_violations(page, "the order page")

    page.get_by_role("link", name="Cancel items").click()
    expect(page.get_by_role("heading", name=re.compile("Choose the items"))).to_be_visible()
    page.locator(f"#id_item-{a.pk}").fill("1")
    page.get_by_label("Reason").select_option("Customer Changed Mind")
    page.get_by_label("Reduce the delivery charge in proportion").check()
    screenshot(page, "cancel-1-choose")
    page.get_by_role("button", name="Preview").click()

    preview = page.get_by_test_id("wizard-preview")
    expect(preview).to_be_visible()
    # r = 40.00 / 100.00: product 40.00 + 3.20 tax, delivery 4.00 + 0.32 tax: 47.52 off; 118.80 − 47.52 = 71.28.
    expect(page.get_by_test_id("grand-total-reduction")).to_have_text("47.52 USD")
    expect(page.get_by_test_id("delivery")).to_have_text("4.00 USD")
    expect(page.get_by_test_id("new-grand-total")).to_have_text("71.28 USD")
    expect(page.get_by_test_id("consequence")).to_have_text(
        "47.52 USD will be refunded to Visa •••• 4242 as excess funds."
    )
    screenshot(page, "cancel-2-preview")
    no_serious_violations(page, "the cancel preview")

    page.get_by_role("button", name="Submit cancel").click()
    page.wait_for_url(re.compile(rf"/console/orders/{summary.pk}/(\?awaiting=\d+)?$"))
    expect(page.get_by_role("status").first).to_contain_text("Canceled: the order's grand total went down by 47.52")
    expect(page.get_by_test_id("grand-total")).to_have_text("71.28 USD")
    a_row = page.locator('tr[data-sku="A"]')
    expect(a_row.locator('[data-col="quantity"]')).to_have_text("1")
    # The excess refund ran as a background job: refunded 47.52, nothing left in excess.
    expect(page.get_by_test_id("operations")).to_contain_text("Complete")
    expect(page.get_by_test_id("excess")).to_have_text("0.00 USD")
    expect(page.locator("#payments")).to_contain_text("47.52 USD")
    screenshot(page, "cancel-3-order-after")


def test_return_wizard_end_to_end(page, live_server, console_user):
    console_user("agent", "Agent")
    summary = shipped_and_paid()
    a = items_by_sku(summary)["A"]
    sign_in(page, live_server, "agent")
    page.goto(f"{live_server.url}/console/orders/{summary.pk}/")
    page.get_by_role("link", name="Return items").click()
    page.locator(f"#id_item-{a.pk}").fill("1")
    page.get_by_label("Reason").select_option("Damaged")
    page.get_by_label("Note (optional)").fill("Sole came off")
    screenshot(page, "return-1-choose")
    page.get_by_role("button", name="Preview").click()

    # 40.00 + 3.20 tax = 43.20 back through a credit memo; 118.80 − 43.20 = 75.60.
    expect(page.get_by_test_id("grand-total-reduction")).to_have_text("43.20 USD")
    expect(page.get_by_test_id("new-grand-total")).to_have_text("75.60 USD")
    expect(page.get_by_test_id("consequence")).to_have_text(
        "A credit memo of 43.20 USD will be created and refunded to Visa •••• 4242."
    )
    screenshot(page, "return-2-preview")

    page.get_by_role("button", name="Submit return").click()
    page.wait_for_url(re.compile(rf"/console/orders/{summary.pk}/(\?awaiting=\d+)?$"))
    expect(page.get_by_test_id("grand-total")).to_have_text("75.60 USD")
    # A: ordered 2, fulfilled 2, returned 1: one unit is still held, and it was shipped (§5.1: Fulfilled).
    a_row = page.locator('tr[data-sku="A"]')
    expect(a_row.locator('[data-col="quantity"]')).to_have_text("1")
    expect(a_row).to_contain_text("Fulfilled")
    documents = page.locator("#documents")
    expect(documents).to_contain_text("Credit memo")
    expect(documents).to_contain_text("Refunded")
    expect(page.locator("#timeline")).to_contain_text("Reason: Damaged: Sole came off")
    screenshot(page, "return-3-order-after")


def test_adjust_wizard_end_to_end(page, live_server, console_user):
    console_user("supervisor", "Supervisor")
    # §6 adjust: 3 × 50.00 at 10 %, 2 allocated, 1 fulfilled; −45.00 before tax over pre and post.
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("X", 3, "50.00", rate=10)],
                }
            ]
        )
    )
    x = set_fulfillment_state(items_by_sku(summary)["X"], allocated=2, fulfilled=1)
    sign_in(page, live_server, "supervisor")
    page.goto(f"{live_server.url}/console/orders/{summary.pk}/adjust/")
    page.locator(f"#id_item-{x.pk}").fill("45.00")
    page.get_by_label("The discount is").select_option("AmountWithoutTax")
    page.get_by_label("Reason").select_option("Price Match")
    screenshot(page, "adjust-1-choose")
    no_serious_violations(page, "the adjust wizard")
    page.get_by_role("button", name="Preview").click()

    # 45.00 + 4.50 tax = 49.50 off; 165.00 − 49.50 = 115.50.
    expect(page.get_by_test_id("grand-total-reduction")).to_have_text("49.50 USD")
    expect(page.get_by_test_id("new-grand-total")).to_have_text("115.50 USD")
    screenshot(page, "adjust-2-preview")

    page.get_by_role("button", name="Submit adjust").click()
    page.wait_for_url(re.compile(rf"/console/orders/{summary.pk}/(\?awaiting=\d+)?$"))
    expect(page.get_by_test_id("grand-total")).to_have_text("115.50 USD")
    # Each unit of X loses 15.00: 150.00 − 45.00 = 105.00 total price.
    expect(page.locator('tr[data-sku="X"] [data-col="total-price"]')).to_have_text("105.00")
    screenshot(page, "adjust-3-order-after")


def test_double_click_on_submit_applies_the_change_once(page, live_server, console_user):
    console_user("agent", "Agent")
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    sign_in(page, live_server, "agent")
    page.goto(f"{live_server.url}/console/orders/{summary.pk}/cancel/")
    page.locator(f"#id_item-{a.pk}").fill("1")
    page.get_by_label("Reason").select_option("Damaged")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Submit cancel").dblclick()
    page.wait_for_url(re.compile(rf"/console/orders/{summary.pk}/(\?awaiting=\d+)?$"))
    # One unit of A: 40.00 + 3.20 off 118.80 = 75.60, once.
    expect(page.get_by_test_id("grand-total")).to_have_text("75.60 USD")
    page.go_back()
    page.reload()
    assert summary.change_orders.count() == 1


def test_order_page_on_a_tablet_scrolls_tables_not_the_page(page, live_server, console_user):
    console_user("supervisor", "Supervisor")
    items = [item(f"SKU-{n:03d}", 1, "12.50", rate=8, name=f"Long product name number {n}") for n in range(200)]
    summary = ingest(
        order_body(groups=[{"referenceId": "g", "deliverTo": address(), "deliveryMethod": "Ground", "items": items}])
    )
    sign_in(page, live_server, "supervisor")
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto(f"{live_server.url}/console/orders/{summary.pk}/")
    expect(page.locator('tr[data-sku^="SKU-"]')).to_have_count(200)
    # The wide items table scrolls inside its frame; the page itself is no wider than the tablet.
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    table_frame = page.locator("#items .table-wrap")
    assert table_frame.evaluate("el => el.scrollWidth > el.clientWidth")
    screenshot(page, "order-200-items-tablet")
    page.locator("#items").scroll_into_view_if_needed()
    screenshot(page, "order-200-items-tablet-items", full_page=False)
    no_serious_violations(page, "the order page with 200 items on a tablet")


def test_exception_queue_filters_and_triages_in_place(page, live_server, console_user):
    from orders.models import ProcessException

    console_user("supervisor", "Supervisor")
    summary = worked_example()
    ProcessException.objects.create(
        order_summary=summary, category="Payment", severity="High", message="Refund declined by the gateway"
    )
    ProcessException.objects.create(
        order_summary=summary, category="Fulfillment", severity="Low", message="Carrier label missing"
    )
    sign_in(page, live_server, "supervisor")
    page.get_by_role("link", name="Exceptions").click()
    table = page.get_by_test_id("exceptions")
    page.get_by_label("Category").select_option("Payment")
    expect(table).not_to_contain_text("Carrier label missing")
    expect(table).to_contain_text("Refund declined by the gateway")
    row = table.locator("tbody tr").first
    row.get_by_role("button", name="Triaged").click()
    expect(row).to_contain_text("Marked triaged.")
    screenshot(page, "exceptions")
    no_serious_violations(page, "the exception queue")
    assert ProcessException.objects.get(message="Refund declined by the gateway").status == "Triaged"

    # Someone else removed it meanwhile: the failed htmx request is reported, not swallowed.
    ProcessException.objects.filter(message="Refund declined by the gateway").delete()
    row.get_by_role("button", name="Resolved").click()
    expect(page.get_by_role("alert")).to_have_text(
        "That record no longer exists. Reload the page to see the current state."
    )
