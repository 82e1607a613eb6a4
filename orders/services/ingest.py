"""Capture an order from a storefront: the original order and, by default, its order summary.

Payments belong to the payments app; `payments.services.order_intake.ingest_order` composes this
service with the payment records in one transaction.
"""

from dataclasses import dataclass

from orders.errors import DuplicateOrder, InvalidInput
from orders.ingest_input import AddressInput, OrderInput
from orders.models import (
    ApiClient,
    LifeCycleType,
    Order,
    OrderDeliveryGroup,
    OrderDeliveryGroupSummary,
    OrderItem,
    OrderItemAdjustmentLine,
    OrderItemSummary,
    OrderItemTaxLine,
    OrderKind,
    OrderSummary,
    SalesChannel,
)
from orders.rollups import compute_rollups
from orders.services.ingest_validation import ComputedOrder
from orders.statuses import order_summary_status


@dataclass
class CreatedOrder:
    order: Order
    delivery_groups: list[OrderDeliveryGroup]
    items: list[OrderItem]
    summary: OrderSummary | None = None


def resolve_sales_channel(name: str | None, client: ApiClient | None) -> SalesChannel:
    """A storefront key places orders in its own channel only; a back-office caller names one."""
    if client is not None and client.sales_channel_id is not None:
        if name and name != client.sales_channel.name:
            raise InvalidInput("This API key places orders in its own sales channel only.", field="salesChannel")
        return client.sales_channel
    if not name:
        raise InvalidInput("salesChannel is required for a key not bound to a channel.", field="salesChannel")
    channel = SalesChannel.objects.filter(name=name).first()
    if channel is None:
        raise InvalidInput(f"Unknown sales channel '{name}'.", field="salesChannel")
    return channel


def existing_order_error(channel: SalesChannel, order_number: str) -> DuplicateOrder | None:
    # Two ids, not two whole rows: every ingest asks, and the answer is almost always none.
    existing = (
        Order.objects.filter(sales_channel=channel, order_number=order_number, kind=OrderKind.ORIGINAL)
        .values_list("pk", "summary__pk")
        .first()
    )
    if existing is None:
        return None
    order_id, summary_id = existing
    return DuplicateOrder(
        f"Order {order_number} exists in {channel.name} already.",
        field="orderNumber",
        output={"orderId": str(order_id), "orderSummaryId": str(summary_id) if summary_id is not None else None},
    )


def _address_fields(address: AddressInput) -> dict:
    return {
        "street": address.street,
        "city": address.city,
        "state": address.state,
        "postal_code": address.postal_code,
        "country": address.country,
    }


def create_order(computed: ComputedOrder, *, channel: SalesChannel, client: ApiClient | None = None) -> CreatedOrder:
    """Write the original order with bulk inserts: the number of statements does not grow with lines.

    The caller holds the transaction and has validated `computed`.
    """
    data: OrderInput = computed.data
    order = Order.objects.create(
        kind=OrderKind.ORIGINAL,
        order_number=data.order_number,
        sales_channel=channel,
        currency=data.currency,
        tax_locale_type=data.tax_locale_type,
        ordered_date=data.ordered_date,
        external_reference=data.external_reference,
        bill_to_name=data.bill_to.name,
        bill_to_email=data.bill_to.email,
        bill_to_phone=data.bill_to.phone,
        created_by_client=client,
        total_amount=computed.total_amount,
        total_tax_amount=computed.total_tax_amount,
        grand_total_amount=computed.grand_total_amount,
        **_address_fields(data.bill_to),
    )
    groups = OrderDeliveryGroup.objects.bulk_create(
        [
            OrderDeliveryGroup(
                order=order,
                reference_id=group.reference_id,
                recipient_name=group.deliver_to.name,
                email=group.deliver_to.email,
                phone=group.deliver_to.phone,
                latitude=group.deliver_to.latitude,
                longitude=group.deliver_to.longitude,
                delivery_method=group.delivery_method,
                desired_delivery_date=group.desired_delivery_date,
                is_gift=group.is_gift,
                gift_message=group.gift_message,
                **_address_fields(group.deliver_to),
            )
            for group in data.delivery_groups
        ]
    )
    items = OrderItem.objects.bulk_create(
        [
            OrderItem(
                order=order,
                delivery_group=groups[item.group_index],
                line_number=number,
                type=item.type,
                sku=item.sku,
                name=item.name,
                product_reference=item.product_reference,
                quantity=item.quantity,
                unit_price=item.unit_price,
                list_price=item.list_price,
                line_amount=item.line_amount,
                line_tax_amount=item.line_tax_amount,
                adjustment_amount=item.adjustment_amount,
                adjustment_tax_amount=item.adjustment_tax_amount,
            )
            for number, item in enumerate(computed.items, start=1)
        ]
    )
    adjustment_lines = []
    adjustment_taxes = []
    for order_item, item in zip(items, computed.items, strict=True):
        order_item.tax_rate = item.tax_rate
        for adjustment in item.adjustments:
            line = OrderItemAdjustmentLine(
                order_item=order_item, name=adjustment.name, promotion_code=adjustment.promotion_code,
                source=adjustment.source, amount=adjustment.amount,
            )
            adjustment_lines.append(line)
            adjustment_taxes.append((line, adjustment.taxes))
    OrderItemAdjustmentLine.objects.bulk_create(adjustment_lines)
    tax_lines = [
        OrderItemTaxLine(order_item=order_item, name=tax.name, rate=tax.rate, amount=tax.amount)
        for order_item, item in zip(items, computed.items, strict=True)
        for tax in item.taxes
    ]
    tax_lines += [
        OrderItemTaxLine(
            order_item=line.order_item, adjustment_line=line, name=tax.name, rate=tax.rate, amount=tax.amount
        )
        for line, taxes in adjustment_taxes
        for tax in taxes
    ]
    OrderItemTaxLine.objects.bulk_create(tax_lines)
    return CreatedOrder(order=order, delivery_groups=groups, items=items)


def build_order_summary(
    created: CreatedOrder,
    *,
    life_cycle_type: str = LifeCycleType.MANAGED,
    name: str = "",
    external_reference: str = "",
) -> OrderSummary:
    """Create the summary, its delivery group summaries and item summaries, totals computed in memory.

    Each order item must carry `tax_rate` (set by create_order, or by the create-summary service).
    """
    order = created.order
    item_summaries = [
        OrderItemSummary(
            original_order_item=item,
            line_number=item.line_number,
            type=item.type,
            sku=item.sku,
            name=item.name,
            product_reference=item.product_reference,
            unit_price=item.unit_price,
            list_price=item.list_price,
            tax_rate=item.tax_rate,
            tax_locale_type=order.tax_locale_type,
            quantity_ordered=item.quantity,
            total_line_amount=item.line_amount,
            total_line_tax_amount=item.line_tax_amount,
            total_adjustment_amount=item.adjustment_amount,
            total_adjustment_tax_amount=item.adjustment_tax_amount,
        )
        for item in created.items
    ]
    summary = OrderSummary.objects.create(
        original_order=order,
        order_number=order.order_number,
        sales_channel_id=order.sales_channel_id,
        life_cycle_type=life_cycle_type,
        status=order_summary_status(item_summaries),
        name=name,
        currency=order.currency,
        tax_locale_type=order.tax_locale_type,
        ordered_date=order.ordered_date,
        external_reference=external_reference or order.external_reference,
        bill_to_name=order.bill_to_name,
        bill_to_email=order.bill_to_email,
        bill_to_phone=order.bill_to_phone,
        street=order.street,
        city=order.city,
        state=order.state,
        postal_code=order.postal_code,
        country=order.country,
        **compute_rollups(item_summaries, order.tax_locale_type),
    )
    group_summaries = OrderDeliveryGroupSummary.objects.bulk_create(
        [
            OrderDeliveryGroupSummary(
                order_summary=summary,
                original_delivery_group=group,
                tax_locale_type=order.tax_locale_type,
                reference_id=group.reference_id,
                recipient_name=group.recipient_name,
                email=group.email,
                phone=group.phone,
                latitude=group.latitude,
                longitude=group.longitude,
                delivery_method=group.delivery_method,
                desired_delivery_date=group.desired_delivery_date,
                is_gift=group.is_gift,
                gift_message=group.gift_message,
                street=group.street,
                city=group.city,
                state=group.state,
                postal_code=group.postal_code,
                country=group.country,
                **compute_rollups(
                    [ois for ois, item in zip(item_summaries, created.items, strict=True)
                     if item.delivery_group_id == group.pk],
                    order.tax_locale_type,
                ),
            )
            for group in created.delivery_groups
        ]
    )
    group_summary_by_group = {gs.original_delivery_group_id: gs for gs in group_summaries}
    for ois, item in zip(item_summaries, created.items, strict=True):
        ois.order_summary = summary
        ois.delivery_group_summary = group_summary_by_group[item.delivery_group_id]
    OrderItemSummary.objects.bulk_create(item_summaries)
    created.summary = summary
    return summary
