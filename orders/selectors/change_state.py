"""Read what a change (cancel, return, adjust) needs: the summary, its items, and their proration basis."""

from collections import defaultdict, namedtuple
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.transaction import TransactionManagementError

from orders.calculations.state import Amounts, FulfillmentLineState, ItemState, Quantities, SummaryState
from orders.db import ActiveReasonCodes, CompiledQuery, reason_codes
from orders.errors import NotFound
from orders.funds import funds_annotations
from orders.models import (
    FINAL_STATUS_CATEGORIES,
    ChangeType,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    ItemType,
    Order,
    OrderDeliveryGroupSummary,
    OrderItem,
    OrderItemSummary,
    OrderKind,
    OrderSummary,
    ReasonCode,
)
from orders.money import ZERO
from orders.payments_link import PaymentsLink, payments_link
from orders.rollups import ROLLUP_FIELDS
from orders.selectors.summaries import parse_id

_REDUCTIONS = (ChangeType.CANCEL, ChangeType.RETURN)


def _summaries(lock: bool) -> QuerySet[OrderSummary]:
    # With its channel (the order_summary.changed event renders its name), which is not locked.
    summaries = OrderSummary.objects.select_related("sales_channel")
    return summaries.select_for_update(of=("self",)) if lock else summaries


# The summary by id, and by id in a channel; plain and locked. Compiled once (issue 19): every change,
# fulfillment and routing action starts with this query.
_SUMMARY = {
    (lock, False): CompiledQuery(lambda pk, lock=lock: _summaries(lock).filter(pk=pk), numbers=True)
    for lock in (False, True)
} | {
    (lock, True): CompiledQuery(
        lambda pk, channel_id, lock=lock: _summaries(lock).filter(pk=pk, sales_channel_id=channel_id), numbers=True
    )
    for lock in (False, True)
}


def _check_lockable(lock: bool) -> None:
    """What Django checks when it compiles a SELECT … FOR UPDATE, here at every use of a compiled one."""
    if lock and connection.get_autocommit():
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")


def get_summary(summary_id, *, lock: bool = False, channel_id: int | None = None) -> OrderSummary:
    """The summary, row-locked when `lock` (inside the caller's transaction); NotFound otherwise.

    With `channel_id` (a storefront key's channel) another channel's summary is NotFound too, with the
    same answer as a missing one: the visibility check is part of the one query that loads (and locks) it.
    """
    _check_lockable(lock)
    return _visible_summary(_SUMMARY[lock, False], _SUMMARY[lock, True], summary_id, channel_id)


def _visible_summary(
    by_id: CompiledQuery, by_id_in_channel: CompiledQuery, summary_id, channel_id: int | None
) -> OrderSummary:
    """The summary with this id, in `channel_id` when given; NotFound otherwise, the same answer for a
    missing id, a malformed one and another channel's summary."""
    pk = parse_id(summary_id)
    found = []
    if pk is not None:
        found = by_id.instances(pk) if channel_id is None else by_id_in_channel.instances(pk, channel_id)
    if not found:
        raise NotFound(f"No order summary {summary_id}.")
    return found[0]


def _change_order_count(summary_ref) -> Coalesce:
    counted = (
        Order.objects.filter(order_summary=summary_ref).values("order_summary").annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0), output_field=IntegerField())


@dataclass(frozen=True)
class ChangeFacts:
    """What a change reads besides the rows it changes: the active reason codes, the sums the funds
    position is made of, and (for a submit) how many change orders the summary has (their numbers)."""

    reason_codes: frozenset[str]
    funds_sums: tuple
    change_order_count: int | None = None


_REASON_CODES = "change_reason_codes"
_CHANGE_ORDER_COUNT = "change_order_count"
# What a preview reads of the summary: the state's currency, tax locale and life cycle, the grand total
# (funds position), the version and the currency (the answer).
_PREVIEW_FIELDS = ("id", "currency", "tax_locale_type", "life_cycle_type", "grand_total_amount", "version")


def _facts_annotations(summary_ref, *, with_count: bool) -> dict:
    facts = {**funds_annotations(summary_ref), _REASON_CODES: ActiveReasonCodes()}
    if with_count:
        facts[_CHANGE_ORDER_COUNT] = _change_order_count(summary_ref)
    return facts


@lru_cache(maxsize=4)
def _annotated(link: PaymentsLink) -> tuple[QuerySet, QuerySet, QuerySet, tuple[str, ...]]:
    """The annotated querysets the change reads start from, built once per process (and per payments
    link, which gives the funds sums): resolving the subquery expressions costs more CPU than the rest of
    a preview's queries. They hold no rows, only the query: each use filters a copy, which runs on its own."""
    funds_names = tuple(funds_annotations())
    preview = OrderSummary.objects.only(*_PREVIEW_FIELDS).annotate(**_facts_annotations(None, with_count=False))
    # A submit reads of its groups what the new order items (original group) and the roll-ups need.
    groups = OrderDeliveryGroupSummary.objects.only("id", "original_delivery_group_id", *ROLLUP_FIELDS).annotate(
        **_facts_annotations(OuterRef("order_summary_id"), with_count=True)
    )
    summary_row = OrderSummary.objects.values(**_facts_annotations(None, with_count=True))
    return preview, groups, summary_row, funds_names


def _querysets():
    return _annotated(payments_link())


@lru_cache(maxsize=4)
def _compiled_preview(link: PaymentsLink) -> tuple[CompiledQuery, CompiledQuery]:
    preview = _annotated(link)[0]
    return (
        CompiledQuery(lambda pk: preview.filter(pk=pk), numbers=True),
        CompiledQuery(lambda pk, channel_id: preview.filter(pk=pk, sales_channel_id=channel_id), numbers=True),
    )


def _facts(row, funds_names: tuple[str, ...], *, with_count: bool) -> ChangeFacts:
    value = row.__getitem__ if isinstance(row, dict) else lambda name: getattr(row, name)
    return ChangeFacts(
        reason_codes=reason_codes(value(_REASON_CODES)),
        funds_sums=tuple(value(name) for name in funds_names),
        change_order_count=value(_CHANGE_ORDER_COUNT) if with_count else None,
    )


def get_summary_for_preview(summary_id, *, channel_id: int | None = None) -> tuple[OrderSummary, ChangeFacts]:
    """A preview's summary, visible to `channel_id`, with the reason codes and the funds sums: one query.
    Only the fields a preview reads are loaded (_PREVIEW_FIELDS); others would each cost a query.

    Nothing is locked, so the sums may be read with the summary; a submit reads them after its lock with
    `groups_and_facts` instead."""
    link = payments_link()
    funds_names = _annotated(link)[3]
    summary = _visible_summary(*_compiled_preview(link), summary_id, channel_id)
    return summary, _facts(summary, funds_names, with_count=False)


@lru_cache(maxsize=4)
def _compiled_groups(link: PaymentsLink) -> CompiledQuery:
    groups = _annotated(link)[1]
    return CompiledQuery(lambda summary_id: groups.filter(order_summary_id=summary_id), numbers=True)


def groups_and_facts(summary: OrderSummary) -> tuple[list[OrderDeliveryGroupSummary], ChangeFacts]:
    """For a submit, after the summary is locked (so the statement sees every change committed before the
    lock was granted): its delivery group summaries (their original group and roll-ups only), and on their
    rows the reason codes, the funds sums and the change order count, all in one query."""
    _, _, summary_row, funds_names = _querysets()
    groups = _compiled_groups(payments_link()).instances(summary.pk)
    # Every summary has a delivery group; without one, the facts are read from the summary's own row.
    row = groups[0] if groups else summary_row.filter(pk=summary.pk).get()
    return groups, _facts(row, funds_names, with_count=True)


def _item_summaries(summary_id: int, lock: bool) -> QuerySet[OrderItemSummary]:
    queryset = OrderItemSummary.objects.filter(order_summary_id=summary_id).order_by("id")
    return queryset.select_for_update() if lock else queryset


_ITEM_SUMMARIES = {
    lock: CompiledQuery(lambda summary_id, lock=lock: _item_summaries(summary_id, lock), numbers=True)
    for lock in (False, True)
}


def get_item_summaries(summary: OrderSummary, *, lock: bool = False) -> list[OrderItemSummary]:
    """Every item summary of the summary, ordered by id: the fixed lock order after the summary."""
    _check_lockable(lock)
    return _ITEM_SUMMARIES[lock].instances(summary.pk)


# The fields of an item summary that its ItemState is made of.
_ITEM_STATE_FIELDS = (
    "id",
    "type",
    "delivery_group_summary_id",
    "unit_price",
    "tax_rate",
    "name",
    "quantity_ordered",
    "quantity_canceled",
    "quantity_allocated",
    "quantity_fulfilled",
    "quantity_return_initiated",
    "quantity_returned",
    "total_line_amount",
    "total_line_tax_amount",
    "total_adjustment_amount",
    "total_adjustment_tax_amount",
)


ItemRow = namedtuple("ItemRow", _ITEM_STATE_FIELDS)
_ITEM_ROWS = CompiledQuery(
    lambda summary_id: (
        OrderItemSummary.objects.filter(order_summary_id=summary_id).order_by("id").values_list(*_ITEM_STATE_FIELDS)
    ),
    numbers=True,
)


def get_item_rows(summary: OrderSummary) -> list[ItemRow]:
    """Every item summary of the summary as a named row of the fields change_state reads, for a preview
    (which saves nothing, so needs no model instances), ordered by id."""
    return [ItemRow._make(row) for row in _ITEM_ROWS.rows(summary.pk)]


def active_reason_codes() -> frozenset[str]:
    return frozenset(ReasonCode.objects.filter(is_active=True).values_list("name", flat=True))


# The product change lines of a summary's change orders, oldest first.
_CHANGE_LINES = CompiledQuery(
    lambda summary_id: (
        OrderItem.objects.filter(
            order__order_summary_id=summary_id, order__kind=OrderKind.CHANGE, order_item_summary__type=ItemType.PRODUCT
        )
        .order_by("id")
        .values_list(
            "order_item_summary_id",
            "order__change_type",
            "quantity",
            "line_amount",
            "line_tax_amount",
            "adjustment_amount",
            "adjustment_tax_amount",
        )
    ),
    numbers=True,
)


def _proration_bases(summary: OrderSummary) -> dict[int, tuple[Amounts, Decimal]]:
    """Per product item: the amounts it had and the units it held before the cancels and returns made
    since its price last changed, undone from the change order items (one query)."""
    rows = _CHANGE_LINES.rows(summary.pk)
    since: dict[int, list[tuple[Decimal, Amounts]]] = defaultdict(list)
    for item_id, change_type, quantity, *amounts in rows:
        if change_type in _REDUCTIONS:
            since[item_id].append((quantity, Amounts(*amounts)))
        elif change_type == ChangeType.ADJUST:
            since[item_id].clear()
    bases = {}
    for item_id, changes in since.items():
        if changes:
            removed_units = -sum((quantity for quantity, _ in changes), ZERO)
            removed = Amounts()
            for _, delta in changes:
                removed = removed - delta
            bases[item_id] = (removed, removed_units)
    return bases


def get_fulfillment_lines(summary: OrderSummary, *, lock: bool = False) -> tuple[FulfillmentLineState, ...]:
    """The lines of the summary's open fulfillment orders (one query), for a cancel that may take units
    off them. With `lock` (a submit, after the summary and its items) the open fulfillment orders are
    row-locked first, in id order (one more query): the lock order of cancel-item and status moves."""
    # A reshipment's fulfillment orders carry no allocation of their own (issue 15): a cancel never takes them.
    open_orders = FulfillmentOrder.objects.filter(order_summary=summary, reshipment__isnull=True).exclude(
        status_category__in=FINAL_STATUS_CATEGORIES
    )
    if lock:
        list(open_orders.select_for_update().order_by("id").values_list("id", flat=True))
    rows = (
        FulfillmentOrderLineItem.objects.filter(fulfillment_order__in=open_orders)
        .order_by("id")
        .values_list(
            "id",
            "fulfillment_order_id",
            "fulfillment_order__status",
            "fulfillment_order__delivery_group_summary_id",
            "order_item_summary_id",
            "quantity",
        )
    )
    return tuple(
        FulfillmentLineState(
            id=pk,
            fulfillment_order_id=order_id,
            fulfillment_order_number=FulfillmentOrder(pk=order_id).number,
            status=status,
            group_id=group_id,
            item_id=item_id,
            quantity=quantity,
        )
        for pk, order_id, status, group_id, item_id, quantity in rows
    )


def change_state(
    summary: OrderSummary, items: list, fulfillment_lines: tuple[FulfillmentLineState, ...] | None = None
) -> SummaryState:
    """The frozen state the change calculations read, from item summaries or `get_item_rows` rows, with the
    lines of the open fulfillment orders when the change needs them."""
    bases = _proration_bases(summary)
    states = []
    for ois in items:
        amounts = Amounts(
            ois.total_line_amount,
            ois.total_line_tax_amount,
            ois.total_adjustment_amount,
            ois.total_adjustment_tax_amount,
        )
        quantities = Quantities(
            ordered=ois.quantity_ordered,
            canceled=ois.quantity_canceled,
            allocated=ois.quantity_allocated,
            fulfilled=ois.quantity_fulfilled,
            return_initiated=ois.quantity_return_initiated,
            returned=ois.quantity_returned,
        )
        basis_amounts = basis_quantity = None
        if ois.id in bases:
            removed, removed_units = bases[ois.id]
            basis_amounts, basis_quantity = amounts + removed, quantities.quantity + removed_units
        states.append(
            ItemState(
                id=ois.id,
                type=ois.type,
                group_id=ois.delivery_group_summary_id,
                unit_price=ois.unit_price,
                quantities=quantities,
                amounts=amounts,
                tax_rate=ois.tax_rate,
                name=ois.name,
                basis_amounts=basis_amounts,
                basis_quantity=basis_quantity,
            )
        )
    return SummaryState(
        currency=summary.currency,
        tax_locale_type=summary.tax_locale_type,
        items=tuple(states),
        is_managed=summary.is_managed,
        fulfillment_lines=fulfillment_lines,
    )
