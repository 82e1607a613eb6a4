"""Read queries of order summaries: the filtered, paginated list and the orders side of the detail.

Both issue a fixed number of queries whatever the number of rows, items or children.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from orders.cursors import MAX_ID, decode_keyset_cursor, encode_keyset_cursor
from orders.errors import InvalidInput, NotFound
from orders.funds import funds_annotations, funds_position, funds_sums
from orders.models import (
    ACTIVE_PROCESS_EXCEPTION_STATUSES,
    Exchange,
    Order,
    OrderItemSummaryChange,
    OrderSummary,
    ProcessException,
)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


_MAX_ID = MAX_ID


def parse_id(value) -> int | None:
    """An id from a URL or body as a primary key; None when it cannot name any row."""
    text = str(value)
    if not text.isascii() or not text.isdigit() or len(text) > 19 or int(text) > _MAX_ID:
        return None
    return int(text)


# --- The list ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryFilters:
    status: str | None = None
    ordered_from: datetime | None = None
    ordered_to: datetime | None = None
    sales_channel: str | None = None
    q: str | None = None


@dataclass
class SummaryPage:
    rows: list[OrderSummary]
    next_cursor: str | None


def encode_cursor(summary: OrderSummary) -> str:
    """Opaque to clients: the keyset position (ordered date, id) of the last row of a page."""
    return encode_keyset_cursor(summary.ordered_date, summary.pk)


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    return decode_keyset_cursor(cursor)


def _filtered(queryset: QuerySet, filters: SummaryFilters) -> QuerySet:
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.ordered_from:
        queryset = queryset.filter(ordered_date__gte=filters.ordered_from)
    if filters.ordered_to:
        queryset = queryset.filter(ordered_date__lte=filters.ordered_to)
    if filters.sales_channel:
        queryset = queryset.filter(sales_channel__name=filters.sales_channel)
    if filters.q:
        q = filters.q
        queryset = queryset.filter(
            Q(order_number__startswith=q) | Q(bill_to_email__iexact=q) | Q(bill_to_name__istartswith=q)
        )
    return queryset


def order_summary_page(
    *,
    channel_id: int | None,
    filters: SummaryFilters = SummaryFilters(),
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> SummaryPage:
    """Newest first, keyset-paginated on (ordered date, id) so a page costs the same at any depth.

    `channel_id` limits the rows to one sales channel (a storefront key).
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}.", field="limit")
    queryset = OrderSummary.objects.select_related("sales_channel")
    if channel_id is not None:
        queryset = queryset.filter(sales_channel_id=channel_id)
    queryset = _filtered(queryset, filters)
    if cursor:
        ordered_date, pk = decode_cursor(cursor)
        queryset = queryset.filter(Q(ordered_date__lt=ordered_date) | Q(ordered_date=ordered_date, pk__lt=pk))
    rows = list(queryset.order_by("-ordered_date", "-id")[: limit + 1])
    if len(rows) > limit:
        rows = rows[:limit]
        return SummaryPage(rows=rows, next_cursor=encode_cursor(rows[-1]))
    return SummaryPage(rows=rows, next_cursor=None)


# --- The detail ------------------------------------------------------------------------------------


@dataclass
class ChangeHistoryEntry:
    """One change order and the item summary changes it made."""

    change_order: Order
    items: list[OrderItemSummaryChange] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return self.change_order.reason or (self.items[0].reason if self.items else "")

    @property
    def reason_text(self) -> str:
        return next((item.reason_text for item in self.items if item.reason_text), "")

    @property
    def actor(self) -> str:
        return self.items[0].actor if self.items else "system"


def change_history(summary: OrderSummary) -> list[ChangeHistoryEntry]:
    """Change orders in the order they were made, each with the items it touched (one query)."""
    rows = (
        OrderItemSummaryChange.objects.filter(order_summary=summary)
        .select_related("change_order", "change_order_item", "created_by", "created_by_client")
        .order_by("created_at", "id")
    )
    entries: dict[int, ChangeHistoryEntry] = {}
    for row in rows:
        entry = entries.get(row.change_order_id)
        if entry is None:
            entry = entries[row.change_order_id] = ChangeHistoryEntry(change_order=row.change_order)
        entry.items.append(row)
    return list(entries.values())


def order_summary_detail_queryset() -> QuerySet:
    """The summary with every orders-side child; the payments app adds its own prefetches to it."""
    # orders.selectors.fulfillment builds on this module (ids, page sizes), so it is imported here, not at the top.
    from orders.selectors.fulfillment import fulfillment_orders_queryset, return_orders_queryset

    return OrderSummary.objects.select_related("sales_channel").prefetch_related(
        "delivery_group_summaries",
        "item_summaries",
        Prefetch(
            "process_exceptions",
            queryset=ProcessException.objects.filter(status__in=ACTIVE_PROCESS_EXCEPTION_STATUSES).order_by(
                "created_at", "id"
            ),
            to_attr="active_process_exceptions",
        ),
        Prefetch("fulfillment_orders", queryset=fulfillment_orders_queryset()),
        Prefetch("return_orders", queryset=return_orders_queryset()),
    )


def order_summary_detail(summary_id, *, channel_id: int | None, queryset: QuerySet | None = None) -> OrderSummary:
    """The summary with its children, `change_history`, `funds` (the funds position now) and
    `inventory_effects` (stock held, shipped and put back per location and sku).

    Another channel's summary, like a missing one, raises NotFound.
    """
    from orders.selectors.exchanges import EXCHANGE_SUMMARY_IDS, ExchangeSummaryIds, exchange_summary_ids
    from orders.selectors.fulfillment import inventory_effects_for_summary

    if queryset is None:
        queryset = order_summary_detail_queryset()
    if channel_id is not None:
        queryset = queryset.filter(sales_channel_id=channel_id)
    # The sums of the funds position come with the summary's row rather than in a query of their own.
    funds = funds_annotations()
    pk = parse_id(summary_id)
    # A replacement's exchange status (waiting for the return, completed, canceled), in the same row.
    origin_status = Subquery(Exchange.objects.filter(exchange_summary_id=OuterRef("pk")).values("status")[:1])
    summary = (
        queryset.annotate(**funds, **{EXCHANGE_SUMMARY_IDS: ExchangeSummaryIds()}, exchange_status=origin_status)
        .filter(pk=pk)
        .first()
        if pk is not None
        else None
    )
    if summary is None:
        raise NotFound(f"No order summary {summary_id}.")
    summary.change_history = change_history(summary)
    summary.funds = funds_position(summary, sums=funds_sums(summary, funds))
    summary.inventory_effects = inventory_effects_for_summary(summary.pk)
    summary.exchange_summary_ids = exchange_summary_ids(getattr(summary, EXCHANGE_SUMMARY_IDS))
    return summary
