"""Creating fulfillment orders: amounts of DOMAIN.md §3.4, the delivery charge, quantities and stock."""

from decimal import Decimal as D

import pytest

from orders.errors import InvalidInput, InvalidState, NotFound
from orders.models import FulfillmentOrder, ItemStatus, OrderSummaryStatus
from orders.services.cancel import submit_cancel
from orders.services.fulfillment_create import create_fulfillment_orders, create_multiple_fulfillment_orders
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.simple_return import submit_return
from tests.builders import address, ingest, item, items_by_sku, order_body, tax, worked_example
from tests.change_builders import change
from tests.fulfillment.helpers import fulfil_input, lines_by_sku, make_location, on_hand_reserved, place, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouses():
    one, two = make_location("WH-1"), make_location("WH-2")
    stock("WH-1", A=5, B=3)
    stock("WH-2", A=1, B=1)
    return one, two


def test_first_fulfillment_order_takes_its_share_and_the_whole_delivery_charge(warehouses):
    one, two = warehouses
    summary = worked_example()
    items = items_by_sku(summary)

    (first,) = place(summary, (one, [(items["A"], 1)]))
    (second,) = place(summary, (two, [(items["A"], 1), (items["B"], 1)]))

    first_lines, second_lines = lines_by_sku(first), lines_by_sku(second)
    # A: 1 of 2 unplaced units → 80.00 × 1/2 = 40.00, tax 6.40 × 1/2 = 3.20. Delivery 10.00 + 0.80 whole.
    assert (first_lines["A"].total_line_amount, first_lines["A"].total_line_tax_amount) == (D("40.00"), D("3.20"))
    assert (first_lines["DELIVERY-GROUND"].total_line_amount, first_lines["DELIVERY-GROUND"].total_line_tax_amount) == (
        D("10.00"),
        D("0.80"),
    )
    # FO 1: 40.00 + 10.00 = 50.00, tax 3.20 + 0.80 = 4.00, grand 54.00
    assert (first.total_amount, first.total_tax_amount, first.grand_total_amount) == (D("50"), D("4"), D("54"))
    assert (first.total_adjusted_delivery_amount, first.total_adjusted_product_amount) == (D("10"), D("40"))
    # FO 2: the last A takes all that is unplaced (80.00 − 40.00), B 20.00 + 1.60; no delivery charge.
    assert set(second_lines) == {"A", "B"}
    assert (second_lines["A"].total_line_amount, second_lines["A"].total_line_tax_amount) == (D("40"), D("3.2"))
    # 40.00 + 20.00 = 60.00, tax 3.20 + 1.60 = 4.80, grand 64.80; with FO 1: 118.80, the order's grand total.
    assert (second.total_amount, second.total_tax_amount, second.grand_total_amount) == (D("60"), D("4.8"), D("64.8"))
    assert first.grand_total_amount + second.grand_total_amount == summary.grand_total_amount


def test_rounding_leaves_no_cent_behind():
    warehouse = make_location("WH-1")
    stock("WH-1", RUG=3)
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [
                        item(
                            "RUG",
                            3,
                            "10.00",
                            rate=8,
                            adjustments=[{"name": "PROMO", "amount": D("-5.00"), "taxes": [tax(8, "-0.40")]}],
                        )
                    ],
                }
            ]
        )
    )
    rug = items_by_sku(summary)["RUG"]
    one, two, three = (place(summary, (warehouse, [(rug, 1)]))[0] for _ in range(3))
    amounts = [
        (
            line.total_line_amount,
            line.total_line_tax_amount,
            line.total_adjustment_amount,
            line.total_adjustment_tax_amount,
        )
        for order in (one, two, three)
        for line in order.lines.all()
    ]
    # 1 of 3: 30.00/3 = 10.00, 2.40/3 = 0.80, −5.00/3 = −1.666… → −1.67, −0.40/3 = −0.133… → −0.13
    # 1 of 2: unplaced 20.00, 1.60, −3.33, −0.27 → 10.00, 0.80, −1.665 → −1.67 (half up), −0.135 → −0.14
    # 1 of 1: what is left: 10.00, 0.80, −1.66, −0.13
    assert amounts == [
        (D("10"), D("0.8"), D("-1.67"), D("-0.13")),
        (D("10"), D("0.8"), D("-1.67"), D("-0.14")),
        (D("10"), D("0.8"), D("-1.66"), D("-0.13")),
    ]
    # Σ adjustments −5.00 and Σ adjustment tax −0.40: exactly the item's.
    assert sum(a[2] for a in amounts) == D("-5.00") and sum(a[3] for a in amounts) == D("-0.40")


def test_quantities_statuses_and_reservation(warehouses):
    one, _ = warehouses
    summary = worked_example()
    items = items_by_sku(summary)

    place(summary, (one, [(items["A"], 1), (items["B"], 1)]))

    items = items_by_sku(summary)
    assert items["A"].quantity_allocated == 1 and items["A"].status == ItemStatus.PARTIALLYALLOCATED
    assert items["B"].quantity_allocated == 1 and items["B"].status == ItemStatus.ALLOCATED
    assert items["DELIVERY-GROUND"].quantity_allocated == 1
    summary.refresh_from_db()
    assert summary.status == OrderSummaryStatus.WAITING_TO_FULFILL
    # WH-1 had A 5, B 3 on hand: 1 of each now reserved, 4 and 2 available.
    assert on_hand_reserved("WH-1", "A") == (D(5), D(1))
    assert on_hand_reserved("WH-1", "B") == (D(3), D(1))


def test_two_groups_in_one_request_are_all_or_nothing(warehouses):
    one, two = warehouses
    summary = worked_example()
    items = items_by_sku(summary)
    # WH-2 holds 1 × B; the second group asks for A (fine) and B × 1 while the first group took B already.
    with pytest.raises(InvalidState):
        place(summary, (one, [(items["B"], 1)]), (two, [(items["A"], 1), (items["B"], 1)]))
    assert FulfillmentOrder.objects.count() == 0
    assert on_hand_reserved("WH-1", "B") == (D(3), D(0))
    assert items_by_sku(summary)["B"].quantity_allocated == 0


@pytest.mark.parametrize(
    ("wanted", "error", "field"),
    [
        (3, InvalidState, "fulfillmentGroups[0].orderItemSummaries[0].quantity"),  # only 2 × A ordered
        (0, InvalidInput, "fulfillmentGroups[0].orderItemSummaries[0].quantity"),
        (D("0.001"), InvalidInput, "fulfillmentGroups[0].orderItemSummaries[0].quantity"),
    ],
)
def test_refused_quantities(warehouses, wanted, error, field):
    one, _ = warehouses
    summary = worked_example()
    with pytest.raises(error) as caught:
        place(summary, (one, [(items_by_sku(summary)["A"], wanted)]))
    assert caught.value.errors[0].field == field


def test_not_enough_stock_is_refused_and_nothing_is_written():
    shop = make_location("SHOP")
    stock("SHOP", A=1)
    summary = worked_example()
    with pytest.raises(InvalidState, match="Only 1 of A available at SHOP"):
        place(summary, (shop, [(items_by_sku(summary)["A"], 2)]))
    assert on_hand_reserved("SHOP", "A") == (D(1), D(0))


def test_location_without_inventory_tracking_ships_anything():
    supplier = make_location("DROP", location_type="Supplier", is_inventory_location=False)
    summary = worked_example()
    (order,) = place(summary, (supplier, [(items_by_sku(summary)["A"], 2)]))
    assert lines_by_sku(order)["A"].quantity == 2


def test_delivery_charges_and_unknown_items_cannot_be_asked_for(warehouses):
    one, _ = warehouses
    summary = worked_example()
    other = worked_example()
    with pytest.raises(InvalidInput) as caught:
        place(summary, (one, [(items_by_sku(summary)["DELIVERY-GROUND"], 1), (items_by_sku(other)["A"], 1)]))
    assert [e.field for e in caught.value.errors] == [
        "fulfillmentGroups[0].orderItemSummaries[0].orderItemSummaryId",
        "fulfillmentGroups[0].orderItemSummaries[1].orderItemSummaryId",
    ]


def test_other_channel_summary_is_not_found(warehouses):
    one, _ = warehouses
    summary = worked_example()
    with pytest.raises(NotFound):
        create_fulfillment_orders(
            fulfil_input(summary, (one, [(items_by_sku(summary)["A"], 1)])), channel_id=summary.sales_channel_id + 1000
        )


def test_create_multiple_reports_each_group(warehouses):
    one, two = warehouses
    summary = worked_example()
    items = items_by_sku(summary)
    good = fulfil_input(summary, (one, [(items["A"], 2)]))
    # WH-2 holds 1 × B, and B has 1 unit: the second group asks for 2 → refused on its own.
    bad = fulfil_input(summary, (two, [(items["B"], 2)]))
    results = create_multiple_fulfillment_orders([good, bad])
    assert [r.success for r in results] == [True, False]
    assert results[1].errors[0]["field"] == "fulfillmentOrders[1].fulfillmentGroups[0].orderItemSummaries[0].quantity"
    assert results[1].errors[0]["errorCode"] == "INVALID_STATE"
    assert FulfillmentOrder.objects.get(pk=results[0].fulfillment_order_id).lines.count() == 2  # A + delivery


def test_after_a_return_and_a_cancel_the_next_order_takes_what_is_left():
    warehouse = make_location("WH-R")
    stock("WH-R", LAMP=3)
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("LAMP", 3, "10.00", rate=8)],
                }
            ]
        )
    )
    lamp = items_by_sku(summary)["LAMP"]
    (first,) = place(summary, (warehouse, [(lamp, 1)]))  # 30.00 × 1/3 = 10.00, tax 2.40 × 1/3 = 0.80
    change_fulfillment_order_status(first.pk, "Fulfilled")
    submit_return(summary.pk, [change(lamp.pk, 1)], actor=None)  # item now 20.00 / 1.60 for 2 units
    submit_cancel(summary.pk, [change(lamp.pk, 1)], actor=None)  # 20.00 × 1/2 off: 10.00 / 0.80 for 1 unit

    (second,) = place(summary, (warehouse, [(lamp, 1)]))

    # Current 10.00, on lines 10.00 (the shipped unit), and the return took 10.00 from that shipped unit:
    # unplaced = 10.00 − 10.00 + 10.00 = 10.00, all of it for the last unit; tax likewise 0.80.
    line = second.lines.get()
    assert (line.total_line_amount, line.total_line_tax_amount) == (D("10.00"), D("0.80"))
