"""Racing fulfillment orders on PostgreSQL: row locks never let the item or the stock go over."""

import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from orders.errors import InvalidState
from orders.models import DEFAULT_REASON_CODES, FulfillmentOrder, ReasonCode
from tests.builders import address, ingest, item, items_by_sku, order_body
from tests.fulfillment.helpers import make_location, on_hand_reserved, place, stock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


@pytest.fixture(autouse=True)
def reason_codes():
    for name in DEFAULT_REASON_CODES:
        ReasonCode.objects.get_or_create(name=name)


def run_together(work, count=THREADS):
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(index):
        try:
            barrier.wait()
            work(index)
            outcomes[index] = "ok"
        except InvalidState:
            outcomes[index] = "refused"
        except Exception as error:  # reported by the assertions
            outcomes[index] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def one_unit_order(sku="LAST", quantity=1):
    return ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item(sku, quantity, "30.00", rate=8)],
                }
            ]
        )
    )


def test_orders_racing_for_the_last_units_of_a_location():
    warehouse = make_location("WH-1")
    stock("WH-1", LAST=3)
    summaries = [one_unit_order() for _ in range(THREADS)]

    outcomes = run_together(lambda i: place(summaries[i], (warehouse, [(items_by_sku(summaries[i])["LAST"], 1)])))

    # 3 units on hand: exactly 3 of the 8 orders get one each.
    assert outcomes.count("ok") == 3, outcomes
    assert outcomes.count("refused") == THREADS - 3, outcomes
    assert on_hand_reserved("WH-1", "LAST") == (D(3), D(3))
    assert FulfillmentOrder.objects.count() == 3


def test_locations_racing_for_the_last_unit_of_an_item():
    locations = [make_location(f"WH-{i}") for i in range(THREADS)]
    for location in locations:
        stock(location.external_reference, LAST=5)
    summary = one_unit_order()
    last = items_by_sku(summary)["LAST"]

    outcomes = run_together(lambda i: place(summary, (locations[i], [(last, 1)])))

    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("refused") == THREADS - 1, outcomes
    last.refresh_from_db()
    assert last.quantity_allocated == 1
    reserved = sum(on_hand_reserved(location.external_reference, "LAST")[1] for location in locations)
    assert reserved == 1
