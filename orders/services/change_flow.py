"""The one path every change (cancel, return, adjust) takes: preview without writing, or submit
under the locks, writing change orders with signed deltas and updating the item summaries.

Preview and submit run the same pure calculation (orders.calculations) on the same kind of state;
the submit reads that state only after locking the order summary and then its item summaries in id
order, so two submits on one summary run one after the other and the second sees the first's result.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.calculations.plan import (
    ChangeBalances,
    ChangeOrderPlan,
    ChangePlan,
    FeeCharge,
    FulfillmentEffects,
    ItemChange,
    grand_total,
)
from orders.calculations.state import Amounts, Quantities, SummaryState
from orders.db import update_rows
from orders.errors import Conflict
from orders.event_data import emit_order_summary_changed
from orders.funds import funds_position
from orders.models import (
    AdjustmentSource,
    ApiClient,
    ChangeType,
    ItemChangeType,
    ItemType,
    Order,
    OrderDeliveryGroupSummary,
    OrderItem,
    OrderItemAdjustmentLine,
    OrderItemSummary,
    OrderItemSummaryChange,
    OrderItemTaxLine,
    OrderKind,
    OrderSummary,
)
from orders.money import round_money
from orders.selectors.change_state import (
    ChangeFacts,
    change_state,
    get_fulfillment_lines,
    get_item_rows,
    get_item_summaries,
    get_summary,
    get_summary_for_preview,
    groups_and_facts,
)
from orders.services.actor import Actor
from orders.services.ingest_statement import insert_rows, one_statement
from orders.services.summary_refresh import refresh_summary

# plan(state, reason_codes, max_items) -> ChangePlan
Planner = Callable[[SummaryState, frozenset[str], int], ChangePlan]

_QUANTITY_FIELDS = {
    "ordered": "quantity_ordered",
    "canceled": "quantity_canceled",
    "allocated": "quantity_allocated",
    "fulfilled": "quantity_fulfilled",
    "return_initiated": "quantity_return_initiated",
    "returned": "quantity_returned",
}
_AMOUNT_FIELDS = {
    "line": "total_line_amount",
    "line_tax": "total_line_tax_amount",
    "adjustment": "total_adjustment_amount",
    "adjustment_tax": "total_adjustment_tax_amount",
}


@dataclass(frozen=True)
class ChangeResult:
    order_summary_id: int
    balances: ChangeBalances
    # Change orders in the plan's order (for adjust: Pre, In, Post), with their fulfillment phase.
    change_orders: tuple[tuple[str, int], ...] = ()
    fee_change_order_id: int | None = None
    # The summary version the preview was computed on, or the version the submit produced.
    version: int = 0
    # The summary's currency, which the amounts are rounded to.
    currency: str = ""
    # A cancel's fulfillment-order side: lines canceled, delivery charges moved, orders Cancelled.
    fulfillment: FulfillmentEffects = field(default_factory=FulfillmentEffects)
    # Delivery charges canceled because the last product of their delivery group went.
    charges_canceled_with_last_product: tuple[int, ...] = ()

    @property
    def change_order_id(self) -> int | None:
        return self.change_orders[0][1] if self.change_orders else None

    def change_order_for_phase(self, phase: str) -> int | None:
        return next((pk for each_phase, pk in self.change_orders if each_phase == phase), None)


def actor_fields(actor: Actor) -> dict[str, Any]:
    """created_by / created_by_client for a person (Django user) or an integration (ApiClient)."""
    if isinstance(actor, ApiClient):
        return {"created_by": None, "created_by_client": actor}
    if actor is not None and getattr(actor, "is_authenticated", False):
        return {"created_by": actor, "created_by_client": None}
    return {"created_by": None, "created_by_client": None}


def _rounded_balances(summary: OrderSummary, plan: ChangePlan, facts: ChangeFacts) -> ChangeBalances:
    position = funds_position(
        summary,
        grand_total_reduction=plan.grand_total_reduction,
        added_outstanding_credit=plan.added_outstanding_credit,
        sums=facts.funds_sums,
    )
    balances = plan.balances.with_funds(position.total_excess_funds_amount, position.total_refundable_amount)
    currency = summary.currency
    return ChangeBalances(**{f.name: round_money(getattr(balances, f.name), currency) for f in fields(balances)})


def preview_change(
    summary_id: int | str, planner: Planner, *, channel_id: int | None = None, fulfillment: bool = False
) -> ChangeResult:
    """Run the calculation on the current state; write nothing.

    Three queries whatever the number of items: the summary (with its channel check, the reason codes and
    the funds sums), its items, and the change lines of earlier changes (their proration basis); with
    `fulfillment` (a cancel that may take units off fulfillment orders) a fourth, their open lines."""
    summary, facts = get_summary_for_preview(summary_id, channel_id=channel_id)
    items = get_item_rows(summary)
    lines = get_fulfillment_lines(summary) if fulfillment else None
    plan = planner(change_state(summary, items, lines), facts.reason_codes, settings.OMS_MAX_CHANGE_ITEMS)
    return _result(summary, plan, _rounded_balances(summary, plan, facts))


def _result(
    summary: OrderSummary, plan: ChangePlan, balances: ChangeBalances, written: "Written | None" = None
) -> ChangeResult:
    return ChangeResult(
        order_summary_id=summary.pk,
        balances=balances,
        change_orders=written.change_orders if written else (),
        fee_change_order_id=written.fee_change_order_id if written else None,
        version=summary.version,
        currency=summary.currency,
        fulfillment=plan.fulfillment,
        charges_canceled_with_last_product=plan.charges_canceled_with_last_product,
    )


def submit_change(
    summary_id: int | str,
    planner: Planner,
    *,
    actor: Actor,
    expected_version: int | None = None,
    channel_id: int | None = None,
    fulfillment: bool = False,
) -> ChangeResult:
    """Lock, re-check and re-calculate on the locked state, write the change, refresh the summary.

    The summary is locked (and checked against `channel_id`) first, then its items in id order; everything
    else the calculation reads — earlier change lines, reason codes, funds sums, the change order count —
    is read after the lock, so a submit that waited sees what the one before it wrote."""
    with transaction.atomic():
        summary = get_summary(summary_id, lock=True, channel_id=channel_id)
        if expected_version is not None and summary.version != expected_version:
            raise Conflict(
                f"The order summary changed since it was read (version {expected_version}, now {summary.version}); "
                "preview again.",
                field="version",
            )
        items = get_item_summaries(summary, lock=True)
        # After the items: the open fulfillment orders, locked, and their lines.
        lines = get_fulfillment_lines(summary, lock=True) if fulfillment else None
        state = change_state(summary, items, lines)
        groups, facts = groups_and_facts(summary)
        plan = planner(state, facts.reason_codes, settings.OMS_MAX_CHANGE_ITEMS)
        # Before the writes: the new change orders must not count twice in the funds position.
        balances = _rounded_balances(summary, plan, facts)
        writer = ChangeWriter(summary, items, actor, change_order_count=facts.change_order_count, groups=groups)
        written = writer.write(plan, save_items=False)
        unsaved, unsaved_fields = list(written.changed_items), set(written.changed_fields)
        shipped_in_full: tuple[int, ...] = ()
        if plan.fulfillment.line_cancels:
            from orders.services.fulfillment_cancel import apply_fulfillment_effects

            applied = apply_fulfillment_effects(plan.fulfillment, writer.items)
            reallocated, shipped_in_full = applied.reallocated, applied.shipped_in_full
            unsaved += [ois for ois in reallocated if ois not in unsaved]
            if reallocated:
                unsaved_fields.add("quantity_allocated")
        if plan.change_orders:
            from orders.services.fulfillment_cancel import place_waiting_charges, settle_line_residues

            # What a cancel or a pre-fulfillment adjustment takes off items with units on open fulfillment
            # orders reaches their lines (in- and post-fulfillment changes are billed apart: nothing to do).
            settle_line_residues(summary, unsaved)
            # A waiting delivery charge whose group has no product left to place rides on an open order.
            placed = place_waiting_charges(summary, list(writer.items.values()))
            unsaved += [ois for ois in placed if ois not in unsaved]
            if placed:
                unsaved_fields.add("quantity_allocated")
        # The changed items are saved with their new statuses, in one statement.
        refresh_summary(
            summary, items + written.fee_items, groups=groups, unsaved=unsaved, unsaved_fields=sorted(unsaved_fields)
        )
        if shipped_in_full:
            # What the cancel left on these fulfillment orders has all shipped: they are Fulfilled.
            from orders.services.shipments import fulfil_all_shipped

            fulfil_all_shipped(shipped_in_full)
            summary.refresh_from_db()
        # The money that follows (payments, after the commit): imported here, orders.automation imports services.
        from orders.automation import order_summary_changed

        order_summary_changed(summary.pk)
        emit_order_summary_changed(summary.pk, saved=summary)
    return _result(summary, plan, balances, written)


@dataclass
class Written:
    change_orders: tuple[tuple[str, int], ...]
    fee_change_order_id: int | None
    fee_items: list[OrderItemSummary]
    # With write(save_items=False): the item summaries changed in memory, and which of their fields.
    changed_items: list[OrderItemSummary] = field(default_factory=list)
    changed_fields: tuple[str, ...] = ()


class ChangeWriter:
    """Writes a plan: change orders with signed-delta items, adjustment and tax lines, item summary
    change rows, and the item summaries' new quantities and amounts (in memory and saved).

    The caller holds the summary's lock. `change_order_count` (the summary's change orders so far, which
    number the new ones) and `groups` (its delivery group summaries) save a query each when the caller
    has read them already."""

    def __init__(
        self,
        summary: OrderSummary,
        items: list[OrderItemSummary],
        actor: Actor,
        *,
        change_order_count: int | None = None,
        groups: list[OrderDeliveryGroupSummary] | None = None,
    ):
        self.summary = summary
        self.items = {ois.pk: ois for ois in items}
        self.actor = actor_fields(actor)
        self.now = timezone.now()
        self.sequence = (
            change_order_count
            if change_order_count is not None
            else Order.objects.filter(order_summary=summary).count()
        )
        if groups is None:
            self.delivery_groups = dict(
                OrderDeliveryGroupSummary.objects.filter(order_summary=summary).values_list(
                    "pk", "original_delivery_group_id"
                )
            )
        else:
            self.delivery_groups = {group.pk: group.original_delivery_group_id for group in groups}
        self.changed_fields: set[str] = set()

    def write(self, plan: ChangePlan, *, save_items: bool = True) -> Written:
        """Write the plan. With `save_items=False` the changed item summaries are left to the caller to
        save (Written.changed_items and changed_fields), e.g. together with their new statuses."""
        orders = []
        changed: dict[int, OrderItemSummary] = {}
        # On PostgreSQL the change orders' rows go in one statement (orders.services.ingest_statement): their
        # ids are known when the block ends. The fee order's item summaries are updated after their insert,
        # so the fees are written on their own.
        with one_statement():
            for change_order in plan.change_orders:
                orders.append((change_order.fulfillment_phase, self._write_change_order(change_order)))
                for change in change_order.changes:
                    changed[change.item_id] = self.items[change.item_id]
        written = [(phase, order.pk) for phase, order in orders]
        if changed and save_items:
            update_rows(
                OrderItemSummary, list(changed.values()), [*_QUANTITY_FIELDS.values(), *_AMOUNT_FIELDS.values()]
            )
        fee_order, fee_items = self._write_fees(plan.fees) if plan.fees else (None, [])
        return Written(
            tuple(written),
            fee_order.pk if fee_order else None,
            fee_items,
            changed_items=[] if save_items else list(changed.values()),
            changed_fields=() if save_items else tuple(sorted(self.changed_fields)),
        )

    def _new_order(self, *, change_type: str, phase: str, reason: str, totals: Amounts) -> Order:
        summary = self.summary
        self.sequence += 1
        order: Order
        [order] = insert_rows(
            [
                Order(
                    kind=OrderKind.CHANGE,
                    order_number=f"{summary.order_number}-C{self.sequence}",
                    sales_channel_id=summary.sales_channel_id,
                    currency=summary.currency,
                    tax_locale_type=summary.tax_locale_type,
                    ordered_date=self.now,
                    order_summary=summary,
                    change_type=change_type,
                    fulfillment_phase=phase,
                    reason=reason,
                    bill_to_name=summary.bill_to_name,
                    bill_to_email=summary.bill_to_email,
                    bill_to_phone=summary.bill_to_phone,
                    street=summary.street,
                    city=summary.city,
                    state=summary.state,
                    postal_code=summary.postal_code,
                    country=summary.country,
                    total_amount=totals.price,
                    total_tax_amount=totals.tax,
                    grand_total_amount=grand_total(totals, summary.tax_locale_type),
                    **self.actor,
                )
            ]
        )
        return order

    def _write_change_order(self, plan: ChangeOrderPlan) -> Order:
        order = self._new_order(
            change_type=plan.change_type, phase=plan.fulfillment_phase, reason=plan.reason, totals=plan.totals
        )
        order_items = insert_rows(
            [self._order_item(order, number, change) for number, change in enumerate(plan.changes, start=1)]
        )
        adjusted = []
        tax_lines = []
        for order_item, change in zip(order_items, plan.changes, strict=True):
            rate = self.items[change.item_id].tax_rate
            if change.amounts.line_tax:
                tax_lines.append(
                    OrderItemTaxLine(order_item=order_item, name="Tax", rate=rate, amount=change.amounts.line_tax)
                )
            if change.amounts.adjustment or change.amounts.adjustment_tax:
                # One aggregated line carries the change to every discount of the item.
                line = OrderItemAdjustmentLine(
                    order_item=order_item,
                    name=_adjustment_name(plan.change_type),
                    source=AdjustmentSource.CHANGE,
                    amount=change.amounts.adjustment,
                )
                adjusted.append((line, change.amounts.adjustment_tax, rate))
        insert_rows([line for line, _, _ in adjusted])
        tax_lines += [
            OrderItemTaxLine(order_item=line.order_item, adjustment_line=line, name="Tax", rate=rate, amount=tax)
            for line, tax, rate in adjusted
            if tax
        ]
        insert_rows(tax_lines)
        insert_rows(
            [
                OrderItemSummaryChange(
                    order_summary=self.summary,
                    order_item_summary_id=change.item_id,
                    change_order=order,
                    change_order_item=order_item,
                    change_type=change.change_type,
                    reason=change.reason,
                    reason_text=change.reason_text,
                    is_pre_fulfillment=change.is_pre_fulfillment,
                    **self.actor,
                )
                for order_item, change in zip(order_items, plan.changes, strict=True)
            ]
        )
        for change in plan.changes:
            self._apply(self.items[change.item_id], change.quantities, change.amounts)
        return order

    def _order_item(self, order: Order, number: int, change: ItemChange) -> OrderItem:
        ois = self.items[change.item_id]
        return OrderItem(
            order=order,
            delivery_group_id=self.delivery_groups[ois.delivery_group_summary_id],
            order_item_summary=ois,
            line_number=number,
            type=ois.type,
            sku=ois.sku,
            name=ois.name,
            product_reference=ois.product_reference,
            quantity=change.quantity,
            unit_price=ois.unit_price,
            list_price=ois.list_price,
            line_amount=change.amounts.line,
            line_tax_amount=change.amounts.line_tax,
            adjustment_amount=change.amounts.adjustment,
            adjustment_tax_amount=change.amounts.adjustment_tax,
        )

    def _apply(self, ois: OrderItemSummary, quantities: Quantities, amounts: Amounts) -> None:
        for deltas, names in ((quantities, _QUANTITY_FIELDS), (amounts, _AMOUNT_FIELDS)):
            for name, field_name in names.items():
                delta = getattr(deltas, name)
                if delta:
                    setattr(ois, field_name, getattr(ois, field_name) + delta)
                    self.changed_fields.add(field_name)

    def _write_fees(self, fees: tuple[FeeCharge, ...]) -> tuple[Order, list[OrderItemSummary]]:
        """A Fee change order whose items each start a new Fee item summary in the changed item's group."""
        totals = Amounts()
        for fee in fees:
            totals = totals + fee.amounts
        order = self._new_order(change_type=ChangeType.FEE, phase="", reason=fees[0].reason, totals=totals)
        order_items = insert_rows(
            [
                OrderItem(
                    order=order,
                    delivery_group_id=self.delivery_groups[fee.group_id],
                    line_number=number,
                    type=ItemType.FEE,
                    sku="FEE",
                    name=fee.description or "Fee",
                    quantity=Decimal(1),
                    unit_price=fee.amounts.line,
                    line_amount=fee.amounts.line,
                    line_tax_amount=fee.amounts.line_tax,
                )
                for number, fee in enumerate(fees, start=1)
            ]
        )
        insert_rows(
            [
                OrderItemTaxLine(order_item=order_item, name="Tax", rate=fee.tax_rate, amount=fee.amounts.line_tax)
                for order_item, fee in zip(order_items, fees, strict=True)
                if fee.amounts.line_tax
            ]
        )
        next_line = max((ois.line_number for ois in self.items.values()), default=0) + 1
        fee_items = insert_rows(
            [
                OrderItemSummary(
                    order_summary=self.summary,
                    delivery_group_summary_id=fee.group_id,
                    original_order_item=order_item,
                    line_number=next_line + index,
                    type=ItemType.FEE,
                    sku="FEE",
                    name=order_item.name,
                    unit_price=fee.amounts.line,
                    tax_rate=fee.tax_rate,
                    tax_locale_type=self.summary.tax_locale_type,
                    quantity_ordered=Decimal(1),
                    total_line_amount=fee.amounts.line,
                    total_line_tax_amount=fee.amounts.line_tax,
                )
                for index, (order_item, fee) in enumerate(zip(order_items, fees, strict=True))
            ]
        )
        # The fee item is both the origin of its item summary and its first change: one rule
        # (original item plus the change items that name the summary) rebuilds every item.
        for order_item, ois in zip(order_items, fee_items, strict=True):
            order_item.order_item_summary = ois
        update_rows(OrderItem, order_items, ["order_item_summary"])
        insert_rows(
            [
                OrderItemSummaryChange(
                    order_summary=self.summary,
                    order_item_summary=ois,
                    change_order=order,
                    change_order_item=order_item,
                    change_type=ItemChangeType.FEE,
                    reason=fee.reason,
                    reason_text=fee.description[:255],
                    is_pre_fulfillment=False,
                    **self.actor,
                )
                for order_item, ois, fee in zip(order_items, fee_items, fees, strict=True)
            ]
        )
        return order, fee_items


def _adjustment_name(change_type: str) -> str:
    if change_type == ChangeType.ADJUST:
        return "Price adjustment"
    return f"{change_type} proration"
