"""Read queries of the console that no other module offers, each with a fixed number of queries."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from orders.models import (
    Location,
    OrderDeliveryGroupSummary,
    OrderItemSummary,
    OrderSummary,
    ProcessException,
    SalesChannel,
)
from orders.services import fulfillment_routing
from payments.models import OrderPaymentSummary

SEARCH_PAGE_SIZE = 25
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
        "id", "order_number", "ordered_date", "status", "bill_to_name", "bill_to_email", "currency",
        "grand_total_amount", "active_process_exception_count", "life_cycle_type",
        "sales_channel__id", "sales_channel__name",
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
    """Two queries: the count and the page."""
    return Paginator(order_search_queryset(search), SEARCH_PAGE_SIZE).get_page(page_number or 1)


@dataclass(frozen=True)
class ExceptionFilter:
    category: str = ""
    severity: str = ""
    status: str = ""


def process_exception_page(filters: ExceptionFilter, page_number: int | None) -> Page:
    exceptions = ProcessException.objects.select_related("order_summary").only(
        "id", "category", "severity", "priority", "status", "message", "description", "created_at", "updated_at",
        "attached_to_type", "attached_to_id",
        "order_summary__id", "order_summary__order_number", "order_summary__currency",
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


def wizard_state(summary_id: int) -> WizardState:
    """The summary, its items and its payment summaries: three queries."""
    summary = get_object_or_404(OrderSummary.objects.select_related("sales_channel"), pk=summary_id)
    items = list(OrderItemSummary.objects.filter(order_summary=summary).order_by("line_number", "id"))
    for item in items:
        item.order_summary = summary
    payment_summaries = list(OrderPaymentSummary.objects.filter(order_summary=summary).order_by("created_at", "id"))
    return WizardState(summary=summary, items=items, payment_summaries=payment_summaries)


@dataclass(frozen=True)
class FulfillmentSuggestion:
    """What routing would place now: every location of the chosen route, the first one prefilled."""

    locations: tuple[tuple[Location, tuple[tuple[OrderItemSummary, Decimal], ...]], ...]
    initial: dict


def fulfillment_suggestion(group: OrderDeliveryGroupSummary, items: list[OrderItemSummary]) -> \
        FulfillmentSuggestion | None:
    """The routing service's plan for the group's unplaced units (fewest splits, then nearest); None
    when no location set can ship them. Nothing is written."""
    if not items:
        return None
    # The routing service's own planner (not yet public in its module): the console must not route
    # differently from the automation.
    plan = fulfillment_routing.plan_group(group, items)
    if plan is None:
        return None
    by_id = {item.pk: item for item in items}
    locations = Location.objects.in_bulk([fulfillment_group.location_id for fulfillment_group in plan.groups])
    rows = tuple(
        (locations[fulfillment_group.location_id],
         tuple((by_id[entry.order_item_summary_id], entry.quantity) for entry in fulfillment_group.items))
        for fulfillment_group in plan.groups
    )
    first = plan.groups[0]
    initial = {"location": first.location_id, "fulfillment_type": first.fulfillment_type}
    initial.update({f"item-{entry.order_item_summary_id}": entry.quantity for entry in first.items})
    return FulfillmentSuggestion(locations=rows, initial=initial)
