"""POST /commerce/orders: a storefront places an order (orders.services.ingest.ingest_order)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api import openapi
from orders.api.auth import api_client
from orders.api.idempotency import Claim, idempotent
from orders.api.ingest_serializers import OrderIngestSerializer, order_input
from orders.api.order_serializers import OrderIngestOutputSerializer
from orders.models import Scope
from orders.services.ingest import IngestResult, ingest_order


class OrderIngestView(APIView):
    required_scopes = {"POST": Scope.ORDERS_WRITE}

    @extend_schema(
        operation_id="ingestOrder",
        tags=["Orders"],
        request=OrderIngestSerializer,
        parameters=[openapi.idempotency_key_header(required=True)],
        responses={
            201: OrderIngestOutputSerializer,
            **openapi.error_responses(400, 401, 403, 409, 413, 422),
        },
        description="Creates the original order, its order summary (unless createOrderSummary is false) and one "
        "order payment summary per payment method, in one transaction. Totals are computed from the lines. "
        "The same order number twice in a sales channel answers 409 with the existing ids in `output`.",
    )
    @idempotent(required=True)
    def post(self, request: Request) -> Response:
        answer: dict[str, Any] = {}
        claim: Claim = request.idempotency  # type: ignore[attr-defined]  # set by @idempotent

        def keep_answer(result: IngestResult) -> None:
            # Inside the order's transaction: the answer for the Idempotency-Key commits with the order.
            answer.update(answer_body(result))
            claim.keep(status.HTTP_201_CREATED, answer)

        ingest_order(order_input(request.data), client=api_client(request), before_commit=keep_answer)
        return Response(answer, status=status.HTTP_201_CREATED)


def answer_body(result: IngestResult) -> dict[str, Any]:
    return {
        "orderId": str(result.order_id),
        "orderSummaryId": str(result.order_summary_id) if result.order_summary_id is not None else None,
        "orderPaymentSummaryIds": [str(pk) for pk in result.order_payment_summary_ids],
        "success": True,
    }
