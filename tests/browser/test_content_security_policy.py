"""Issue 14, point 7: the console and the admin work in Chromium under their Content-Security-Policy.

Chromium reports every load or inline code the policy blocks as a `securitypolicyviolation` event; the
pages are driven through what runs scripts (htmx search as you type and the refused-search 400 swap,
the admin's JavaScript widgets, the API key page's select-on-focus) and none may be reported.
"""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.builders import ingest, order_body

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def violations(page) -> list[str]:
    return page.evaluate("window.__violations || []")


def test_the_console_runs_under_its_policy(page, live_server, console_user):
    page.add_init_script(RECORD_VIOLATIONS)
    console_user("agent", "Agent")
    ingest(order_body(number="CSP-1"))
    ingest(order_body(number="CSP-2"))
    sign_in(page, live_server, "agent")
    results = page.locator("#results")
    expect(results).to_contain_text("2 orders found")
    page.get_by_label("Order number, customer name or email").press_sequentially("CSP-2", delay=30)
    expect(results).to_contain_text("1 order found")
    # A refused search answers 400; htmx swaps it in and the error shows by its field.
    page.get_by_label("Ordered to").fill("2026-01-01")
    page.get_by_label("Ordered from").fill("2026-02-01")
    expect(page.locator("#id_date_to-error")).to_contain_text("The end date is before the start date.")
    expect(page.locator("#messages")).not_to_contain_text("Something went wrong")
    page.goto(f"{live_server.url}/console/?q=CSP-1")
    page.get_by_role("link", name="CSP-1").click()
    expect(page).to_have_url(re.compile(r"/console/orders/\d+/$"))
    expect(page.locator("h1")).to_contain_text("CSP-1")
    assert violations(page) == []


def test_the_admin_runs_under_its_policy(page, live_server):
    page.add_init_script(RECORD_VIOLATIONS)
    User.objects.create_superuser("root", "root@example.com", "admin-pass-123")
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("admin-pass-123")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    assert violations(page) == []

    # Django's admin JavaScript: the theme toggle and the navigation sidebar filter.
    page.goto(f"{live_server.url}/admin/auth/user/")
    page.locator("#nav-filter").fill("api")
    expect(page.get_by_role("link", name="API clients")).to_be_visible()
    page.locator("button.theme-toggle").first.click()
    assert violations(page) == []

    page.goto(f"{live_server.url}/admin/orders/apiclient/add/")
    page.get_by_label("Name:").fill("csp-client")
    page.locator('input[name="scopes"][value="orders:read"]').check()
    page.get_by_role("button", name="Save", exact=True).click()
    key = page.locator("#issued-api-key")
    # The key shows before the page's deferred scripts have run: focus it once they have (the load event).
    expect(key).to_be_visible()
    page.wait_for_load_state("load")
    key.focus()
    # The static select-on-focus script ran: the whole key is selected, ready to copy.
    assert page.evaluate(
        "document.getSelection().toString() || "
        "(document.activeElement.selectionEnd - document.activeElement.selectionStart)"
    )
    assert violations(page) == []

    page.goto(f"{live_server.url}/admin/orders/inventorylevel/")
    page.goto(f"{live_server.url}/api/v1/docs/")
    expect(page.locator(".swagger-ui .info")).to_be_visible()
    assert violations(page) == []
