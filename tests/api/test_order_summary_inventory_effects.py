"""The order summary detail shows what the order did to stock: held, shipped and put back."""

from decimal import Decimal

import pytest

from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.return_orders import (
    ReturnItemInput,
    ReturnOrderInput,
    ReturnOrderLineInput,
    create_return_order,
    return_items,
)
from tests.api.helpers import summary_path
from tests.api.schema import check_every_response
from tests.builders import items_by_sku, worked_example
from tests.fulfillment.helpers import make_location, on_hand_reserved, place, stock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def every_response_checked(monkeypatch):
    check_every_response(monkeypatch)


def test_reserved_shipped_and_restocked_units_per_location_and_sku(api):
    summary = worked_example()
    chicago = make_location("CHI", latitude="41.88", longitude="-87.62")
    st_louis = make_location("STL", latitude="38.63", longitude="-90.20")
    stock("CHI", A=5)
    stock("STL", B=3)
    items = items_by_sku(summary)
    (ships_a,) = place(summary, (chicago, [(items["A"], 2)]))
    place(summary, (st_louis, [(items["B"], 1)]))
    change_fulfillment_order_status(ships_a.pk, "Fulfilled")
    # One A comes back to Chicago and goes back on the shelf.
    return_order = create_return_order(
        ReturnOrderInput(
            order_summary_id=summary.pk,
            destination_location_id=chicago.pk,
            lines=(ReturnOrderLineInput(order_item_summary_id=items["A"].pk, quantity_expected=Decimal("1")),),
        )
    )
    (line,) = return_order.lines.all()
    return_items(return_order.pk, [ReturnItemInput(line.pk, quantity_returned=Decimal("1"))])

    effects = api.get(summary_path(summary.pk)).json()["inventoryEffects"]

    assert effects == [
        # Chicago: 2 A shipped, 1 back on the shelf; nothing held any more.
        {
            "locationExternalReference": "CHI",
            "stockKeepingUnit": "A",
            "quantityReserved": 0,
            "quantityShipped": 2,
            "quantityRestocked": 1,
        },
        # St. Louis: 1 B held on the open fulfillment order.
        {
            "locationExternalReference": "STL",
            "stockKeepingUnit": "B",
            "quantityReserved": 1,
            "quantityShipped": 0,
            "quantityRestocked": 0,
        },
    ]
    # The stock itself agrees: Chicago 5 − 2 + 1 = 4 on hand; St. Louis 3 on hand, 1 reserved.
    assert on_hand_reserved("CHI", "A") == (Decimal("4"), Decimal("0"))
    assert on_hand_reserved("STL", "B") == (Decimal("3"), Decimal("1"))
