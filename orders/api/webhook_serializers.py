"""Read and write shapes of webhook endpoints, their deliveries and the change feed."""

from rest_framework import serializers

from orders.api.order_serializers import IdOut, Text
from orders.api.strict import StrictSerializer
from orders.models import DeliveryStatus, EventType
from orders.selectors.summaries import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

EVENT_TYPES_HELP = "Event types: " + ", ".join(EventType.values) + "."
_DATE = {"read_only": True}


class _EventTypes(serializers.ListField):
    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.ChoiceField(choices=EventType.choices),
            min_length=1,
            max_length=50,
            help_text=EVENT_TYPES_HELP,
            **kwargs,
        )


class WebhookEndpointIn(StrictSerializer):
    url = serializers.CharField(
        max_length=2000, help_text="https:// address of the receiver; private and loopback addresses are refused."
    )
    events = _EventTypes()
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class WebhookEndpointPatchIn(StrictSerializer):
    url = serializers.CharField(max_length=2000, required=False)
    events = _EventTypes(required=False)
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    active = serializers.BooleanField(
        required=False, help_text="false stops deliveries; true turns an endpoint disabled for failing on again."
    )


class WebhookEndpointOut(serializers.Serializer):
    id = IdOut()
    url = Text()
    events = serializers.ListField(child=serializers.CharField(), read_only=True)
    description = Text()
    active = serializers.BooleanField(source="is_active", read_only=True)
    salesChannelId = IdOut(
        source="sales_channel_id",
        allow_null=True,
        help_text="The channel whose events it receives; null: every channel.",
    )
    failingSince = serializers.DateTimeField(source="failing_since", allow_null=True, **_DATE)
    disabledDate = serializers.DateTimeField(
        source="disabled_at",
        allow_null=True,
        help_text=("Set when the endpoint was disabled for failing for 24 hours."),
        **_DATE,
    )
    disabledReason = Text("disabled_reason")
    createdDate = serializers.DateTimeField(source="created_at", **_DATE)
    lastModifiedDate = serializers.DateTimeField(source="updated_at", **_DATE)


class WebhookEndpointCreatedOut(WebhookEndpointOut):
    secret = serializers.CharField(
        read_only=True, help_text=("Signs every delivery (OMS-Signature). Shown here only: keep it now.")
    )


class ListParams(serializers.Serializer):
    cursor = serializers.CharField(max_length=200, required=False, help_text="nextCursor of the previous page.")
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)


class DeliveryListParams(ListParams):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)


class WebhookEndpointPageOut(serializers.Serializer):
    webhookEndpoints = WebhookEndpointOut(many=True, source="rows")
    nextCursor = serializers.CharField(source="next_cursor", allow_null=True)


class WebhookAttemptOut(serializers.Serializer):
    attemptedDate = serializers.DateTimeField(source="attempted_at", **_DATE)
    responseStatus = serializers.IntegerField(
        source="response_status",
        allow_null=True,
        read_only=True,
        help_text="The receiver's HTTP status; null when none came.",
    )
    succeeded = serializers.BooleanField(read_only=True)
    error = Text()
    durationMs = serializers.IntegerField(source="duration_ms", read_only=True)


class WebhookDeliveryOut(serializers.Serializer):
    id = IdOut()
    webhookEndpointId = IdOut(source="endpoint_id")
    eventId = IdOut(source="event_id")
    eventType = Text("event.type")
    status = Text(help_text=", ".join(DeliveryStatus.values))
    attemptCount = serializers.IntegerField(source="attempt_count", read_only=True)
    lastResponseStatus = serializers.IntegerField(source="last_response_status", allow_null=True, read_only=True)
    lastError = Text("last_error")
    nextAttemptDate = serializers.SerializerMethodField()
    deliveredDate = serializers.DateTimeField(source="delivered_at", allow_null=True, **_DATE)
    createdDate = serializers.DateTimeField(source="created_at", **_DATE)
    attempts = WebhookAttemptOut(many=True, source="attempts.all", read_only=True)

    def get_nextAttemptDate(self, delivery) -> str | None:
        if delivery.status != DeliveryStatus.PENDING:
            return None
        return serializers.DateTimeField().to_representation(delivery.next_attempt_at)


class WebhookDeliveryPageOut(serializers.Serializer):
    deliveries = WebhookDeliveryOut(many=True, source="rows")
    nextCursor = serializers.CharField(source="next_cursor", allow_null=True)


class EventOut(serializers.Serializer):
    """The body of a webhook, and an entry of the change feed."""

    id = serializers.CharField(read_only=True, help_text="Increases with every event; pass as `after`.")
    type = serializers.ChoiceField(choices=EventType.choices, read_only=True)
    createdDate = serializers.DateTimeField(read_only=True)
    sequence = serializers.IntegerField(
        read_only=True, help_text="1, 2, 3 ... per order summary, in the order its events happened."
    )
    orderSummaryId = serializers.CharField(read_only=True)
    data = serializers.JSONField(
        read_only=True,
        help_text=(
            "The resource as the API renders it when the event happened: order_summary.* a row of the order "
            "summary list; fulfillment_order.* a fulfillment order; shipment.created a shipment; invoice.created "
            "an invoice; payment.* a payment; refund.* a refund; return_order.received a return order; "
            "process_exception.created a process exception."
        ),
    )


class EventFeedParams(serializers.Serializer):
    after = serializers.CharField(
        max_length=20,
        required=False,
        help_text=("The id of the last event you have: the answer starts after it. Without it, the oldest kept event."),
    )
    types = serializers.CharField(
        max_length=1000,
        required=False,
        help_text=("Comma-separated event types to list; all when absent. " + EVENT_TYPES_HELP),
    )
    orderSummaryId = serializers.CharField(max_length=20, required=False)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)


class EventPageOut(serializers.Serializer):
    events = EventOut(many=True)
    lastEventId = serializers.CharField(
        allow_null=True,
        help_text=(
            "Pass as `after` next time (the `after` you sent when nothing new came; null before the first event)."
        ),
    )
    hasMore = serializers.BooleanField(help_text="true: more events wait; ask again at once.")
