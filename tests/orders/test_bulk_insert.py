"""insert_rows (orders/db.py) sends what bulk_create sends, and writes the same rows.

Checked three ways: the parameters of each object against Django's own insert compiler (same values,
same types) for every model ingest writes; a rich order ingested with insert_rows and again with
bulk_create, every column of every row compared; and the cases it hands to bulk_create.
"""

import copy
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Value
from django.db.models.sql import InsertQuery
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import orders.events as events_module
import orders.outbox as outbox_module
import orders.services.order_write as order_write
import payments.services.checkout_payments as checkout_payments
from orders.db import insert_rows
from orders.db.inserts import _plan
from orders.models import (
    Event,
    Order,
    OrderDeliveryGroup,
    OrderDeliveryGroupSummary,
    OrderItem,
    OrderItemAdjustmentLine,
    OrderItemSummary,
    OrderItemTaxLine,
    OrderSummary,
    OutboxMessage,
    SalesChannel,
)
from payments.models import OrderPaymentSummary, Payment, PaymentAuthorization
from tests.builders import address, ingest, item, order_body, tax

pytestmark = pytest.mark.django_db

INGESTED = [
    Order,
    OrderDeliveryGroup,
    OrderItem,
    OrderItemAdjustmentLine,
    OrderItemTaxLine,
    OrderSummary,
    OrderDeliveryGroupSummary,
    OrderItemSummary,
    OrderPaymentSummary,
    PaymentAuthorization,
    Payment,
]


def rich_body(number: str, channel: str) -> dict:
    """Adjustments with taxes, a delivery charge, a gift, dates, coordinates, a sale and an authorization."""
    body = order_body(
        number=number,
        channel=channel,
        groups=[
            {
                "referenceId": "g1",
                "deliverTo": {
                    **address(),
                    "email": "bo@example.com",
                    "phone": "+1 555 0101",
                    "latitude": Decimal("39.781721"),
                    "longitude": Decimal("-89.650148"),
                },
                "deliveryMethod": "Ground",
                "desiredDeliveryDate": "2026-11-24",
                "isGift": True,
                "giftMessage": "Enjoy",
                "deliveryCharge": {"amount": Decimal("5.00"), "taxes": [tax(8, "0.40")]},
                "items": [
                    item(
                        "SKU-1",
                        2,
                        "10.00",
                        rate=8,
                        productReference="P-1",
                        listPrice=Decimal("12.00"),
                        adjustments=[
                            {
                                "name": "Promo",
                                "promotionCode": "SAVE",
                                "amount": Decimal("-2.00"),
                                "taxes": [{"name": "Sales tax", "rate": Decimal("8"), "amount": Decimal("-0.16")}],
                            }
                        ],
                    ),
                    item("SKU-2", Decimal("1.5"), "3.30", tax_amount="0.25"),
                ],
            },
            {
                "referenceId": "g2",
                "deliverTo": address("Bo Lee"),
                "deliveryMethod": "Express",
                "items": [item("SKU-3", 1, "7.77", rate=10)],
            },
        ],
        name="Web order",
        externalReference="ext-1",
    )
    body["payments"] = [
        {
            "kind": "authorization",
            "method": "Visa",
            "type": "Credit Card",
            "gatewayToken": "tok_visa",
            "last4": "4242",
            "amount": Decimal("60.00"),
            "gatewayReference": "auth-1",
            "expiresAt": "2026-12-01T00:00:00+02:00",
        },
        {"kind": "sale", "method": "Gift card", "gatewayToken": "gc_1", "amount": Decimal("1.00")},
    ]
    return body


def rows_of(summary: OrderSummary) -> dict[str, list[dict]]:
    """Every column of every row one ingest wrote, ids and times left out, in a stable order."""
    order = Order.objects.get(pk=summary.original_order_id)
    querysets = {
        Order: Order.objects.filter(pk=order.pk),
        OrderDeliveryGroup: OrderDeliveryGroup.objects.filter(order=order),
        OrderItem: OrderItem.objects.filter(order=order),
        OrderItemAdjustmentLine: OrderItemAdjustmentLine.objects.filter(order_item__order=order),
        OrderItemTaxLine: OrderItemTaxLine.objects.filter(order_item__order=order),
        OrderSummary: OrderSummary.objects.filter(pk=summary.pk),
        OrderDeliveryGroupSummary: OrderDeliveryGroupSummary.objects.filter(order_summary=summary),
        OrderItemSummary: OrderItemSummary.objects.filter(order_summary=summary),
        OrderPaymentSummary: OrderPaymentSummary.objects.filter(order_summary=summary),
        PaymentAuthorization: PaymentAuthorization.objects.filter(order=order),
        Payment: Payment.objects.filter(order=order),
    }
    assert set(querysets) == set(INGESTED)
    found = {}
    for model, queryset in querysets.items():
        skipped = {
            f.attname
            for f in model._meta.concrete_fields
            if f.primary_key or f.is_relation or f.name in ("created_at", "updated_at")
        }
        skipped |= {"order_number", "sales_channel_id"}
        rows = [
            {key: (type(value).__name__, str(value)) for key, value in row.items() if key not in skipped}
            for row in queryset.order_by("pk").values()
        ]
        found[model.__name__] = rows
    return found


def test_a_rich_order_is_written_the_same_by_insert_rows_and_by_bulk_create(monkeypatch):
    SalesChannel.objects.create(name="Lean")
    SalesChannel.objects.create(name="Django")
    lean = ingest(rich_body("SAME-1", "Lean"))

    def bulk_create(objs):
        return type(objs[0])._default_manager.bulk_create(objs) if objs else objs

    monkeypatch.setattr(order_write, "insert_rows", bulk_create)
    monkeypatch.setattr(checkout_payments, "insert_rows", bulk_create)
    django = ingest(rich_body("SAME-1", "Django"))

    lean_rows, django_rows = rows_of(lean), rows_of(django)
    assert lean_rows == django_rows
    assert all(lean_rows[model.__name__] for model in INGESTED)  # every table had rows to compare


@pytest.mark.parametrize("model", INGESTED, ids=lambda model: model.__name__)
def test_each_objects_parameters_are_those_of_djangos_insert_compiler(model, monkeypatch):
    """Every object an ingest writes, through both: same values of the same types, field by field."""
    SalesChannel.objects.create(name="Params")
    captured = []

    def capturing(objs):
        if objs and type(objs[0]) is model:
            captured.extend(copy.copy(obj) for obj in objs)
        return insert_rows(objs)

    monkeypatch.setattr(order_write, "insert_rows", capturing)
    monkeypatch.setattr(checkout_payments, "insert_rows", capturing)
    ingest(rich_body("PARAMS-1", "Params"))
    assert captured

    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)  # auto_now_add reads the same moment both ways
    plan = _plan(model, connection)
    for obj in captured:
        obj.pk = None
        query = InsertQuery(model)
        query.insert_values(plan.fields, [obj])
        _, django_params = query.get_compiler(connection=connection).as_sql()[0]
        ours = plan.values(obj, connection)
        assert [(type(v), v) for v in ours] == [(type(v), v) for v in django_params]


def test_ids_and_state_are_set_as_bulk_create_sets_them():
    channel = SalesChannel.objects.create(name="State")
    orders = [
        Order(order_number=f"S-{n}", sales_channel=channel, currency="USD", ordered_date=timezone.now())
        for n in range(3)
    ]
    with CaptureQueriesContext(connection) as captured:
        assert insert_rows(orders) is orders
    assert len([q for q in captured.captured_queries if q["sql"].startswith("INSERT")]) == 1
    assert all(o.pk and not o._state.adding and o._state.db == "default" for o in orders)
    assert list(Order.objects.filter(sales_channel=channel).order_by("pk").values_list("pk", "order_number")) == [
        (o.pk, o.order_number) for o in orders
    ]
    assert [o.total_amount for o in Order.objects.filter(sales_channel=channel)] == [Decimal("0")] * 3


def test_nothing_to_insert_asks_nothing():
    with CaptureQueriesContext(connection) as captured:
        assert insert_rows([]) == []
    assert captured.captured_queries == []


def test_an_unsaved_related_object_is_refused_as_bulk_create_refuses_it():
    channel = SalesChannel(name="Never saved")
    with pytest.raises(ValueError, match="unsaved related object 'sales_channel'"):
        insert_rows([Order(order_number="U-1", sales_channel=channel, currency="USD", ordered_date=timezone.now())])


def test_an_expression_or_a_set_primary_key_is_left_to_bulk_create():
    channel = SalesChannel.objects.create(name="Fallback")
    with_expression = Order(
        order_number="E-1",
        sales_channel=channel,
        currency="USD",
        ordered_date=timezone.now(),
        reason=Value("by expression"),
    )
    insert_rows([with_expression])
    assert Order.objects.get(order_number="E-1").reason == "by expression"
    with_pk = Order(pk=987654, order_number="P-1", sales_channel=channel, currency="USD", ordered_date=timezone.now())
    insert_rows([with_pk])
    assert Order.objects.get(pk=987654).order_number == "P-1"


@pytest.mark.parametrize("model", [Event, OutboxMessage], ids=lambda model: model.__name__)
def test_the_event_and_outbox_rows_of_an_ingest_get_the_parameters_of_djangos_insert_compiler(
    model, monkeypatch, settings
):
    """The order_summary.created event and the routing message, written by insert_rows since issue 19."""
    settings.OMS_AUTO_ROUTE_ORDERS = True
    SalesChannel.objects.create(name="Follow-ups")
    captured = []

    def capturing(objs):
        if objs and type(objs[0]) is model:
            captured.extend(copy.copy(obj) for obj in objs)
        return insert_rows(objs)

    monkeypatch.setattr(events_module, "insert_rows", capturing)
    monkeypatch.setattr(outbox_module, "insert_rows", capturing)
    summary = ingest(rich_body("FOLLOW-1", "Follow-ups"))
    assert len(captured) == 1
    if model is Event:
        assert (captured[0].order_summary_id, captured[0].sequence) == (summary.pk, 1)
        assert Event.objects.filter(order_summary_id=summary.pk, sequence=1).count() == 1
    else:
        assert captured[0].args == [summary.pk]
        assert [m.args for m in OutboxMessage.objects.filter(task_name=captured[0].task_name)] == [[summary.pk]]

    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    plan = _plan(model, connection)
    for obj in captured:
        obj.pk = None
        query = InsertQuery(model)
        query.insert_values(plan.fields, [obj])
        _, django_params = query.get_compiler(connection=connection).as_sql()[0]
        ours = plan.values(obj, connection)
        # A JSON value is sent wrapped (psycopg's Jsonb, which has no equality of its own): its object.
        assert [(type(v), getattr(v, "obj", v)) for v in ours] == [
            (type(v), getattr(v, "obj", v)) for v in django_params
        ]
