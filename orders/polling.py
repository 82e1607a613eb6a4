"""The lists integrations poll (issue 17 point 3): fulfillment orders, return orders, invoices, credit memos,
background operations.

Every list filters by order summary, status and `modifiedSince`, and walks its rows oldest modification
first, keyset-paginated on (last modified, id): a poller asks for what changed since its last run and
follows `nextCursor` to the end. A record modified while the poller pages moves behind the cursor and so
comes again on a later page: nothing changed is skipped. Each page costs the same queries at any depth.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from orders.cursors import decode_keyset_cursor, encode_keyset_cursor
from orders.errors import InvalidInput
from orders.selectors.fulfillment import Page
from orders.selectors.summaries import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


@dataclass(frozen=True)
class PollFilters:
    order_summary_id: int | None = None
    status: str | None = None
    modified_since: datetime | None = None


def poll_page(
    queryset: QuerySet,
    *,
    channel_id: int | None,
    filters: PollFilters,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    modified_field: str,
    channel_field: str = "order_summary__sales_channel_id",
) -> Page:
    """One page of `queryset` (whose joins and prefetches the caller fixes) in (modified, id) order.

    `channel_id` limits the rows to one sales channel (a storefront key)."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}.", field="limit")
    if channel_id is not None:
        queryset = queryset.filter(**{channel_field: channel_id})
    if filters.order_summary_id is not None:
        queryset = queryset.filter(order_summary_id=filters.order_summary_id)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.modified_since is not None:
        queryset = queryset.filter(**{f"{modified_field}__gte": filters.modified_since})
    if cursor:
        moment, pk = decode_keyset_cursor(cursor)
        queryset = queryset.filter(Q(**{f"{modified_field}__gt": moment}) | Q(**{modified_field: moment, "pk__gt": pk}))
    rows = list(queryset.order_by(modified_field, "id")[: limit + 1])
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        return Page(rows, encode_keyset_cursor(getattr(last, modified_field), last.pk))
    return Page(rows, None)
