"""What the admin may edit: reference data, and the status of a process exception (nothing else of it)."""

import pytest
from django.urls import reverse

from orders.models import OrderSummary, ProcessException, ProcessExceptionCategory, ReasonCode, SalesChannel

pytestmark = pytest.mark.django_db


def test_reason_codes_are_edited_in_the_list(admin_client):
    # The migration seeds the default reason codes; the list edits is_active and sort_order in place.
    damaged = ReasonCode.objects.get(name="Damaged")
    goodwill = ReasonCode.objects.get(name="Goodwill")
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "_save": "Save",
        "form-0-id": damaged.pk,
        "form-0-sort_order": "5",
        "form-1-id": goodwill.pk,
        "form-1-is_active": "on",
        "form-1-sort_order": "1",
    }
    response = admin_client.post(reverse("admin:orders_reasoncode_changelist"), data)
    assert response.status_code == 302
    damaged.refresh_from_db()
    goodwill.refresh_from_db()
    assert (damaged.is_active, damaged.sort_order) == (False, 5)
    assert (goodwill.is_active, goodwill.sort_order) == (True, 1)


def test_sales_channels_are_created_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:orders_saleschannel_add"), {"name": "Marketplace", "description": "Third-party marketplace"}
    )
    assert response.status_code == 302
    assert SalesChannel.objects.filter(name="Marketplace").exists()


def test_process_exception_status_change_updates_the_summary_count(admin_client, order_summary):
    first = ProcessException.objects.get(order_summary=order_summary)
    ProcessException.objects.create(
        order_summary=order_summary, category=ProcessExceptionCategory.FULFILLMENT, message="No stock in Boston"
    )
    # Both exceptions are New (active); the fixture wrote them directly, so set the count they imply.
    OrderSummary.objects.filter(pk=order_summary.pk).update(active_process_exception_count=2)

    response = admin_client.post(
        reverse("admin:orders_processexception_change", args=[first.pk]),
        {"status": "Resolved", "message": "rewritten by hand", "category": "Invoicing"},
    )

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "Resolved"
    # Only the status is editable: the other posted fields are ignored.
    assert first.message == "Capture retry for WEB-1001"
    assert first.category == "Payment"
    # 2 active − 1 resolved = 1.
    assert OrderSummary.objects.get(pk=order_summary.pk).active_process_exception_count == 1


def test_process_exceptions_are_not_added_or_deleted_by_hand(admin_client, order_summary):
    exception = ProcessException.objects.get(order_summary=order_summary)
    assert admin_client.get(reverse("admin:orders_processexception_add")).status_code == 403
    assert admin_client.get(reverse("admin:orders_processexception_delete", args=[exception.pk])).status_code == 403
    page = admin_client.get(reverse("admin:orders_processexception_change", args=[exception.pk])).content.decode()
    assert 'name="status"' in page
    assert 'name="message"' not in page
