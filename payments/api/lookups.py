"""Find a record for the caller: ids are opaque strings; another channel's record is not found."""

from typing import TypeVar

from django.db.models import Model, QuerySet
from rest_framework.request import Request

from orders.api.auth import scope_to_channel
from orders.errors import NotFound
from orders.models import OrderSummary

_M = TypeVar("_M", bound=Model)


def parse_pk(raw: object, label: str) -> int:
    try:
        return int(str(raw))
    except (TypeError, ValueError):
        raise NotFound(f"{label} {raw} does not exist.") from None


def visible(
    queryset: QuerySet[_M],
    request: Request,
    raw_id: object,
    label: str,
    channel_field: str = "order_summary__sales_channel",
) -> _M:
    record = scope_to_channel(queryset, request, channel_field).filter(pk=parse_pk(raw_id, label)).first()
    if record is None:
        raise NotFound(f"{label} {raw_id} does not exist.")
    return record


def visible_summary_id(request: Request, raw_id: object) -> int:
    summary: OrderSummary = visible(OrderSummary.objects.only("pk"), request, raw_id, "Order summary", "sales_channel")
    return summary.pk
