"""Recompute item statuses, roll-ups and the summary status after any change to item summaries.

Callers hold the order summary's row lock and pass the item summaries they changed (already
saved or not); every change service ends by calling `refresh_summary`.
"""

from collections import defaultdict

from orders.models import OrderDeliveryGroupSummary, OrderItemSummary, OrderSummary
from orders.rollups import ROLLUP_FIELDS, compute_rollups
from orders.statuses import item_summary_status, order_summary_status


def refresh_summary(
    summary: OrderSummary,
    item_summaries: list[OrderItemSummary] | None = None,
    *,
    bump_version: bool = True,
) -> OrderSummary:
    """Re-derive statuses and totals from the item summaries and save what changed.

    `item_summaries` must be every item of the summary with its current values; when omitted they
    are loaded (one query).
    """
    if item_summaries is None:
        item_summaries = list(summary.item_summaries.all())

    changed_items = []
    for ois in item_summaries:
        status = item_summary_status(ois)
        if status != ois.status:
            ois.status = status
            changed_items.append(ois)
    if changed_items:
        OrderItemSummary.objects.bulk_update(changed_items, ["status"])

    by_group = defaultdict(list)
    for ois in item_summaries:
        by_group[ois.delivery_group_summary_id].append(ois)
    groups = list(OrderDeliveryGroupSummary.objects.filter(order_summary=summary))
    changed_groups = []
    for group in groups:
        totals = compute_rollups(by_group.get(group.pk, []), summary.tax_locale_type)
        if any(getattr(group, name) != value for name, value in totals.items()):
            for name, value in totals.items():
                setattr(group, name, value)
            changed_groups.append(group)
    if changed_groups:
        OrderDeliveryGroupSummary.objects.bulk_update(changed_groups, list(ROLLUP_FIELDS))

    for name, value in compute_rollups(item_summaries, summary.tax_locale_type).items():
        setattr(summary, name, value)
    summary.status = order_summary_status(item_summaries)
    update_fields = [*ROLLUP_FIELDS, "status", "updated_at"]
    if bump_version:
        summary.version += 1
        update_fields.append("version")
    summary.save(update_fields=update_fields)
    return summary
