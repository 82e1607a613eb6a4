"""Find a record for the caller: ids are opaque strings; another channel's record is not found."""

from orders.api.auth import scope_to_channel
from orders.errors import NotFound
from orders.models import OrderSummary


def parse_pk(raw, label: str) -> int:
    try:
        return int(str(raw))
    except (TypeError, ValueError):
        raise NotFound(f"{label} {raw} does not exist.") from None


def visible(queryset, request, raw_id, label: str, channel_field: str = "order_summary__sales_channel"):
    record = scope_to_channel(queryset, request, channel_field).filter(pk=parse_pk(raw_id, label)).first()
    if record is None:
        raise NotFound(f"{label} {raw_id} does not exist.")
    return record


def visible_summary_id(request, raw_id) -> int:
    return visible(OrderSummary.objects.only("pk"), request, raw_id, "Order summary", "sales_channel").pk
