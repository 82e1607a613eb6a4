"""Query parameters and page shapes shared by the lists integrations poll (orders.polling)."""

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from rest_framework import serializers
from rest_framework.request import Request

from orders.api.auth import client_channel_id
from orders.api.order_serializers import SummaryFulfillmentOrderSerializer, SummaryReturnOrderSerializer
from orders.api.validated import validated
from orders.errors import InvalidInput
from orders.models import FulfillmentOrderStatus, ReturnOrderStatus
from orders.polling import PollFilters, poll_page
from orders.selectors.fulfillment import Page
from orders.selectors.summaries import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, parse_id


class PollParamsSerializer(serializers.Serializer):
    """Subclasses set `status` to the resource's statuses (a ChoiceField)."""

    orderSummaryId = serializers.CharField(max_length=40, required=False, help_text="Only this order summary's.")
    status: serializers.Field = serializers.CharField(max_length=40, required=False)
    modifiedSince = serializers.DateTimeField(
        required=False,
        help_text="Only records modified at or after this instant (ISO 8601 with offset). Poll "
        "with the lastModifiedDate of the last row you saw, less a minute: rows committed in that minute "
        "come again rather than being missed.",
    )
    cursor = serializers.CharField(max_length=200, required=False, help_text="nextCursor of the previous page.")
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)


_M = TypeVar("_M", bound=Model)


def requested_page(
    request: Request, queryset: QuerySet[_M], data: dict[str, Any], filters: PollFilters, *, modified_field: str
) -> Page:
    """The page of `queryset` that poll_params' `data` and `filters` ask for, of the caller's channel only."""
    return poll_page(
        queryset,
        channel_id=client_channel_id(request),
        filters=filters,
        cursor=data.get("cursor"),
        limit=data["limit"],
        modified_field=modified_field,
    )


def poll_params(serializer_class: type[PollParamsSerializer], request: Request) -> tuple[dict[str, Any], PollFilters]:
    data = validated(serializer_class, request.query_params)
    summary_id = None
    if data.get("orderSummaryId"):
        summary_id = parse_id(data["orderSummaryId"])
        if summary_id is None:
            raise InvalidInput("Not an order summary id.", field="orderSummaryId")
    return data, PollFilters(
        order_summary_id=summary_id, status=data.get("status"), modified_since=data.get("modifiedSince")
    )


def page_serializer(name: str, key: str, row_serializer) -> type[serializers.Serializer]:
    """The page shape `{key: [rows], "nextCursor"}`, named for the OpenAPI schema."""
    return type(
        name,
        (serializers.Serializer,),
        {
            key: row_serializer(many=True, source="rows", read_only=True),
            "nextCursor": serializers.CharField(
                source="next_cursor",
                allow_null=True,
                read_only=True,
                help_text="Pass as `cursor` for the next page; null on the last page.",
            ),
            "__module__": __name__,
        },
    )


class FulfillmentOrderListParams(PollParamsSerializer):
    status = serializers.ChoiceField(choices=FulfillmentOrderStatus.choices, required=False)
    fulfilledFromLocationId = serializers.CharField(
        max_length=40, required=False, help_text="Only those this location ships: a store's or warehouse's work queue."
    )


class ReturnOrderListParams(PollParamsSerializer):
    status = serializers.ChoiceField(choices=ReturnOrderStatus.choices, required=False)


class PolledFulfillmentOrderSerializer(SummaryFulfillmentOrderSerializer):
    """One row of the list: rounded in its own currency (rows of different summaries may differ)."""

    def to_representation(self, instance):
        self.context["currency"] = instance.currency
        return super().to_representation(instance)


FulfillmentOrderPageSerializer = page_serializer(
    "FulfillmentOrderPage", "fulfillmentOrders", PolledFulfillmentOrderSerializer
)
ReturnOrderPageSerializer = page_serializer("ReturnOrderPage", "returnOrders", SummaryReturnOrderSerializer)
