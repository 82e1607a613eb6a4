"""Read queries of the console that no other module offers, each with a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import cached_property

from console.forms.wizards import BEFORE_PICKING
from orders.db import capped_count
from orders.models import (
    FulfillmentOrderLineItem,
    Location,
    OrderDeliveryGroupSummary,
    OrderItemSummary,
    OrderSummary,
    ProcessException,
    SalesChannel,
)
from orders.services import route_summary
from payments.models import OrderPaymentSummary

SEARCH_PAGE_SIZE = 25
# The search counts its matches this far; past it the page says "more than 1,000" (a count of every match of a
# common name among a million summaries costs more than the rest of the page).
SEARCH_COUNT_CAP = 1000
EXCEPTION_PAGE_SIZE = 25


@dataclass(frozen=True)
class OrderSearch:
    q: str = ""
    status: str = ""
    channel: SalesChannel | None = None
    date_from: date | None = None
    date_to: date | None = None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def order_search_queryset(search: OrderSearch) -> QuerySet[OrderSummary]:
    """Newest first; the text matches the start of the order number or part of the name or email."""
    summaries = OrderSummary.objects.select_related("sales_channel").only(
        "id",
        "order_number",
        "ordered_date",
        "status",
        "bill_to_name",
        "bill_to_email",
        "currency",
        "grand_total_amount",
        "active_process_exception_count",
        "life_cycle_type",
        "sales_channel__id",
        "sales_channel__name",
    )
    text = search.q.strip()
    if text:
        summaries = summaries.filter(
            Q(order_number__istartswith=text) | Q(bill_to_email__icontains=text) | Q(bill_to_name__icontains=text)
        )
    if search.status:
        summaries = summaries.filter(status=search.status)
    if search.channel is not None:
        summaries = summaries.filter(sales_channel=search.channel)
    if search.date_from:
        summaries = summaries.filter(ordered_date__gte=_start_of(search.date_from))
    if search.date_to:
        summaries = summaries.filter(ordered_date__lt=_start_of(search.date_to + timedelta(days=1)))
    return summaries.order_by("-ordered_date", "-id")


def order_search_page(search: OrderSearch, page_number: int | None) -> Page:
    """Two queries: the count (capped) and the page."""
    return CappedPaginator(order_search_queryset(search), SEARCH_PAGE_SIZE, cap=SEARCH_COUNT_CAP).get_page(
        page_number or 1
    )


class CappedPaginator(Paginator):
    """Django's Paginator, counting at most `cap` + 1 rows.

    Up to `cap` matches it is exactly Django's. Past it (`capped`) the total is "more than `cap`" and the pages
    go on as far as the rows do: each page reads one row more than it shows, to know whether another page
    follows. A page number past the last row is answered as Django does (the last page), from an exact count.
    """

    def __init__(self, object_list, per_page, *, cap: int):
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        """Exact up to `cap`; `cap` + 1 stands for more."""
        return capped_count(self.object_list, self.cap + 1)

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    def validate_number(self, number):
        if not self.capped:
            return super().validate_number(number)
        # As Django's, without the last page to check against.
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        if not self.capped:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows:
            raise EmptyPage(self.error_messages["no_results"])
        return OpenEndedPage(rows[: self.per_page], number, self, has_next=len(rows) > self.per_page)

    def get_page(self, number):
        if not self.capped:
            return super().get_page(number)
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            # Below 1 or past the last row: Django answers with the last page, which takes the exact count.
            return Paginator(self.object_list, self.per_page).get_page(number)


class OpenEndedPage(Page):
    """A page of a capped search: whether another follows is known from the rows read, not from a total."""

    def __init__(self, object_list, number, paginator, *, has_next: bool):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self) -> bool:
        return self._has_next


@dataclass(frozen=True)
class ExceptionFilter:
    category: str = ""
    severity: str = ""
    status: str = ""


def process_exception_page(filters: ExceptionFilter, page_number: int | None) -> Page:
    exceptions = ProcessException.objects.select_related("order_summary").only(
        "id",
        "category",
        "severity",
        "priority",
        "status",
        "message",
        "description",
        "created_at",
        "updated_at",
        "attached_to_type",
        "attached_to_id",
        "order_summary__id",
        "order_summary__order_number",
        "order_summary__currency",
    )
    if filters.category:
        exceptions = exceptions.filter(category=filters.category)
    if filters.severity:
        exceptions = exceptions.filter(severity=filters.severity)
    if filters.status:
        exceptions = exceptions.filter(status=filters.status)
    return Paginator(exceptions.order_by("-created_at", "-id"), EXCEPTION_PAGE_SIZE).get_page(page_number or 1)


@dataclass(frozen=True)
class WizardState:
    summary: OrderSummary
    items: list[OrderItemSummary]
    payment_summaries: list[OrderPaymentSummary]
    # Units per item on fulfillment orders not yet picked (read for the cancel wizards only).
    allocated: dict = field(default_factory=dict)


def wizard_state(summary_id: int, *, with_allocated: bool = False) -> WizardState:
    """The summary, its items and its payment summaries: three queries; `with_allocated` (the cancel
    wizards) adds a fourth, the units per item on fulfillment orders not yet picked."""
    summary = get_object_or_404(OrderSummary.objects.select_related("sales_channel"), pk=summary_id)
    items = list(OrderItemSummary.objects.filter(order_summary=summary).order_by("line_number", "id"))
    for item in items:
        item.order_summary = summary
    payment_summaries = list(OrderPaymentSummary.objects.filter(order_summary=summary).order_by("created_at", "id"))
    allocated = {}
    if with_allocated:
        allocated = dict(
            FulfillmentOrderLineItem.objects.filter(
                fulfillment_order__order_summary=summary,
                fulfillment_order__status__in=BEFORE_PICKING,
                quantity__gt=0,
                fulfillment_order__reshipment__isnull=True,  # a reshipment's units are not the order's to cancel
            )
            .values("order_item_summary_id")
            .annotate(units=Sum("quantity"))
            .values_list("order_item_summary_id", "units")
        )
    return WizardState(summary=summary, items=items, payment_summaries=payment_summaries, allocated=allocated)


@dataclass(frozen=True)
class FulfillmentSuggestion:
    """What routing would place now: every location of the chosen route, the first one prefilled."""

    locations: tuple[tuple[Location, tuple[tuple[OrderItemSummary, Decimal], ...]], ...]
    initial: dict


def fulfillment_suggestion(
    group: OrderDeliveryGroupSummary, items: list[OrderItemSummary]
) -> FulfillmentSuggestion | None:
    """The routing service's plan for the group's unplaced units (fewest splits, then nearest); None
    when no location set can ship them. Nothing is written."""
    if not items:
        return None
    # The routing service's own planner (not yet public in its module): the console must not route
    # differently from the automation.
    plan = route_summary.plan_group(group, items)
    if plan is None:
        return None
    by_id = {item.pk: item for item in items}
    locations = Location.objects.in_bulk([fulfillment_group.location_id for fulfillment_group in plan.groups])
    rows = tuple(
        (
            locations[fulfillment_group.location_id],
            tuple((by_id[entry.order_item_summary_id], entry.quantity) for entry in fulfillment_group.items),
        )
        for fulfillment_group in plan.groups
    )
    first = plan.groups[0]
    initial = {"location": first.location_id, "fulfillment_type": first.fulfillment_type}
    initial.update({f"item-{entry.order_item_summary_id}": entry.quantity for entry in first.items})
    return FulfillmentSuggestion(locations=rows, initial=initial)
