"""B4: the console's order summary page for an order with 200 items, 5 fulfillment orders, 3 invoices and
20 change entries; server time in-process (the Django handler with its middleware, no socket).

A 5-item order's page is counted too: the number of queries must not depend on the items.
"""

import json
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.test import Client

from orders.calculations.inputs import ChangeItemInput
from orders.models import ItemType, Location, OrderSummary
from orders.services.cancel import submit_cancel
from orders.services.fulfillment_create import (
    FulfillmentGroupInput,
    FulfillmentItemInput,
    FulfillmentOrderInput,
    create_fulfillment_orders,
)
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.inventory import InventoryInput, set_inventory_levels
from orders.services.locations import LocationInput, create_location
from payments.services.fulfillment_invoice_create import create_invoice_for_fulfillment_order
from tests.bench.support import cpu_ms_each, median, percentile, query_count, size, storefront_order, timed_ms

INGEST = "/api/v1/commerce/orders"
RUNS = size(40, 3)
ITEMS, FULFILLMENT_ORDERS, INVOICES, CHANGES = 200, 5, 3, 20
LINES_PER_FULFILLMENT_ORDER = 20


def _warehouse() -> Location:
    location = Location.objects.filter(external_reference="BENCH-WH").first()
    if location is None:
        location = create_location(LocationInput(name="Bench warehouse", external_reference="BENCH-WH"))
    set_inventory_levels([InventoryInput("BENCH-WH", f"SKU-{n:03d}", Decimal(10**6)) for n in range(ITEMS)])
    return location


def _busy_order(api: Client, number: str, items: int, warehouse: Location) -> OrderSummary:
    """`items` products (quantity 2): 5 fulfillment orders of 20 lines, 3 of them shipped and invoiced,
    20 other items each canceled by 1 unit in its own change order (fewer for a small order)."""
    body = storefront_order(number, lines=items, quantity=2, channel="Bench Web")
    response = api.post(INGEST, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=number)
    assert response.status_code == 201, response.content[:500]
    summary = OrderSummary.objects.get(pk=response.json()["orderSummaryId"])
    products = list(summary.item_summaries.filter(type=ItemType.PRODUCT).order_by("line_number"))
    group = summary.delivery_group_summaries.get()
    per_order = min(LINES_PER_FULFILLMENT_ORDER, max(1, len(products) // (FULFILLMENT_ORDERS + 1)))
    created = []
    for n in range(FULFILLMENT_ORDERS):
        lines = products[n * per_order : (n + 1) * per_order]
        created += create_fulfillment_orders(
            FulfillmentOrderInput(
                order_summary_id=summary.pk,
                delivery_group_summary_id=group.pk,
                groups=(
                    FulfillmentGroupInput(
                        location_id=warehouse.pk,
                        fulfillment_type="Warehouse",
                        reference_id=f"{number}-{n}",
                        items=tuple(FulfillmentItemInput(item.pk, Decimal(1)) for item in lines),
                    ),
                ),
            )
        )
    for fulfillment_order in created[:INVOICES]:
        change_fulfillment_order_status(fulfillment_order.pk, "Fulfilled")
        create_invoice_for_fulfillment_order(fulfillment_order.pk)
    unplaced = products[FULFILLMENT_ORDERS * per_order :]
    for item in unplaced[:CHANGES]:
        submit_cancel(summary.pk, [ChangeItemInput(item.pk, Decimal(1), "Customer Changed Mind")], actor=None)
    return summary


def test_b4_console_order_page(storefront, figures, run):
    api = Client(HTTP_AUTHORIZATION=f"Bearer {storefront['office_key']}")
    warehouse = _warehouse()
    large = _busy_order(api, f"B4-{run}-200", ITEMS, warehouse)
    small = _busy_order(api, f"B4-{run}-5", 12, warehouse)

    agent = User.objects.create_user(username=f"bench-agent-{run}")
    agent.groups.add(Group.objects.get(name="Agent"))
    console = Client()
    console.force_login(agent)

    def page(summary):
        def get():
            response = console.get(f"/console/orders/{summary.pk}/")
            assert response.status_code == 200, response.content[:300]

        return get

    page(large)()  # warm: templates compiled, session read
    count, _ = query_count(page(large))
    small_count, _ = query_count(page(small))
    durations = timed_ms(page(large), RUNS)
    cpu = cpu_ms_each(page(large), RUNS)

    figures.record(
        "B4.median_ms",
        "console order page, 200 items/5 FOs/3 invoices/20 changes, median",
        median(durations),
        "ms",
        "",
        f"{RUNS} runs",
    )
    figures.record("B4.p95_ms", "console order page, p95", percentile(durations, 0.95), "ms", "< 100")
    figures.record(
        "B4.cpu_ms",
        "console order page, in-process CPU per page (mean)",
        cpu,
        "ms",
        "",
        f"{RUNS} pages; PostgreSQL's part is not in it",
    )
    figures.record("B4.queries", "console order page SQL statements (200 items)", count, "queries", "≤ 15")
    figures.record(
        "B4.queries_5_items",
        "console order page SQL statements (12 items, same records)",
        small_count,
        "queries",
        "= 200-item count",
    )
