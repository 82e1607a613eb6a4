"""Concurrent submits on PostgreSQL: the summary lock serializes them, nothing is canceled twice."""

import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from orders.calculations.inputs import AdjustInput, AdjustItemInput
from orders.errors import InvalidState
from orders.models import Order, OrderItemSummary, OrderSummary
from orders.services.adjust import submit_adjust
from orders.services.cancel import submit_cancel
from tests.builders import address, ingest, item, items_by_sku, order_body
from tests.change_builders import assert_rebuilds, change

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


def run_together(work, count=THREADS):
    """Start `count` threads that call work(index) at the same moment; return their outcomes."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(index):
        try:
            barrier.wait()
            work(index)
            outcomes[index] = "ok"
        except InvalidState:
            outcomes[index] = "refused"
        except Exception as error:  # reported in the assertion below
            outcomes[index] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def one_unit_order():
    return ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "deliveryCharge": {"amount": D("5.00"), "taxes": []},
                    "items": [item("LAST", 1, "30.00", rate=8), item("OTHER", 2, "10.00", rate=8)],
                }
            ]
        )
    )


def test_twenty_threads_cancel_the_last_unit_and_exactly_one_succeeds():
    summary = one_unit_order()
    last = items_by_sku(summary)["LAST"]

    outcomes = run_together(lambda _: submit_cancel(summary.pk, [change(last.pk, 1, shipping=True)], actor=None))

    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("refused") == THREADS - 1, outcomes
    last.refresh_from_db()
    assert last.quantity_canceled == 1
    assert Order.objects.filter(order_summary=summary).count() == 1
    summary.refresh_from_db()
    # LAST 30.00 + 2.40 canceled once; OTHER 20.00 + 1.60 stays; delivery r = 30 / 50: 5.00 × 0.6 = 3.00
    # removed, 2.00 left. 21.60 + 2.00 = 23.60
    assert summary.grand_total_amount == D("23.60")
    assert summary.version == 2
    assert_rebuilds(summary)


def test_concurrent_changes_of_different_items_all_apply_in_turn():
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item(f"S{n}", 2, "10.00", rate=8) for n in range(16)],
                }
            ]
        )
    )
    items = sorted(OrderItemSummary.objects.filter(order_summary=summary), key=lambda ois: ois.pk)

    def work(index):
        ois = items[index]
        if index < 8:
            submit_cancel(summary.pk, [change(ois.pk, 1)], actor=None)
        else:
            discount = AdjustItemInput(ois.pk, "AmountWithoutTax", D("-1.00"), "Goodwill")
            submit_adjust(summary.pk, AdjustInput((discount,)), actor=None)

    outcomes = run_together(work, count=16)
    assert outcomes == ["ok"] * 16
    summary = OrderSummary.objects.get(pk=summary.pk)
    # 16 items × (2 × 10.80 = 21.60) = 345.60; 8 lose a unit (8 × 10.80 = 86.40), 8 a discount of
    # 1.00 + 0.08 (8 × 1.08 = 8.64): 345.60 - 86.40 - 8.64 = 250.56
    assert summary.grand_total_amount == D("250.56")
    assert summary.version == 1 + 16
    assert_rebuilds(summary)
