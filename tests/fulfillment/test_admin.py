"""Fulfillment in the admin: pages render, the inventory CSV goes through the service, status moves too."""

from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orders.models import FulfillmentOrder, InventoryLevel, Location, LocationGroup, ReturnOrder
from tests.builders import items_by_sku, worked_example
from tests.fulfillment.helpers import make_location, on_hand_reserved, place, stock

pytestmark = pytest.mark.django_db

UPLOAD = reverse("admin:orders_inventorylevel_upload")


def csv_file(text):
    return SimpleUploadedFile("stock.csv", text.encode(), content_type="text/csv")


def test_changelists_and_change_pages_render(admin_client):
    warehouse = make_location("WH-1")
    stock("WH-1", A=5, B=3)
    summary = worked_example()
    (order,) = place(summary, (warehouse, [(items_by_sku(summary)["A"], 1)]))
    for model in (Location, LocationGroup, InventoryLevel, FulfillmentOrder, ReturnOrder):
        response = admin_client.get(reverse(f"admin:orders_{model._meta.model_name}_changelist"))
        assert response.status_code == 200, model
    assert b"Upload inventory (CSV)" in admin_client.get(reverse("admin:orders_inventorylevel_changelist")).content
    page = admin_client.get(reverse("admin:orders_fulfillmentorder_change", args=[order.pk]))
    assert page.status_code == 200 and b"DELIVERY-GROUND" in page.content


def test_csv_upload_sets_levels(admin_client):
    make_location("WH-1")
    make_location("WH-2")
    stock("WH-1", A=1)
    response = admin_client.post(
        UPLOAD,
        {
            "file": csv_file(
                "locationExternalReference,stockKeepingUnit,quantityOnHand\nWH-1,A,7\nWH-2,A,2.5\nWH-2,B,0\n"
            )
        },
    )
    assert response.status_code == 302
    assert on_hand_reserved("WH-1", "A") == (D(7), D(0))
    assert on_hand_reserved("WH-2", "A") == (D("2.5"), D(0))
    assert InventoryLevel.objects.count() == 3


def test_csv_with_a_bad_row_writes_nothing_and_names_it(admin_client):
    make_location("WH-1")
    response = admin_client.post(
        UPLOAD,
        {
            "file": csv_file(
                "locationExternalReference,stockKeepingUnit,quantityOnHand\nWH-1,A,7\nGHOST,A,1\nWH-1,B,-2\n"
            )
        },
    )
    assert response.status_code == 400  # a refused upload answers 400 since issue 14
    errors = list(response.context["form"].non_field_errors())
    assert errors == [
        "rows[2].quantityOnHand: May not be negative.",
        "rows[1].locationExternalReference: No location 'GHOST'.",
    ]
    assert InventoryLevel.objects.count() == 0


def test_csv_with_a_wrong_header_is_refused(admin_client):
    response = admin_client.post(UPLOAD, {"file": csv_file("sku,qty\nA,1\n")})
    assert response.status_code == 400
    assert "first line must be" in str(response.context["form"].non_field_errors())


def test_status_moves_through_the_service(admin_client):
    warehouse = make_location("WH-1")
    stock("WH-1", A=5)
    summary = worked_example()
    (order,) = place(summary, (warehouse, [(items_by_sku(summary)["A"], 2)]))
    url = reverse("admin:orders_fulfillmentorder_change", args=[order.pk])

    response = admin_client.post(url, {"status": "Fulfilled", **_empty_inline(order)})

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "Fulfilled"
    assert on_hand_reserved("WH-1", "A") == (D(3), D(0))
    assert items_by_sku(summary)["A"].quantity_fulfilled == 2
    # Final now: the page shows the status without a field to change it.
    assert b'name="status"' not in admin_client.get(url).content


def test_illegal_status_move_is_refused_in_the_form(admin_client):
    warehouse = make_location("WH-1")
    stock("WH-1", A=5)
    summary = worked_example()
    (order,) = place(summary, (warehouse, [(items_by_sku(summary)["A"], 2)]))
    response = admin_client.post(
        reverse("admin:orders_fulfillmentorder_change", args=[order.pk]), {"status": "Draft", **_empty_inline(order)}
    )
    assert response.status_code == 200
    assert "cannot go from Allocated to Draft" in str(response.context["adminform"].form.errors)
    order.refresh_from_db()
    assert order.status == "Allocated"


def _empty_inline(order):
    count = order.lines.count()
    return {
        "lines-TOTAL_FORMS": str(count),
        "lines-INITIAL_FORMS": str(count),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "0",
        **{f"lines-{i}-id": str(line.pk) for i, line in enumerate(order.lines.order_by("id"))},
        **{f"lines-{i}-fulfillment_order": str(order.pk) for i in range(count)},
        # The shipments inline (none yet).
        "shipments-TOTAL_FORMS": "0",
        "shipments-INITIAL_FORMS": "0",
        "shipments-MIN_NUM_FORMS": "0",
        "shipments-MAX_NUM_FORMS": "0",
        # The moves inline (issue 13: who moved it, and the amounts of the time).
        **_inline_management("moves", order.moves.order_by("id")),
    }


def _inline_management(prefix, rows):
    rows = list(rows)
    return {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(len(rows)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "0",
        **{f"{prefix}-{i}-id": str(row.pk) for i, row in enumerate(rows)},
    }


def test_a_shipment_shows_its_tracking_and_takes_its_delivery_date_through_the_service(admin_client):
    from datetime import UTC, datetime

    from orders.models import Shipment
    from orders.services.shipments import ShipmentInput, create_shipment

    warehouse = make_location("WH-1")
    stock("WH-1", A=5, B=3)
    summary = worked_example()
    (order,) = place(summary, (warehouse, [(items_by_sku(summary)["A"], 2)]))
    shipment = create_shipment(
        order.pk,
        ShipmentInput(
            carrier="UPS", tracking_number="1Z999AA10123456784", shipped_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
        ),
    )
    assert b"1Z999AA10123456784" in admin_client.get(reverse("admin:orders_shipment_changelist")).content
    assert (
        b"1Z999AA10123456784"
        in admin_client.get(reverse("admin:orders_fulfillmentorder_change", args=[order.pk])).content
    )
    url = reverse("admin:orders_shipment_change", args=[shipment.pk])
    assert admin_client.get(url).status_code == 200

    refused = admin_client.post(
        url,
        {
            "delivered_at_0": "2026-03-01",
            "delivered_at_1": "09:00:00",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
        },
        follow=True,
    )
    assert b"Must not be before the shipment" in refused.content
    assert Shipment.objects.get().delivered_at is None
    admin_client.post(
        url,
        {
            "delivered_at_0": "2026-03-04",
            "delivered_at_1": "15:30:00",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
        },
    )
    assert Shipment.objects.get().delivered_at == datetime(2026, 3, 4, 15, 30, tzinfo=UTC)
