"""POST /commerce/orders/batch: up to 100 storefront orders in one request, each on its own.

Every order carries its own `idempotencyKey` and goes through the same serializer and service as
POST /commerce/orders: one order's bad input, duplicate number or reused key fails that order only.
The keys are claimed in one committed transaction, then the orders are written in a second one, each
order in its own savepoint: two commits for the whole batch, where single requests make three per
order (claim, order, answer), each waiting for PostgreSQL to flush its log.

The keys share the single ingest's namespace (same client, same fingerprint of the order body), so an
order first sent alone and retried in a batch, or the other way round, is replayed, not ingested twice.
A replay answers the first answer's ids with success true.
"""

import json
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api import openapi
from orders.api.errors import flatten_validation_errors
from orders.api.idempotency import (
    MAX_KEY_LENGTH,
    claim,
    fingerprint,
    idempotent,
    record_answer,
    replayable_record,
)
from orders.api.ingest_serializers import OrderIngestSerializer
from orders.errors import InvalidInput, ServiceError
from orders.models import IdempotencyRecord, Scope
from payments.services.order_intake import ingest_order

MAX_BATCH_ORDERS = 100
KEY_FIELD = "idempotencyKey"


class BatchOrderSerializer(OrderIngestSerializer):
    idempotencyKey = serializers.CharField(max_length=MAX_KEY_LENGTH, help_text="Scoped to the API client, like "
                                           "the Idempotency-Key header of POST /commerce/orders.")


class BatchIngestSerializer(serializers.Serializer):
    """Documents the request; the view checks the envelope itself so that each order fails on its own."""

    orders = BatchOrderSerializer(many=True, min_length=1, max_length=MAX_BATCH_ORDERS)


class BatchOrderResultSerializer(serializers.Serializer):
    orderId = serializers.CharField(allow_null=True)
    orderSummaryId = serializers.CharField(allow_null=True)
    success = serializers.BooleanField()
    errors = openapi.ErrorItemSerializer(many=True)


class BatchIngestOutputSerializer(serializers.Serializer):
    results = BatchOrderResultSerializer(many=True, help_text="One per order, in the order sent.")


def _orders_of(data) -> list:
    if not isinstance(data, dict) or set(data) != {"orders"}:
        raise InvalidInput("The body must be {\"orders\": [...]}.", field="orders")
    orders = data["orders"]
    if not isinstance(orders, list) or not 1 <= len(orders) <= MAX_BATCH_ORDERS:
        raise InvalidInput(f"orders must be a list of 1 to {MAX_BATCH_ORDERS} orders.", field="orders")
    return orders


def _failure(errors: list[dict], *, output=None) -> dict:
    output = output if isinstance(output, dict) else {}
    return {
        "orderId": output.get("orderId"),
        "orderSummaryId": output.get("orderSummaryId"),
        "success": False,
        "errors": errors,
    }


def _prefixed(errors: list[dict], prefix: str) -> list[dict]:
    return [
        {**error, "field": f"{prefix}.{error['field']}" if error["field"] else prefix} for error in errors
    ]


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
    def post(self, request):
        orders = _orders_of(request.data)
        ingest_path = reverse("api-order-ingest")
        results: list[dict | None] = [None] * len(orders)
        pending: list[_Pending] = []
        # The keys are claimed together and committed before any order is written, so a concurrent retry
        # of any of them sees its claim (one commit for the whole batch instead of one per order).
        with transaction.atomic():
            for index, order in enumerate(orders):
                outcome = _claimed(request.auth, ingest_path, index, order)
                if isinstance(outcome, _Pending):
                    pending.append(outcome)
                else:
                    results[index] = outcome
        try:
            # Each order in its own savepoint: a refused order rolls back alone, the others commit together.
            with transaction.atomic():
                freed = []
                for order in pending:
                    results[order.index] = _ingested(request.auth, order)
                    if not results[order.index]["success"]:
                        freed.append(order.key)
                if freed:
                    IdempotencyRecord.objects.filter(client=request.auth, key__in=freed).delete()
        except BaseException:
            IdempotencyRecord.objects.filter(client=request.auth, key__in=[o.key for o in pending]).delete()
            raise
        return Response({"results": results})


@dataclass
class _Pending:
    """An order whose key this request holds: to be validated and written."""

    index: int
    key: str
    body: dict

    @property
    def prefix(self) -> str:
        return f"orders[{self.index}]"


def _claimed(client, ingest_path: str, index: int, order) -> "_Pending | dict":
    """Claim the order's key: the order to write, or its result already (a replay or a refusal)."""
    prefix = f"orders[{index}]"
    if not isinstance(order, dict):
        return _failure([_error("An order must be an object.", prefix)])
    body = {name: value for name, value in order.items() if name != KEY_FIELD}
    key = order.get(KEY_FIELD)
    key = key.strip() if isinstance(key, str) else ""
    # Printable only: a NUL or a lone surrogate cannot be stored (PostgreSQL, UTF-8).
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        message = f"Each order needs an {KEY_FIELD} of 1 to {MAX_KEY_LENGTH} printable characters."
        return _failure([_error(message, f"{prefix}.{KEY_FIELD}")])
    # The fingerprint of the same body posted alone, so either resource replays the other's answer.
    request_hash = fingerprint("POST", ingest_path, body)
    try:
        existing = claim(client, key, request_hash, method="POST", path=ingest_path)
        if existing is not None:
            replayable = replayable_record(existing, request_hash, field=f"{prefix}.{KEY_FIELD}")
            if replayable is not None:
                first = json.loads(replayable.response_body)
                return {"orderId": first.get("orderId"), "orderSummaryId": first.get("orderSummaryId"),
                        "success": True, "errors": []}
    except ServiceError as exc:
        return _failure(exc.as_error_list())
    return _Pending(index, key, body)


def _ingested(client, order: _Pending) -> dict:
    serializer = OrderIngestSerializer(data=order.body)
    if not serializer.is_valid():
        return _failure(_prefixed(flatten_validation_errors(serializer.errors), order.prefix))
    try:
        with transaction.atomic():
            result = ingest_order(serializer.to_input(), client=client)
            answer = {
                "orderId": str(result.order_id),
                "orderSummaryId": str(result.order_summary_id) if result.order_summary_id is not None else None,
                "orderPaymentSummaryIds": [str(pk) for pk in result.order_payment_summary_ids],
                "success": True,
            }
            # Kept as POST /commerce/orders keeps it: 201 and its body, replayed by either resource.
            record_answer(client, order.key, 201, answer)
    except ServiceError as exc:
        return _failure(_prefixed(exc.as_error_list(), order.prefix), output=exc.output)
    return {"orderId": answer["orderId"], "orderSummaryId": answer["orderSummaryId"], "success": True, "errors": []}


def _error(message: str, field: str) -> dict:
    return {"errorCode": InvalidInput.code, "message": message, "field": field}
