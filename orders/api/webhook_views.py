"""Webhook endpoints, their deliveries, and the change feed over REST (issue 17, docs/integrations.md)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api import openapi
from orders.api.auth import client_channel_id
from orders.api.idempotency import idempotent
from orders.api.validated import validated
from orders.api.webhook_serializers import (
    DeliveryListParams,
    EventFeedParams,
    EventPageOut,
    ListParams,
    WebhookDeliveryOut,
    WebhookDeliveryPageOut,
    WebhookEndpointCreatedOut,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPageOut,
    WebhookEndpointPatchIn,
)
from orders.events import event_body
from orders.models import Scope
from orders.selectors.events import delivery_detail, delivery_page, endpoint_page, event_feed, parse_types
from orders.services.webhook_delivery import redeliver
from orders.services.webhook_endpoints import (
    create_webhook_endpoint,
    delete_webhook_endpoint,
    get_endpoint,
    update_webhook_endpoint,
)

TAG = "Webhooks and events"
_MANAGE = {method: Scope.WEBHOOKS_MANAGE for method in ("GET", "POST", "PATCH", "DELETE")}
SIGNATURE_DOC = (
    "Each delivery is a POST of the event (the shape of the change feed's entries) with the header "
    '`OMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the endpoint\'s secret>` '
    "(and `OMS-Event-Id`, `OMS-Event-Type`). A receiver recomputes the HMAC over the raw body, compares in "
    "constant time and refuses old timestamps. Any answer but 2xx (redirects are not followed, 10 s "
    "timeout) is retried with exponential backoff (30 s doubling, at most 1 h apart) for 24 hours, then the "
    "delivery is Failed; an endpoint failing for 24 hours is disabled. Events of one order summary carry "
    "`sequence` 1, 2, 3 ...: deliveries may arrive out of order or twice (same `id`)."
)


class WebhookEndpointCollectionView(APIView):
    required_scopes = _MANAGE

    @extend_schema(
        operation_id="listWebhookEndpoints",
        tags=[TAG],
        parameters=[ListParams],
        responses={200: WebhookEndpointPageOut, **openapi.error_responses(400, 401, 403)},
        description="Oldest first. A key bound to a sales channel sees that channel's endpoints only.",
    )
    def get(self, request):
        data = validated(ListParams, request.query_params)
        page = endpoint_page(channel_id=client_channel_id(request), cursor=data.get("cursor"), limit=data["limit"])
        return Response(WebhookEndpointPageOut(page).data)

    @extend_schema(
        operation_id="createWebhookEndpoint",
        tags=[TAG],
        request=WebhookEndpointIn,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={201: WebhookEndpointCreatedOut, **openapi.error_responses(400, 401, 403, 409, 422)},
        description="Subscribe a URL to event types. The answer carries the signing `secret`, shown "
        "this once. A key bound to a sales channel makes an endpoint receiving that channel's events "
        "only; a back-office key's endpoint receives every channel's. " + SIGNATURE_DOC,
    )
    @idempotent(required=False)
    def post(self, request):
        data = validated(WebhookEndpointIn, request.data)
        created = create_webhook_endpoint(
            data["url"],
            data["events"],
            data.get("description", ""),
            channel_id=client_channel_id(request),
            created_by=request.auth,
        )
        body = {**WebhookEndpointOut(created.endpoint).data, "secret": created.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class WebhookEndpointDetailView(APIView):
    required_scopes = _MANAGE

    @extend_schema(
        operation_id="getWebhookEndpoint",
        tags=[TAG],
        responses={200: WebhookEndpointOut, **openapi.error_responses(401, 403, 404)},
    )
    def get(self, request, endpoint_id):
        return Response(WebhookEndpointOut(get_endpoint(endpoint_id, channel_id=client_channel_id(request))).data)

    @extend_schema(
        operation_id="updateWebhookEndpoint",
        tags=[TAG],
        request=WebhookEndpointPatchIn,
        responses={200: WebhookEndpointOut, **openapi.error_responses(400, 401, 403, 404)},
        description="Change the URL, the event types, the description, or turn it off and on "
        "(`active`); turning on an endpoint disabled for failing clears its failure record.",
    )
    def patch(self, request, endpoint_id):
        data = validated(WebhookEndpointPatchIn, request.data)
        fields = {name: data[name] for name in ("url", "events", "description", "active") if name in data}
        endpoint = update_webhook_endpoint(endpoint_id, channel_id=client_channel_id(request), **fields)
        return Response(WebhookEndpointOut(endpoint).data)

    @extend_schema(
        operation_id="deleteWebhookEndpoint",
        tags=[TAG],
        responses={
            204: OpenApiResponse(description="Removed, with its delivery history."),
            **openapi.error_responses(401, 403, 404),
        },
    )
    def delete(self, request, endpoint_id):
        delete_webhook_endpoint(endpoint_id, channel_id=client_channel_id(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListView(APIView):
    required_scopes = _MANAGE

    @extend_schema(
        operation_id="listWebhookDeliveries",
        tags=[TAG],
        parameters=[DeliveryListParams],
        responses={200: WebhookDeliveryPageOut, **openapi.error_responses(400, 401, 403, 404)},
        description="Newest first: each delivery of an event to this endpoint with every attempt "
        "(time, the receiver's HTTP status, error).",
    )
    def get(self, request, endpoint_id):
        endpoint = get_endpoint(endpoint_id, channel_id=client_channel_id(request))
        data = validated(DeliveryListParams, request.query_params)
        page = delivery_page(endpoint, status=data.get("status"), cursor=data.get("cursor"), limit=data["limit"])
        return Response(WebhookDeliveryPageOut(page).data)


class WebhookRedeliverView(APIView):
    required_scopes = _MANAGE

    @extend_schema(
        operation_id="redeliverWebhook",
        tags=[TAG],
        request=None,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={202: WebhookDeliveryOut, **openapi.error_responses(401, 403, 404, 409, 422)},
        description="Send this delivery again now (same event id), whatever became of it; retried "
        "on failure as a new delivery is. 409 while the endpoint is disabled.",
    )
    @idempotent(required=False)
    def post(self, request, endpoint_id, delivery_id):
        delivery = redeliver(delivery_id, endpoint_id=endpoint_id, channel_id=client_channel_id(request))
        return Response(WebhookDeliveryOut(delivery_detail(delivery.pk)).data, status=status.HTTP_202_ACCEPTED)


class EventFeedView(APIView):
    required_scopes = {"GET": Scope.ORDERS_READ}

    @extend_schema(
        operation_id="listEvents",
        tags=[TAG],
        parameters=[EventFeedParams],
        responses={200: EventPageOut, **openapi.error_responses(400, 401, 403)},
        description="The change feed: the events webhooks deliver, oldest first, kept 30 days. Poll "
        "with `after` = the `lastEventId` of the previous answer to catch up after an outage. Events "
        "appear a few seconds after they happen (so none can appear behind your position later). "
        "A key bound to a sales channel sees that channel's events only.",
    )
    def get(self, request):
        data = validated(EventFeedParams, request.query_params)
        page = event_feed(
            channel_id=client_channel_id(request),
            after=data.get("after"),
            types=parse_types(data.get("types")),
            order_summary_id=data.get("orderSummaryId"),
            limit=data["limit"],
        )
        return Response(
            {
                "events": [event_body(event) for event in page.events],
                "lastEventId": str(page.last_event_id) if page.last_event_id is not None else None,
                "hasMore": page.has_more,
            }
        )
