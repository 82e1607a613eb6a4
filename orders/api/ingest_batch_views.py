"""POST /commerce/orders/batch: up to 100 storefront orders in one request, each on its own
(orders.services.ingest_batch.ingest_batch, which claims their keys and writes them).

Every order carries its own `idempotencyKey` and is read by the same serializer as POST /commerce/orders:
one order's bad input, duplicate number or reused key fails that order only. A replay answers the first
answer's ids with success true.
"""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api import openapi
from orders.api.auth import api_client
from orders.api.errors import capped_errors, flatten_validation_errors
from orders.api.fast_validation import read_body
from orders.api.idempotency import MAX_KEY_LENGTH, fingerprint, idempotent
from orders.api.ingest_serializers import OrderIngestSerializer
from orders.api.ingest_views import answer_body
from orders.errors import InvalidInput
from orders.ingest_input import OrderInput
from orders.models import Scope
from orders.services.ingest_batch import BatchOrder, Refused, ingest_batch

MAX_BATCH_ORDERS = 100
# Errors listed per order of a batch (100 orders of 20 keep the answer small); errorCount says how many there were.
ERRORS_PER_ORDER = 20
KEY_FIELD = "idempotencyKey"


class BatchOrderSerializer(OrderIngestSerializer):
    idempotencyKey = serializers.CharField(
        max_length=MAX_KEY_LENGTH,
        help_text="Scoped to the API client, like the Idempotency-Key header of POST /commerce/orders.",
    )


class BatchIngestSerializer(serializers.Serializer[Any]):
    """Documents the request; the view checks the envelope itself so that each order fails on its own."""

    # many=True makes DRF's __new__ answer a ListSerializer, which takes the lengths; the stubs see the child.
    orders = BatchOrderSerializer(many=True, min_length=1, max_length=MAX_BATCH_ORDERS)  # type: ignore[call-arg]


class BatchOrderResultSerializer(serializers.Serializer[Any]):
    orderId = serializers.CharField(allow_null=True)
    orderSummaryId = serializers.CharField(allow_null=True)
    success = serializers.BooleanField()
    # The answer's `errors` key, a field: it shadows Serializer.errors, which these output-only serializers never use.
    errors = openapi.ErrorItemSerializer(many=True)  # type: ignore[assignment]
    errorCount = serializers.IntegerField(
        required=False, help_text=f"How many errors the order had, when more than the {ERRORS_PER_ORDER} listed."
    )


class BatchIngestOutputSerializer(serializers.Serializer[Any]):
    results = BatchOrderResultSerializer(many=True, help_text="One per order, in the order sent.")


def _orders_of(data: object) -> list[object]:
    if not isinstance(data, dict) or set(data) != {"orders"}:
        raise InvalidInput('The body must be {"orders": [...]}.', field="orders")
    orders = data["orders"]
    if not isinstance(orders, list) or not 1 <= len(orders) <= MAX_BATCH_ORDERS:
        raise InvalidInput(f"orders must be a list of 1 to {MAX_BATCH_ORDERS} orders.", field="orders")
    return orders


def _failure(errors: list[dict[str, Any]], *, output: object = None) -> dict[str, Any]:
    output = output if isinstance(output, dict) else {}
    result: dict[str, Any] = {
        "orderId": output.get("orderId"),
        "orderSummaryId": output.get("orderSummaryId"),
        "success": False,
        "errors": capped_errors(errors, ERRORS_PER_ORDER),
    }
    if len(errors) > ERRORS_PER_ORDER:
        result["errorCount"] = len(errors)
    return result


def _prefixed(errors: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [{**error, "field": f"{prefix}.{error['field']}" if error["field"] else prefix} for error in errors]


class OrderBatchIngestView(APIView):
    required_scopes = {"POST": Scope.ORDERS_WRITE}

    @extend_schema(
        operation_id="ingestOrderBatch",
        tags=["Orders"],
        request=BatchIngestSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={200: BatchIngestOutputSerializer, **openapi.error_responses(400, 401, 403, 409, 413, 422)},
        description=f"Up to {MAX_BATCH_ORDERS} ingest bodies, each with its own idempotencyKey. Each order is "
        "validated and written exactly as POST /commerce/orders would, and succeeds or fails on its own; a key "
        "already used for the same order replays its ids. 400 only when the envelope itself is wrong.",
    )
    @idempotent(required=False)
    def post(self, request: Request) -> Response:
        orders = _orders_of(request.data)
        ingest_path = reverse("api-order-ingest")
        results: dict[int, dict[str, Any]] = {}
        batch: list[tuple[int, BatchOrder]] = []
        # One DRF serializer for the bodies the fast reading leaves to it: its tree of fields is built
        # once for the batch, not per order.
        validator = OrderIngestSerializer()
        for index, order in enumerate(orders):
            read = _batch_order(ingest_path, order, validator)
            if isinstance(read, BatchOrder):
                batch.append((index, read))
            else:
                results[index] = _failure(_prefixed(read, _prefix(index)))
        outcomes = ingest_batch(
            [order for _, order in batch], client=api_client(request), key_path=ingest_path, answer_of=answer_body
        )
        for (index, _), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Refused):
                results[index] = _failure(_prefixed(outcome.errors, _prefix(index)), output=outcome.output)
            else:
                results[index] = {
                    "orderId": outcome.answer.get("orderId"),
                    "orderSummaryId": outcome.answer.get("orderSummaryId"),
                    "success": True,
                    "errors": [],
                }
        return Response({"results": [results[index] for index in range(len(orders))]})


def _prefix(index: int) -> str:
    return f"orders[{index}]"


def _batch_order(
    ingest_path: str, order: object, validator: OrderIngestSerializer
) -> BatchOrder | list[dict[str, Any]]:
    """The order as the service takes it, or the errors that keep it from being one (fields relative to it)."""
    if not isinstance(order, dict):
        return [_error("An order must be an object.", None)]
    body = {name: value for name, value in order.items() if name != KEY_FIELD}
    key = order.get(KEY_FIELD)
    key = key.strip() if isinstance(key, str) else ""
    # Printable only: a NUL or a lone surrogate cannot be stored (PostgreSQL, UTF-8).
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        return [_error(f"Each order needs an {KEY_FIELD} of 1 to {MAX_KEY_LENGTH} printable characters.", KEY_FIELD)]
    try:
        read: OrderInput | list[dict[str, Any]] = OrderIngestSerializer.input_from(
            read_body(OrderIngestSerializer, body, serializer=validator)
        )
    except ValidationError as exc:
        read = flatten_validation_errors(exc.detail)
    # The fingerprint of the same body posted alone, so either resource replays the other's answer.
    return BatchOrder(key, fingerprint("POST", ingest_path, body), read)


def _error(message: str, field: str | None) -> dict[str, Any]:
    return {"errorCode": InvalidInput.code, "message": message, "field": field}
