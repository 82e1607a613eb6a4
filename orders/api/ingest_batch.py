"""POST /commerce/orders/batch: up to 100 storefront orders in one request, each on its own.

Every order carries its own `idempotencyKey` and goes through the same serializer and service as
POST /commerce/orders: one order's bad input, duplicate number or reused key fails that order only.
The keys are claimed in one committed transaction; then, in a second one, the orders that pass every
check are written together, one insert per table for all of them (orders.services.ingest.
ingest_orders), and their answers kept with one update: two commits and about twenty statements for the
whole batch, where single requests make two commits and fourteen statements per order.

The keys share the single ingest's namespace (same client, same fingerprint of the order body), so an
order first sent alone and retried in a batch, or the other way round, is replayed, not ingested twice.
A replay answers the first answer's ids with success true.
"""

import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
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
from orders.api.idempotency import (
    MAX_KEY_LENGTH,
    claim,
    fingerprint,
    idempotent,
    record_answers,
    replayable_record,
)
from orders.api.ingest_serializers import OrderIngestSerializer
from orders.db import insert_rows
from orders.errors import InvalidInput, ServiceError
from orders.ingest_input import OrderInput
from orders.models import ApiClient, IdempotencyRecord, Scope
from orders.services.ingest import ingest_orders

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
        client = api_client(request)
        orders = _orders_of(request.data)
        ingest_path = reverse("api-order-ingest")
        results: list[dict[str, Any] | None] = [None] * len(orders)
        pending: list[_Pending] = []
        # The keys are claimed together and committed before any order is written, so a concurrent retry
        # of any of them sees its claim (one commit for the whole batch instead of one per order).
        with transaction.atomic():
            for index, outcome in _claimed(client, ingest_path, orders):
                if isinstance(outcome, _Pending):
                    pending.append(outcome)
                else:
                    results[index] = outcome
        try:
            # One transaction for all the orders: those that pass every check are written together
            # (one insert per table), the others answer their errors and free their keys.
            with transaction.atomic():
                # Each order read fast when the reading is sure; otherwise by one DRF serializer for the
                # whole batch, which builds its tree of fields once, not per order, and words the errors.
                validator = OrderIngestSerializer()
                valid: list[tuple[_Pending, OrderInput]] = []
                for order in pending:
                    try:
                        data = read_body(OrderIngestSerializer, order.body, serializer=validator)
                    except ValidationError as exc:
                        results[order.index] = _failure(_prefixed(flatten_validation_errors(exc.detail), order.prefix))
                        continue
                    valid.append((order, OrderIngestSerializer.input_from(data)))
                outcomes = ingest_orders([data for _, data in valid], client=client)
                answers: dict[str, tuple[int, dict[str, Any]]] = {}
                for (order, _), written in zip(valid, outcomes, strict=True):
                    if isinstance(written, ServiceError):
                        results[order.index] = _failure(
                            _prefixed(written.as_error_list(), order.prefix), output=written.output
                        )
                        continue
                    # Kept as POST /commerce/orders keeps it: 201 and its body, replayed by either resource.
                    answers[order.key] = (
                        201,
                        {
                            "orderId": str(written.order_id),
                            "orderSummaryId": str(written.order_summary_id)
                            if written.order_summary_id is not None
                            else None,
                            "orderPaymentSummaryIds": [str(pk) for pk in written.order_payment_summary_ids],
                            "success": True,
                        },
                    )
                    results[order.index] = {
                        "orderId": answers[order.key][1]["orderId"],
                        "orderSummaryId": answers[order.key][1]["orderSummaryId"],
                        "success": True,
                        "errors": [],
                    }
                record_answers(client, answers)
                freed = [order.key for order in pending if order.key not in answers]
                if freed:
                    IdempotencyRecord.objects.filter(client=client, key__in=freed).delete()
        except BaseException:
            IdempotencyRecord.objects.filter(client=client, key__in=[o.key for o in pending]).delete()
            raise
        return Response({"results": results})


@dataclass
class _Pending:
    """An order whose key this request holds: to be validated and written."""

    index: int
    key: str
    body: dict[str, Any]
    request_hash: str

    @property
    def prefix(self) -> str:
        return f"orders[{self.index}]"


def _claimed(
    client: ApiClient, ingest_path: str, orders: list[object]
) -> list[tuple[int, "_Pending | dict[str, Any]"]]:
    """Claim every order's key: each order to write, or its result already (a replay or a refusal).

    Keys never seen are claimed with one insert for all; a key seen before (a retry) or repeated in the
    batch, or all of them if another request claims one meanwhile, goes through `claim` one by one.
    """
    outcomes: list[tuple[int, _Pending | dict[str, Any]]] = []
    candidates: list[_Pending] = []
    for index, order in enumerate(orders):
        shaped = _shaped(ingest_path, index, order)
        if isinstance(shaped, _Pending):
            candidates.append(shaped)
        else:
            outcomes.append((index, shaped))
    seen = set(
        IdempotencyRecord.objects.filter(client=client, key__in=[c.key for c in candidates]).values_list(
            "key", flat=True
        )
    )
    fresh: dict[str, _Pending] = {}
    one_by_one: list[_Pending] = []
    for candidate in candidates:
        if candidate.key in seen or candidate.key in fresh:
            one_by_one.append(candidate)
        else:
            fresh[candidate.key] = candidate
    try:
        with transaction.atomic():
            insert_rows(
                [
                    IdempotencyRecord(
                        client=client, key=c.key, method="POST", path=ingest_path[:500], request_hash=c.request_hash
                    )
                    for c in fresh.values()
                ]
            )
        outcomes += [(c.index, c) for c in fresh.values()]
    except IntegrityError:
        one_by_one += fresh.values()
    for candidate in sorted(one_by_one, key=lambda c: c.index):
        outcomes.append((candidate.index, _claimed_alone(client, ingest_path, candidate)))
    return sorted(outcomes, key=lambda outcome: outcome[0])


def _shaped(ingest_path: str, index: int, order: object) -> "_Pending | dict[str, Any]":
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
    return _Pending(index, key, body, fingerprint("POST", ingest_path, body))


def _claimed_alone(client: ApiClient, ingest_path: str, candidate: "_Pending") -> "_Pending | dict[str, Any]":
    try:
        existing = claim(client, candidate.key, candidate.request_hash, method="POST", path=ingest_path)
        if existing is not None:
            replayable = replayable_record(existing, candidate.request_hash, field=f"{candidate.prefix}.{KEY_FIELD}")
            if replayable is not None:
                first = json.loads(replayable.response_body)
                return {
                    "orderId": first.get("orderId"),
                    "orderSummaryId": first.get("orderSummaryId"),
                    "success": True,
                    "errors": [],
                }
    except ServiceError as exc:
        return _failure(exc.as_error_list())
    return candidate


def _error(message: str, field: str) -> dict[str, Any]:
    return {"errorCode": InvalidInput.code, "message": message, "field": field}
