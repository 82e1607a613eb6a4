"""Recompute item statuses, roll-ups and the summary status after any change to item summaries.

Callers hold the order summary's row lock and pass the item summaries they changed (already
saved or not); every change service ends by calling `refresh_summary`.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence

from orders.db import update_row, update_rows
from orders.models import OrderDeliveryGroupSummary, OrderItemSummary, OrderSummary
from orders.rollups import ROLLUP_FIELDS, compute_rollups
from orders.statuses import item_summary_status, order_summary_status


def refresh_summary(
    summary: OrderSummary,
    item_summaries: list[OrderItemSummary] | None = None,
    *,
    bump_version: bool = True,
    groups: list[OrderDeliveryGroupSummary] | None = None,
    unsaved: Sequence[OrderItemSummary] = (),
    unsaved_fields: Iterable[str] = (),
) -> OrderSummary:
    """Re-derive statuses and totals from the item summaries and save what changed.

    `item_summaries` must be every item of the summary with its current values; when omitted they
    are loaded (one query). `groups`, every delivery group summary of the summary, saves a query when
    the caller has them. `unsaved` are items whose `unsaved_fields` the caller changed without saving:
    they are saved with the new statuses, in the same statement.
    """
    if item_summaries is None:
        item_summaries = list(summary.item_summaries.all())

    to_save = {ois.pk: ois for ois in unsaved}
    save_fields = list(unsaved_fields) if to_save else []
    status_changed = False
    for ois in item_summaries:
        status = item_summary_status(ois)
        if status != ois.status:
            ois.status = status
            to_save.setdefault(ois.pk, ois)
            status_changed = True
    if status_changed:
        save_fields.append("status")
    # Rows in one list, in id order (the order they were locked in).
    update_rows(OrderItemSummary, sorted(to_save.values(), key=lambda ois: ois.pk), save_fields)

    by_group = defaultdict(list)
    for ois in item_summaries:
        by_group[ois.delivery_group_summary_id].append(ois)
    if groups is None:
        groups = list(OrderDeliveryGroupSummary.objects.filter(order_summary=summary))
    changed_groups = []
    changed_group_fields: set[str] = set()
    for group in groups:
        totals = compute_rollups(by_group.get(group.pk, []), summary.tax_locale_type)
        changed = [name for name, value in totals.items() if getattr(group, name) != value]
        if changed:
            for name in changed:
                setattr(group, name, totals[name])
            changed_groups.append(group)
            changed_group_fields.update(changed)
    # Only the roll-ups that moved: the others hold the values they would be set to.
    update_rows(
        OrderDeliveryGroupSummary, changed_groups, [name for name in ROLLUP_FIELDS if name in changed_group_fields]
    )

    for name, value in compute_rollups(item_summaries, summary.tax_locale_type).items():
        setattr(summary, name, value)
    summary.status = order_summary_status(item_summaries)
    update_fields = [*ROLLUP_FIELDS, "status", "updated_at"]
    if bump_version:
        summary.version += 1
        update_fields.append("version")
    # save(update_fields=…) without compiling the UPDATE each time: the summary is locked, so its row exists.
    update_row(summary, update_fields)
    return summary
