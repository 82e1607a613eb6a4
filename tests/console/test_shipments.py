"""The order page shows each fulfillment order's shipments with a tracking link, and the timeline lists them."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orders.services.shipments import ShipmentInput, ShipmentLineInput, ShipmentUpdate, create_shipment, update_shipment
from tests.builders import items_by_sku, worked_example
from tests.fulfillment.helpers import lines_by_sku, make_location, place, stock

pytestmark = pytest.mark.django_db


def test_shipments_with_their_tracking_link_and_in_the_timeline(agent_client):
    location = make_location("WH-EAST", name="East warehouse")
    stock("WH-EAST", A=5, B=5)
    summary = worked_example()
    items = items_by_sku(summary)
    (order,) = place(summary, (location, [(items["A"], 2), (items["B"], 1)]))
    lines = lines_by_sku(order)
    first = create_shipment(
        order.pk,
        ShipmentInput(
            carrier="UPS",
            service="Ground",
            tracking_number="1Z999AA10123456784",
            tracking_url="https://www.ups.com/track?tracknum=1Z999AA10123456784&loc=en_US",
            shipped_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
            lines=(ShipmentLineInput(lines["A"].pk, Decimal("1")),),
        ),
    )
    update_shipment(
        order.pk,
        first.pk,
        ShipmentUpdate(fields=frozenset({"delivered_at"}), delivered_at=datetime(2026, 3, 4, 15, 30, tzinfo=UTC)),
    )
    # A carrier name is the integration's text: shown escaped, never as markup.
    second = create_shipment(
        order.pk,
        ShipmentInput(
            carrier="<b>Local</b> courier", tracking_number="LC-7", shipped_at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
        ),
    )

    body = agent_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert (
        '<a href="https://www.ups.com/track?tracknum=1Z999AA10123456784&amp;loc=en_US" target="_blank" '
        'rel="noopener noreferrer">1Z999AA10123456784</a>'
    ) in body
    assert body.count('data-testid="shipment"') == 2
    assert f'<th scope="row">{first.number}</th>' in body
    assert "<td>1 × Product A</td>" in body and "<td>1 × Product A, 1 × Product B</td>" in body
    assert "&lt;b&gt;Local&lt;/b&gt; courier" in body and "<b>Local</b>" not in body
    # The second carries what was left: A 1 and B 1; the fulfillment order is Fulfilled by it.
    assert f"{second.number} of {order.number} shipped with &lt;b&gt;Local&lt;/b&gt; courier, tracking LC-7" in body
    assert (
        f"{first.number} of {order.number} shipped with UPS Ground, tracking 1Z999AA10123456784: 1 × Product A"
    ) in body
    assert f"{first.number} delivered" in body
    assert f"{order.number} fulfilled" in body
    # Oldest first: shipped 2 March, delivered 4 March.
    assert body.index(f"{first.number} of {order.number} shipped") < body.index(f"{first.number} delivered")
