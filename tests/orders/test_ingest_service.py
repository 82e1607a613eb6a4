from decimal import Decimal

import pytest

from orders.models import ItemStatus, ItemType, Order, OrderItemTaxLine, OrderSummaryStatus
from payments.models import OrderPaymentSummary, PaymentAuthorization
from tests.builders import items_by_sku, worked_example

pytestmark = pytest.mark.django_db


def test_worked_example_rollups_computed_by_hand():
    summary = worked_example()
    # Products: A 2 × 40.00 = 80.00 (tax 6.40), B 20.00 (tax 1.60) -> 100.00, tax 8.00
    assert summary.total_product_amount == Decimal("100.00")
    assert summary.total_adjusted_product_amount == Decimal("100.00")
    assert summary.total_adjusted_product_tax_amount == Decimal("8.00")
    assert summary.total_adj_product_amt_with_tax == Decimal("108.00")
    # Delivery 10.00, tax 0.80
    assert summary.total_delivery_amount == Decimal("10.00")
    assert summary.total_adjusted_delivery_amount == Decimal("10.00")
    assert summary.total_adjusted_delivery_tax_amount == Decimal("0.80")
    assert summary.total_adj_delivery_amt_with_tax == Decimal("10.80")
    assert summary.total_fee_amount == Decimal("0")
    # 100 + 10 = 110.00; 8.00 + 0.80 = 8.80; 118.80
    assert summary.total_amount == Decimal("110.00")
    assert summary.total_tax_amount == Decimal("8.80")
    assert summary.grand_total_amount == Decimal("118.80")
    assert summary.status == OrderSummaryStatus.CREATED

    items = items_by_sku(summary)
    a = items["A"]
    assert (a.quantity_ordered, a.quantity, a.quantity_available_to_cancel) == (2, 2, 2)
    assert (a.total_line_amount, a.total_line_tax_amount, a.total_price, a.total_amt_with_tax) == (
        Decimal("80.00"),
        Decimal("6.40"),
        Decimal("80.00"),
        Decimal("86.40"),
    )
    assert a.tax_rate == Decimal("8")
    assert a.status == ItemStatus.ORDERED
    delivery = [ois for ois in items.values() if ois.type == ItemType.DELIVERY_CHARGE]
    assert len(delivery) == 1 and delivery[0].total_amt_with_tax == Decimal("10.80")

    group = summary.delivery_group_summaries.get()
    assert group.grand_total_amount == Decimal("118.80")
    order = Order.objects.get(pk=summary.original_order_id)
    assert order.grand_total_amount == Decimal("118.80")
    assert OrderItemTaxLine.objects.filter(order_item__order=order).count() == 3

    ops = OrderPaymentSummary.objects.get(order_summary=summary)
    assert (ops.authorization_amount, ops.captured_amount, ops.available_to_capture_amount) == (
        Decimal("118.80"),
        Decimal("0"),
        Decimal("118.80"),
    )
    assert PaymentAuthorization.objects.get(order=order).order_payment_summary == ops
