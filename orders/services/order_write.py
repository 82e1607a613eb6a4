"""Write original orders and their summaries with one insert per table, whatever the number of orders.

The rows of an ingest (orders.services.ingest), of a summary created later (create_summary) and of an
exchange's replacement order (exchanges). The caller holds the transaction and has validated the input.
"""

from dataclasses import dataclass
from typing import TypeVar

from orders.ingest_input import AddressInput
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
from orders.services.ingest_statement import insert_rows
from orders.services.ingest_validation import ComputedOrder
from orders.statuses import order_summary_status

M = TypeVar("M")


@dataclass
class CreatedOrder:
    order: Order
    delivery_groups: list[OrderDeliveryGroup]
    items: list[OrderItem]
    summary: OrderSummary | None = None


def _address_fields(address: AddressInput) -> dict[str, str]:
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
    return create_orders([(computed, channel)], client=client)[0]


def create_orders(
    orders: list[tuple[ComputedOrder, SalesChannel]], *, client: ApiClient | None = None
) -> list[CreatedOrder]:
    """Write several original orders with one bulk insert per table, whatever the number of orders.

    The caller holds the transaction and has validated each order.
    """
    written = insert_rows(
        [
            Order(
                kind=OrderKind.ORIGINAL,
                order_number=computed.data.order_number,
                sales_channel_id=channel.pk,
                currency=computed.data.currency,
                tax_locale_type=computed.data.tax_locale_type,
                ordered_date=computed.data.ordered_date,
                external_reference=computed.data.external_reference,
                bill_to_name=computed.data.bill_to.name,
                bill_to_email=computed.data.bill_to.email,
                bill_to_phone=computed.data.bill_to.phone,
                created_by_client_id=client.pk if client is not None else None,
                total_amount=computed.total_amount,
                total_tax_amount=computed.total_tax_amount,
                grand_total_amount=computed.grand_total_amount,
                **_address_fields(computed.data.bill_to),
            )
            for computed, channel in orders
        ]
    )
    groups = insert_rows(
        [
            OrderDeliveryGroup(
                order_id=order.pk,
                reference_id=group.reference_id,
                recipient_name=group.deliver_to.name,
                email=group.deliver_to.email,
                phone=group.deliver_to.phone,
                latitude=group.deliver_to.latitude,
                longitude=group.deliver_to.longitude,
                delivery_method=group.delivery_method,
                delivery_method_type=group.delivery_method_type,
                pickup_location_id=computed.pickup_location_ids.get(group_index),
                desired_delivery_date=group.desired_delivery_date,
                is_gift=group.is_gift,
                gift_message=group.gift_message,
                **_address_fields(group.deliver_to),
            )
            for order, (computed, _) in zip(written, orders, strict=True)
            for group_index, group in enumerate(computed.data.delivery_groups)
        ]
    )
    groups_of = _split(groups, [len(computed.data.delivery_groups) for computed, _ in orders])
    items = insert_rows(
        [
            OrderItem(
                order_id=order.pk,
                delivery_group_id=order_groups[item.group_index].pk,
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
            for order, order_groups, (computed, _) in zip(written, groups_of, orders, strict=True)
            for number, item in enumerate(computed.items, start=1)
        ]
    )
    computed_items = [item for computed, _ in orders for item in computed.items]
    adjustment_lines = []
    adjustment_taxes = []
    for order_item, item in zip(items, computed_items, strict=True):
        # Carried to the item summary below; OrderItem has no such column (the rate is its tax lines' sum).
        order_item.tax_rate = item.tax_rate  # type: ignore[attr-defined]
        for adjustment in item.adjustments:
            line = OrderItemAdjustmentLine(
                order_item_id=order_item.pk,
                name=adjustment.name,
                promotion_code=adjustment.promotion_code,
                source=adjustment.source,
                amount=adjustment.amount,
            )
            adjustment_lines.append(line)
            adjustment_taxes.append((line, adjustment.taxes))
    insert_rows(adjustment_lines)
    tax_lines = [
        OrderItemTaxLine(order_item_id=order_item.pk, name=tax.name, rate=tax.rate, amount=tax.amount)
        for order_item, item in zip(items, computed_items, strict=True)
        for tax in item.taxes
    ]
    tax_lines += [
        OrderItemTaxLine(
            order_item_id=line.order_item_id,
            adjustment_line_id=line.pk,
            name=tax.name,
            rate=tax.rate,
            amount=tax.amount,
        )
        for line, taxes in adjustment_taxes
        for tax in taxes
    ]
    insert_rows(tax_lines)
    items_of = _split(items, [len(computed.items) for computed, _ in orders])
    return [
        CreatedOrder(order=order, delivery_groups=order_groups, items=order_items)
        for order, order_groups, order_items in zip(written, groups_of, items_of, strict=True)
    ]


def _split(rows: list[M], sizes: list[int]) -> list[list[M]]:
    """Rows written for several orders together, back into one list per order."""
    parts: list[list[M]] = []
    start = 0
    for size in sizes:
        parts.append(rows[start : start + size])
        start += size
    return parts


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
    spec = SummarySpec(life_cycle_type=life_cycle_type, name=name, external_reference=external_reference)
    return build_order_summaries([(created, spec)])[0]


@dataclass(frozen=True)
class SummarySpec:
    life_cycle_type: str = LifeCycleType.MANAGED
    name: str = ""
    external_reference: str = ""


def build_order_summaries(entries: list[tuple[CreatedOrder, SummarySpec]]) -> list[OrderSummary]:
    """The summaries of several created orders, with one bulk insert per table whatever their number."""
    item_summaries_of = [
        [
            OrderItemSummary(
                original_order_item_id=item.pk,
                line_number=item.line_number,
                type=item.type,
                sku=item.sku,
                name=item.name,
                product_reference=item.product_reference,
                unit_price=item.unit_price,
                list_price=item.list_price,
                tax_rate=item.tax_rate,  # type: ignore[attr-defined]  # set on the instance by write_orders
                tax_locale_type=created.order.tax_locale_type,
                quantity_ordered=item.quantity,
                total_line_amount=item.line_amount,
                total_line_tax_amount=item.line_tax_amount,
                total_adjustment_amount=item.adjustment_amount,
                total_adjustment_tax_amount=item.adjustment_tax_amount,
            )
            for item in created.items
        ]
        for created, _ in entries
    ]
    summaries = insert_rows(
        [
            OrderSummary(
                original_order_id=created.order.pk,
                order_number=created.order.order_number,
                sales_channel_id=created.order.sales_channel_id,
                life_cycle_type=spec.life_cycle_type,
                status=order_summary_status(item_summaries),
                name=spec.name,
                currency=created.order.currency,
                tax_locale_type=created.order.tax_locale_type,
                ordered_date=created.order.ordered_date,
                external_reference=spec.external_reference or created.order.external_reference,
                bill_to_name=created.order.bill_to_name,
                bill_to_email=created.order.bill_to_email,
                bill_to_phone=created.order.bill_to_phone,
                street=created.order.street,
                city=created.order.city,
                state=created.order.state,
                postal_code=created.order.postal_code,
                country=created.order.country,
                **compute_rollups(item_summaries, created.order.tax_locale_type),
            )
            for (created, spec), item_summaries in zip(entries, item_summaries_of, strict=True)
        ]
    )
    group_summaries = insert_rows(
        [
            OrderDeliveryGroupSummary(
                order_summary_id=summary.pk,
                original_delivery_group_id=group.pk,
                tax_locale_type=created.order.tax_locale_type,
                reference_id=group.reference_id,
                recipient_name=group.recipient_name,
                email=group.email,
                phone=group.phone,
                latitude=group.latitude,
                longitude=group.longitude,
                delivery_method=group.delivery_method,
                delivery_method_type=group.delivery_method_type,
                pickup_location_id=group.pickup_location_id,
                desired_delivery_date=group.desired_delivery_date,
                is_gift=group.is_gift,
                gift_message=group.gift_message,
                street=group.street,
                city=group.city,
                state=group.state,
                postal_code=group.postal_code,
                country=group.country,
                **compute_rollups(
                    [
                        ois
                        for ois, item in zip(item_summaries, created.items, strict=True)
                        if item.delivery_group_id == group.pk
                    ],
                    created.order.tax_locale_type,
                ),
            )
            for (created, _), summary, item_summaries in zip(entries, summaries, item_summaries_of, strict=True)
            for group in created.delivery_groups
        ]
    )
    group_summary_by_group = {gs.original_delivery_group_id: gs for gs in group_summaries}
    for (created, _), summary, item_summaries in zip(entries, summaries, item_summaries_of, strict=True):
        for ois, item in zip(item_summaries, created.items, strict=True):
            ois.order_summary_id = summary.pk
            ois.delivery_group_summary_id = group_summary_by_group[item.delivery_group_id].pk
        created.summary = summary
    insert_rows([ois for item_summaries in item_summaries_of for ois in item_summaries])
    return summaries
