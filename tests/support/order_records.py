"""An order with every kind of record around it: order, summary, change order, payments, exception.

Records are written directly, for tests of pages that only read them (the admin); services that
create such records are tested on their own. Roll-ups come from refresh_summary, so the summary
agrees with its items.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from orders.models import (
    ItemChangeType,
    ItemType,
    Order,
    OrderDeliveryGroup,
    OrderDeliveryGroupSummary,
    OrderItem,
    OrderItemAdjustmentLine,
    OrderItemSummary,
    OrderItemSummaryChange,
    OrderItemTaxLine,
    OrderKind,
    OrderSummary,
    ProcessException,
    ProcessExceptionCategory,
)
from orders.services.summary_refresh import refresh_summary
from payments.models import OrderPaymentSummary, Payment, PaymentAuthorization, PaymentKind
from tests.factories import SalesChannelFactory

D = Decimal


def make_order(
    number: str,
    *,
    channel_name="Web US",
    currency="USD",
    email=None,
    name="Ada Lovelace",
    ordered=datetime(2025, 3, 14, 10, 0, tzinfo=UTC),
    client=None,
) -> OrderSummary:
    """One product (2 × 40.00, 8.00 off, 10 % tax) and shipping (5.00, 10 % tax); one unit canceled.

    Before the cancel: product 80.00 − 8.00 = 72.00, tax 8.00 − 0.80 = 7.20; shipping 5.00, tax 0.50.
    The cancel of 1 unit takes away 40.00 − 4.00 = 36.00 and tax 4.00 − 0.40 = 3.60.
    """
    channel = SalesChannelFactory(name=channel_name)
    email = email or f"{number.lower()}@example.com"
    order = Order.objects.create(
        order_number=number,
        sales_channel=channel,
        currency=currency,
        ordered_date=ordered,
        bill_to_name=name,
        bill_to_email=email,
        city="Boston",
        country="US",
        total_amount=D("77.00"),
        total_tax_amount=D("7.70"),
        grand_total_amount=D("84.70"),
    )
    group = OrderDeliveryGroup.objects.create(
        order=order, recipient_name=name, email=email, delivery_method="Ground", city="Boston", country="US"
    )
    product = OrderItem.objects.create(
        order=order,
        delivery_group=group,
        line_number=1,
        sku="MUG-1",
        name="Mug",
        quantity=D("2"),
        unit_price=D("40.00"),
        list_price=D("45.00"),
        line_amount=D("80.00"),
        line_tax_amount=D("8.00"),
        adjustment_amount=D("-8.00"),
        adjustment_tax_amount=D("-0.80"),
    )
    discount = OrderItemAdjustmentLine.objects.create(
        order_item=product, name="Spring sale", promotion_code="SPRING10", amount=D("-8.00")
    )
    OrderItemTaxLine.objects.create(order_item=product, name="Sales tax", rate=D("10"), amount=D("8.00"))
    OrderItemTaxLine.objects.create(
        order_item=product, adjustment_line=discount, name="Sales tax", rate=D("10"), amount=D("-0.80")
    )
    shipping = OrderItem.objects.create(
        order=order,
        delivery_group=group,
        line_number=2,
        type=ItemType.DELIVERY_CHARGE,
        sku="SHIP",
        name="Shipping",
        quantity=D("1"),
        unit_price=D("5.00"),
        line_amount=D("5.00"),
        line_tax_amount=D("0.50"),
    )
    OrderItemTaxLine.objects.create(order_item=shipping, name="Sales tax", rate=D("10"), amount=D("0.50"))

    summary = OrderSummary.objects.create(
        original_order=order,
        order_number=number,
        sales_channel=channel,
        currency=currency,
        ordered_date=ordered,
        bill_to_name=name,
        bill_to_email=email,
        city="Boston",
        country="US",
    )
    group_summary = OrderDeliveryGroupSummary.objects.create(
        order_summary=summary,
        original_delivery_group=group,
        recipient_name=name,
        email=email,
        delivery_method="Ground",
        city="Boston",
        country="US",
    )
    product_summary = OrderItemSummary.objects.create(
        order_summary=summary,
        delivery_group_summary=group_summary,
        original_order_item=product,
        line_number=1,
        sku="MUG-1",
        name="Mug",
        unit_price=D("40.00"),
        list_price=D("45.00"),
        tax_rate=D("10"),
        quantity_ordered=D("2"),
        quantity_canceled=D("1"),
        total_line_amount=D("40.00"),
        total_line_tax_amount=D("4.00"),
        total_adjustment_amount=D("-4.00"),
        total_adjustment_tax_amount=D("-0.40"),
    )
    OrderItemSummary.objects.create(
        order_summary=summary,
        delivery_group_summary=group_summary,
        original_order_item=shipping,
        line_number=2,
        type=ItemType.DELIVERY_CHARGE,
        sku="SHIP",
        name="Shipping",
        unit_price=D("5.00"),
        tax_rate=D("10"),
        quantity_ordered=D("1"),
        total_line_amount=D("5.00"),
        total_line_tax_amount=D("0.50"),
    )
    refresh_summary(summary)

    change = Order.objects.create(
        kind=OrderKind.CHANGE,
        order_summary=summary,
        change_type="Cancel",
        fulfillment_phase="Pre",
        reason="Customer Changed Mind",
        order_number=f"{number}-C1",
        sales_channel=channel,
        currency=currency,
        ordered_date=ordered + timedelta(hours=1),
        created_by_client=client,
        total_amount=D("-36.00"),
        total_tax_amount=D("-3.60"),
        grand_total_amount=D("-39.60"),
    )
    change_item = OrderItem.objects.create(
        order=change,
        delivery_group=group,
        order_item_summary=product_summary,
        sku="MUG-1",
        name="Mug",
        quantity=D("-1"),
        unit_price=D("40.00"),
        line_amount=D("-40.00"),
        line_tax_amount=D("-4.00"),
        adjustment_amount=D("4.00"),
        adjustment_tax_amount=D("0.40"),
    )
    OrderItemSummaryChange.objects.create(
        order_summary=summary,
        order_item_summary=product_summary,
        change_order=change,
        change_order_item=change_item,
        change_type=ItemChangeType.CANCEL,
        reason="Customer Changed Mind",
        is_pre_fulfillment=True,
        created_by_client=client,
    )

    # 84.70 − 39.60 = 45.10 is what the order costs now; 45.10 was captured of 84.70 authorized.
    payment_summary = OrderPaymentSummary.objects.create(
        order_summary=summary,
        method="Visa",
        type="Visa",
        last4="4242",
        currency=currency,
        authorization_amount=D("84.70"),
        captured_amount=D("45.10"),
        balance_amount=D("45.10"),
    )
    card = {"method": "Visa", "type": "Visa", "last4": "4242", "currency": currency}
    authorization = PaymentAuthorization.objects.create(
        order=order,
        order_payment_summary=payment_summary,
        amount=D("84.70"),
        gateway_reference=f"auth-{number}",
        **card,
    )
    Payment.objects.create(
        order=order,
        order_payment_summary=payment_summary,
        authorization=authorization,
        kind=PaymentKind.CAPTURE,
        **card,
        amount=D("45.10"),
        balance=D("45.10"),
        gateway_reference=f"cap-{number}",
    )
    ProcessException.objects.create(
        order_summary=summary, category=ProcessExceptionCategory.PAYMENT, message=f"Capture retry for {number}"
    )
    summary.refresh_from_db()
    return summary
