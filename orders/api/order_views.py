"""Order summaries over REST: the list, and creating the summary of an order ingested without one."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api import openapi
from orders.api.auth import client_channel_id
from orders.api.idempotency import idempotent
from orders.api.order_serializers import (
    CreateOrderSummaryInputSerializer,
    CreateOrderSummaryOutputSerializer,
    OrderSummaryListParamsSerializer,
    OrderSummaryPageSerializer,
)
from orders.errors import NotFound
from orders.models import Scope
from orders.selectors.summaries import SummaryFilters, order_summary_page, parse_id
from orders.services.create_summary import create_order_summary

TAG = "Order summaries"


class OrderSummaryCollectionView(APIView):
    required_scopes = {"GET": Scope.ORDERS_READ, "POST": Scope.ORDERS_WRITE}

    @extend_schema(
        operation_id="listOrderSummaries",
        tags=[TAG],
        parameters=[OrderSummaryListParamsSerializer],
        responses={200: OrderSummaryPageSerializer, **openapi.error_responses(400, 401, 403)},
        description="Newest first. A storefront key sees its own sales channel only.",
    )
    def get(self, request):
        params = OrderSummaryListParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        page = order_summary_page(
            channel_id=client_channel_id(request),
            filters=SummaryFilters(
                status=data.get("status"),
                ordered_from=data.get("orderedDateFrom"),
                ordered_to=data.get("orderedDateTo"),
                sales_channel=data.get("salesChannel"),
                q=data.get("q"),
            ),
            cursor=data.get("cursor"),
            limit=data["limit"],
        )
        return Response(OrderSummaryPageSerializer(page).data)

    @extend_schema(
        operation_id="createOrderSummary",
        tags=[TAG],
        request=CreateOrderSummaryInputSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={201: CreateOrderSummaryOutputSerializer, **openapi.error_responses(400, 401, 403, 404, 409, 422)},
        description="Create the order summary of an order ingested with createOrderSummary false. "
        "UNMANAGED summaries are a reference copy: every later action refuses them.",
    )
    @idempotent(required=False)
    def post(self, request):
        serializer = CreateOrderSummaryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order_id = parse_id(data["orderId"])
        if order_id is None:
            raise NotFound(f"No order {data['orderId']}.", field="orderId")
        summary = create_order_summary(
            order_id,
            life_cycle_type=data["orderLifeCycleType"],
            name=data["name"],
            status=data["status"],
            external_reference=data["externalReferenceIdentifier"],
            channel_id=client_channel_id(request),
        )
        body = {"orderSummaryId": str(summary.pk), "success": True, "errors": []}
        return Response(body, status=status.HTTP_201_CREATED)
