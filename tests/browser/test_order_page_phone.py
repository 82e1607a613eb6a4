"""Issue 15 point 4: the order page and every wizard on it at 390 × 844 (a phone) never scroll sideways:
`document.documentElement.scrollWidth <= window.innerWidth`. The order has everything the page can show for
issue 15: an exchange (both order pages), a return order waiting for its units, shipped units to reship.
Tables scroll inside their own frame (`.table-wrap`), which keeps the page itself from scrolling.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.calculations.exchange import ExchangeInput, ExchangeItemInput, ReplacementInput, ReplacementTaxInput
from orders.models import ReturnOrder
from orders.services.exchanges import submit_exchange
from orders.services.return_orders import ReturnOrderInput, ReturnOrderLineInput, create_return_order
from tests.browser.conftest import screenshot, sign_in
from tests.builders import items_by_sku
from tests.console.builders import shipped_and_paid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def fits(page, what: str) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !el.closest('.table-wrap'))
        .slice(0, 3).map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))""")
    assert width <= inner, f"{what} scrolls sideways at {inner} px: {width} px wide; sticking out: {wide}"


def test_the_order_page_and_its_wizards_fit_a_phone(page, live_server, console_user):
    agent = console_user("agent", "Agent")
    summary = shipped_and_paid()
    a, b = items_by_sku(summary)["A"], items_by_sku(summary)["B"]
    result = submit_exchange(
        summary.pk,
        ExchangeInput(
            items=(
                ExchangeItemInput(
                    a.pk,
                    Decimal(1),
                    "Wrong Item",
                    ReplacementInput(
                        "A-44",
                        "Trail shoe 44",
                        Decimal(1),
                        Decimal("50.00"),
                        (ReplacementTaxInput("Tax", Decimal("4.00"), Decimal(8)),),
                    ),
                ),
            )
        ),
        actor=agent,
    )
    return_order = create_return_order(
        ReturnOrderInput(
            order_summary_id=summary.pk,
            lines=(
                ReturnOrderLineInput(
                    order_item_summary_id=b.pk, quantity_expected=Decimal(1), reason_for_return="Damaged"
                ),
            ),
        ),
        actor=agent,
    )
    sign_in(page, live_server, "agent")
    page.set_viewport_size(PHONE)

    pages = [
        ("the order page", f"/console/orders/{summary.pk}/"),
        ("the replacement's order page", f"/console/orders/{result.exchange_order_summary_id}/"),
        ("the exchange wizard", f"/console/orders/{summary.pk}/exchange/"),
        ("the reship wizard", f"/console/orders/{summary.pk}/reship/"),
        ("the return-order wizard", f"/console/orders/{summary.pk}/return-orders/new/"),
        ("the receive screen", f"/console/return-orders/{return_order.pk}/receive/"),
        ("the cancel wizard", f"/console/orders/{summary.pk}/cancel/"),
        ("the cancel-order wizard", f"/console/orders/{summary.pk}/cancel-order/"),
        ("the return wizard", f"/console/orders/{summary.pk}/return/"),
        ("the adjust wizard", f"/console/orders/{summary.pk}/adjust/"),
    ]
    for what, path in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, f"{what}: {response.status}"
        expect(page.locator("h1").first).to_be_visible()
        fits(page, what)
        screenshot(page, "issue15-phone-" + what.replace(" ", "-").replace("'", ""))
    assert ReturnOrder.objects.filter(pk=return_order.pk, status="Submitted").exists()
