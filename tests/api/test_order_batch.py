"""POST /commerce/orders/batch: each order validated, written and idempotent on its own."""

from decimal import Decimal

import pytest

from orders.models import IdempotencyRecord, Order, OrderSummary
from payments.models import OrderPaymentSummary
from tests.api.helpers import INGEST, body_of, row_counts
from tests.api.schema import assert_response_matches_schema, check_every_response
from tests.builders import address, ensure_channel, item, order_body, tax, worked_example_body
from tests.factories import SalesChannelFactory

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/commerce/orders/batch"


@pytest.fixture(autouse=True)
def every_response_checked(monkeypatch):
    check_every_response(monkeypatch)


def keyed(body, key):
    return {**body, "idempotencyKey": key}


def post_batch(client, orders, **extra):
    response = client.post_json(BATCH, {"orders": orders}, **extra)
    assert_response_matches_schema(response, "post", BATCH)
    return response


def ids_of(number):
    order = Order.objects.get(order_number=number)
    return str(order.pk), str(OrderSummary.objects.get(original_order=order).pk)


def test_three_orders_are_each_ingested_with_totals_computed_by_the_server(api):
    ensure_channel()
    orders = [keyed(worked_example_body(number=f"BATCH-{n}"), f"batch-key-{n}") for n in (1, 2, 3)]

    response = post_batch(api, orders)

    assert response.status_code == 200, response.content
    results = body_of(response)["results"]
    expected = []
    for n in (1, 2, 3):
        order_id, summary_id = ids_of(f"BATCH-{n}")
        expected.append({"orderId": order_id, "orderSummaryId": summary_id, "success": True, "errors": []})
    assert results == expected
    # §6: products 2 × 40.00 + 1 × 20.00 = 100.00, delivery 10.00; tax 6.40 + 1.60 + 0.80 = 8.80;
    # grand total 110.00 + 8.80 = 118.80, authorized in full by one Visa payment summary.
    for summary in OrderSummary.objects.filter(order_number__startswith="BATCH-"):
        assert (summary.total_amount, summary.total_tax_amount, summary.grand_total_amount) == (
            Decimal("110.00"),
            Decimal("8.80"),
            Decimal("118.80"),
        )
        assert OrderPaymentSummary.objects.get(order_summary=summary).authorization_amount == Decimal("118.80")
    assert set(IdempotencyRecord.objects.values_list("key", "response_status")) == {
        ("batch-key-1", 201),
        ("batch-key-2", 201),
        ("batch-key-3", 201),
    }


def test_a_bad_order_fails_alone_writes_nothing_and_frees_its_key(api):
    ensure_channel()
    bad = order_body(
        number="BAD-1",
        groups=[
            {
                "referenceId": "g1",
                "deliverTo": address(),
                "deliveryMethod": "Ground",
                "items": [item("SKU-1", -1, "10.00")],
            }
        ],
        payments=[
            {
                "kind": "authorization",
                "method": "Visa",
                "gatewayToken": "tok_visa",
                "amount": Decimal("10.00"),
                "gatewayReference": "auth_bad",
            }
        ],
    )
    orders = [
        keyed(order_body(number="GOOD-1"), "good-1"),
        keyed(bad, "bad-1"),
        keyed(order_body(number="GOOD-2"), "good-2"),
    ]

    results = body_of(post_batch(api, orders))["results"]

    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["orderId"] is None and results[1]["orderSummaryId"] is None
    assert [e["field"] for e in results[1]["errors"]] == ["orders[1].deliveryGroups[0].items[0].quantity"]
    assert {e["errorCode"] for e in results[1]["errors"]} == {"INVALID_API_INPUT"}
    assert set(Order.objects.values_list("order_number", flat=True)) == {"GOOD-1", "GOOD-2"}
    assert not IdempotencyRecord.objects.filter(key="bad-1").exists()

    corrected = post_batch(api, [keyed(order_body(number="BAD-1"), "bad-1")])
    assert body_of(corrected)["results"][0]["success"] is True
    assert Order.objects.filter(order_number="BAD-1").exists()


def test_the_same_batch_sent_again_replays_every_order_and_writes_nothing(api):
    ensure_channel()
    orders = [keyed(order_body(number=f"AGAIN-{n}"), f"again-{n}") for n in (1, 2)]
    first = body_of(post_batch(api, orders))["results"]
    counts = row_counts()

    second = body_of(post_batch(api, orders))["results"]

    assert second == first
    assert [r["orderId"] for r in second] == [ids_of("AGAIN-1")[0], ids_of("AGAIN-2")[0]]
    assert row_counts() == counts


def test_a_key_first_used_alone_is_replayed_in_a_batch_and_the_other_way_round(api):
    ensure_channel()
    alone = order_body(number="ALONE-1")
    single = api.post_json(INGEST, alone, key="shared-1")
    assert single.status_code == 201
    first = body_of(single)

    in_batch = body_of(post_batch(api, [keyed(alone, "shared-1")]))["results"][0]
    assert in_batch == {
        "orderId": first["orderId"],
        "orderSummaryId": first["orderSummaryId"],
        "success": True,
        "errors": [],
    }

    batched = order_body(number="BATCHED-1")
    result = body_of(post_batch(api, [keyed(batched, "shared-2")]))["results"][0]
    replay = api.post_json(INGEST, batched, key="shared-2")
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert body_of(replay)["orderId"] == result["orderId"]
    assert Order.objects.filter(order_number__in=["ALONE-1", "BATCHED-1"]).count() == 2


def test_a_key_reused_with_another_order_fails_that_order_only(api):
    ensure_channel()
    post_batch(api, [keyed(order_body(number="FIRST-1"), "reused-1")])

    results = body_of(
        post_batch(
            api, [keyed(order_body(number="SECOND-1"), "reused-1"), keyed(order_body(number="THIRD-1"), "fresh-1")]
        )
    )["results"]

    assert results[0]["success"] is False
    assert results[0]["errors"] == [
        {
            "errorCode": "IDEMPOTENCY_KEY_REUSED",
            "field": "orders[0].idempotencyKey",
            "message": "This Idempotency-Key was used with a different request body.",
        }
    ]
    assert results[1]["success"] is True
    assert not Order.objects.filter(order_number="SECOND-1").exists()


def test_an_order_without_its_key_fails_and_the_others_go_through(api):
    ensure_channel()
    results = body_of(
        post_batch(
            api,
            [
                order_body(number="NOKEY-1"),
                keyed(order_body(number="KEY-1"), "k-1"),
                keyed(order_body(number="BLANK-1"), "  "),
            ],
        )
    )["results"]

    assert [r["success"] for r in results] == [False, True, False]
    assert [results[0]["errors"][0]["field"], results[2]["errors"][0]["field"]] == [
        "orders[0].idempotencyKey",
        "orders[2].idempotencyKey",
    ]
    assert list(Order.objects.values_list("order_number", flat=True)) == ["KEY-1"]


def test_a_duplicate_order_number_fails_with_the_existing_ids(api):
    ensure_channel()
    post_batch(api, [keyed(order_body(number="DUP-1"), "dup-a")])
    order_id, summary_id = ids_of("DUP-1")

    result = body_of(post_batch(api, [keyed(order_body(number="DUP-1"), "dup-b")]))["results"][0]

    assert result["success"] is False
    assert (result["orderId"], result["orderSummaryId"]) == (order_id, summary_id)
    assert [(e["errorCode"], e["field"]) for e in result["errors"]] == [("DUPLICATE_VALUE", "orders[0].orderNumber")]
    assert not IdempotencyRecord.objects.filter(key="dup-b").exists()


def test_a_storefront_key_places_batch_orders_in_its_own_channel_only(make_api):
    web = SalesChannelFactory(name="Web US")
    SalesChannelFactory(name="Outlet")
    storefront = make_api(scopes=["orders:write"], channel=web)

    results = body_of(
        post_batch(
            storefront,
            [
                keyed(order_body(number="OWN-1", salesChannel=None), "own-1"),
                keyed(order_body(number="OTHER-1", channel="Outlet"), "other-1"),
            ],
        )
    )
    results = results["results"]

    assert [r["success"] for r in results] == [True, False]
    assert results[1]["errors"][0]["field"] == "orders[1].salesChannel"
    assert Order.objects.get(order_number="OWN-1").sales_channel == web
    assert not Order.objects.filter(order_number="OTHER-1").exists()


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"orders": []}, "no order"),
        ({"orders": "WEB-1"}, "not a list"),
        ({"orders": [{}], "extra": 1}, "an unknown key beside orders"),
        ({}, "no orders key"),
    ],
)
def test_a_wrong_envelope_answers_400_and_writes_nothing(api, body, why):
    ensure_channel()
    counts = row_counts()
    response = api.post_json(BATCH, body)
    assert response.status_code == 400, why
    error = assert_response_matches_schema(response, "post", BATCH)["errors"][0]
    assert (error["errorCode"], error["field"]) == ("INVALID_API_INPUT", "orders")
    assert row_counts() == counts


def test_more_than_100_orders_answers_400_and_writes_nothing(api):
    ensure_channel()
    orders = [keyed(order_body(number=f"MANY-{n}"), f"many-{n}") for n in range(101)]
    response = api.post_json(BATCH, {"orders": orders})
    assert response.status_code == 400
    assert body_of(response)["errors"][0]["field"] == "orders"
    assert not Order.objects.exists()


def test_a_read_only_key_is_refused(make_api):
    reader = make_api(scopes=["orders:read"])
    response = reader.post_json(BATCH, {"orders": [keyed(order_body(), "r-1")]})
    assert response.status_code == 403
    assert not Order.objects.exists()


def test_one_key_twice_in_a_batch_writes_the_first_order_only(api):
    ensure_channel()
    results = body_of(
        post_batch(api, [keyed(order_body(number="TWICE-1"), "twice"), keyed(order_body(number="TWICE-2"), "twice")])
    )["results"]

    assert [r["success"] for r in results] == [True, False]
    assert [(e["errorCode"], e["field"]) for e in results[1]["errors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", "orders[1].idempotencyKey")
    ]
    assert list(Order.objects.values_list("order_number", flat=True)) == ["TWICE-1"]
    assert IdempotencyRecord.objects.get(key="twice").response_status == 201


def test_one_order_number_twice_in_a_batch_is_a_duplicate_the_second_time(api):
    ensure_channel()
    results = body_of(
        post_batch(api, [keyed(order_body(number="SAME-1"), "same-a"), keyed(order_body(number="SAME-1"), "same-b")])
    )["results"]

    order_id, summary_id = ids_of("SAME-1")
    assert results[0] == {"orderId": order_id, "orderSummaryId": summary_id, "success": True, "errors": []}
    assert (results[1]["success"], results[1]["orderId"]) == (False, order_id)
    assert results[1]["errors"][0]["errorCode"] == "DUPLICATE_VALUE"
    assert not IdempotencyRecord.objects.filter(key="same-b").exists()


def test_orders_of_different_shapes_written_together_keep_their_own_lines(api):
    ensure_channel()
    discount = {"name": "FALL10", "amount": Decimal("-10.00"), "taxes": [tax(8, "-0.80")]}
    one_group = order_body(
        number="SHAPE-1",
        groups=[
            {
                "referenceId": "a",
                "deliverTo": address(),
                "deliveryMethod": "Ground",
                "items": [item("A", 2, "40.00", rate=8, adjustments=[discount]), item("B", 1, "20.00", rate=8)],
            }
        ],
    )
    two_groups = order_body(
        number="SHAPE-2",
        groups=[
            {
                "referenceId": "home",
                "deliverTo": address(),
                "deliveryMethod": "Ground",
                "deliveryCharge": {"amount": Decimal("5.00"), "taxes": [tax(8, "0.40")]},
                "items": [item("C", 3, "10.00", rate=8)],
            },
            {
                "referenceId": "office",
                "deliverTo": address("Bo Park"),
                "deliveryMethod": "Express",
                "items": [item("D", 1, "99.00", rate=8)],
            },
        ],
    )
    no_summary = order_body(
        number="SHAPE-3",
        createOrderSummary=False,
        payments=[{"kind": "sale", "method": "GiftCard", "gatewayToken": "tok_gift", "amount": Decimal("10.80")}],
    )

    results = body_of(
        post_batch(api, [keyed(one_group, "shape-1"), keyed(two_groups, "shape-2"), keyed(no_summary, "shape-3")])
    )["results"]

    assert [r["success"] for r in results] == [True, True, True]
    assert results[2]["orderSummaryId"] is None
    first = OrderSummary.objects.get(pk=results[0]["orderSummaryId"])
    # A: 2 × 40.00 = 80.00 − 10.00 = 70.00, tax 6.40 − 0.80 = 5.60; B: 20.00, tax 1.60.
    # 90.00 + 7.20 = 97.20.
    assert (first.total_amount, first.total_tax_amount, first.grand_total_amount) == (
        Decimal("90.00"),
        Decimal("7.20"),
        Decimal("97.20"),
    )
    assert sorted(first.item_summaries.values_list("sku", "original_order_item__order__order_number")) == [
        ("A", "SHAPE-1"),
        ("B", "SHAPE-1"),
    ]
    second = OrderSummary.objects.get(pk=results[1]["orderSummaryId"])
    groups = {g.reference_id: g for g in second.delivery_group_summaries.all()}
    # home: C 3 × 10.00 = 30.00 (tax 2.40) + delivery 5.00 (tax 0.40) = 37.80; office: D 99.00 + 7.92 = 106.92.
    assert (groups["home"].grand_total_amount, groups["office"].grand_total_amount) == (
        Decimal("37.80"),
        Decimal("106.92"),
    )
    placed = {
        (i.type, i.sku if i.type == "Order Product" else "", i.delivery_group_summary.reference_id)
        for i in second.item_summaries.all()
    }
    assert placed == {("Order Product", "C", "home"), ("Delivery Charge", "", "home"), ("Order Product", "D", "office")}
    assert second.grand_total_amount == Decimal("144.72")  # 37.80 + 106.92
    third = Order.objects.get(order_number="SHAPE-3")
    # SKU-1: 1 × 10.00, tax 8 % = 0.80 → 10.80, paid by a gift card sale.
    assert (third.grand_total_amount, third.items.count()) == (Decimal("10.80"), 1)
    assert not OrderSummary.objects.filter(original_order=third).exists()
    assert not OrderPaymentSummary.objects.filter(order_summary__order_number="SHAPE-3").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_number_taken_by_another_request_meanwhile_fails_that_order_only(settings):
    """Another connection inserts RACE-2 and holds its transaction open: the batch's duplicate check does
    not see it, its joint insert waits on the unique index and fails once the other commits; the orders
    are then written one by one, RACE-2 answering as a duplicate of the other request's order."""
    import threading
    import time

    from django.db import connection, transaction

    from tests.factories import ApiKeyClient

    settings.OMS_AUTO_ROUTE_ORDERS = False
    channel = ensure_channel()
    client = ApiKeyClient.create(name="racer", scopes=["orders:write"])
    inserted, release = threading.Event(), threading.Event()

    def other_request():
        try:
            with transaction.atomic():
                Order.objects.create(
                    order_number="RACE-2", sales_channel=channel, currency="USD", ordered_date="2026-11-20T10:00:00Z"
                )
                inserted.set()
                release.wait(30)
        finally:
            connection.close()

    other = threading.Thread(target=other_request)
    other.start()
    assert inserted.wait(30)
    threading.Timer(1.0, release.set).start()
    started = time.monotonic()
    results = body_of(post_batch(client, [keyed(order_body(number=f"RACE-{n}"), f"race-{n}") for n in (1, 2, 3)]))[
        "results"
    ]
    other.join(30)

    assert time.monotonic() - started >= 0.9  # the joint insert did wait for the other transaction
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["errors"][0]["errorCode"] == "DUPLICATE_VALUE"
    assert results[1]["orderId"] == str(Order.objects.get(order_number="RACE-2").pk)
    assert set(Order.objects.values_list("order_number", flat=True)) == {"RACE-1", "RACE-2", "RACE-3"}
    assert OrderSummary.objects.filter(order_number__startswith="RACE-").count() == 2
    assert set(IdempotencyRecord.objects.values_list("key", flat=True)) == {"race-1", "race-3"}
