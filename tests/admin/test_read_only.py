"""Money and quantity records cannot be added, changed or deleted by hand in the admin."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from orders.models import (
    IdempotencyRecord,
    Order,
    OrderDeliveryGroup,
    OrderDeliveryGroupSummary,
    OrderItem,
    OrderItemAdjustmentLine,
    OrderItemSummary,
    OrderItemSummaryChange,
    OrderItemTaxLine,
    OrderSummary,
)
from payments.models import OrderPaymentSummary, Payment, PaymentAuthorization

pytestmark = pytest.mark.django_db

READ_ONLY_MODELS = [
    Order,
    OrderDeliveryGroup,
    OrderItem,
    OrderItemAdjustmentLine,
    OrderItemTaxLine,
    OrderSummary,
    OrderDeliveryGroupSummary,
    OrderItemSummary,
    OrderItemSummaryChange,
    OrderPaymentSummary,
    PaymentAuthorization,
    Payment,
    IdempotencyRecord,
]


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", READ_ONLY_MODELS, ids=lambda m: m._meta.label)
def test_superuser_has_view_but_no_add_change_or_delete_permission(admin_user, model):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    model_admin = admin.site._registry[model]
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


@pytest.mark.parametrize("model", READ_ONLY_MODELS, ids=lambda m: m._meta.label)
def test_add_change_and_delete_views_refuse(admin_client, order_summary, model):
    obj = model.objects.order_by("pk").first()
    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.post(admin_url(model, "add"), {}).status_code == 403
    assert admin_client.post(admin_url(model, "change", obj.pk), {}).status_code == 403
    assert admin_client.get(admin_url(model, "delete", obj.pk)).status_code == 403
    assert admin_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", READ_ONLY_MODELS, ids=lambda m: m._meta.label)
def test_change_page_is_view_only_and_list_offers_no_bulk_delete(admin_client, order_summary, model):
    obj = model.objects.order_by("pk").first()
    page = admin_client.get(admin_url(model, "change", obj.pk)).content.decode()
    assert 'name="_save"' not in page
    changelist = admin_client.get(admin_url(model, "changelist"))
    assert "delete_selected" not in changelist.content.decode()


def test_a_posted_change_to_an_item_summary_writes_nothing(admin_client, order_summary):
    item = OrderItemSummary.objects.get(order_summary=order_summary, sku="MUG-1")
    response = admin_client.post(
        admin_url(OrderItemSummary, "change", item.pk), {"quantity_canceled": "0", "total_line_amount": "1.00"}
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.quantity_canceled == Decimal("1.00")
    assert item.total_line_amount == Decimal("40.00")
