"""The process exception queue: list, change status, and retry a failed payment step."""

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.auth import api_client, client_channel_id, scope_to_channel
from orders.api.idempotency import idempotent
from orders.api.validated import validated
from orders.cursors import decode_keyset_cursor, encode_keyset_cursor
from orders.errors import InvalidInput, InvalidState, PermissionDenied
from orders.models import ProcessException, ProcessExceptionStatus, Scope
from orders.services.process_exception_status import set_process_exception_status
from payments.errors import RETRY_FAILED
from payments.services.exception_retry import ROUTE, retry_kind, retry_process_exception

from .lookups import parse_pk, visible
from .money_serializers import (
    ProcessExceptionListParams,
    ProcessExceptionPageOut,
    ProcessExceptionPatchIn,
    ProcessExceptionSerializer,
    RetryOut,
)

TAG = "Process exceptions"


def _queryset(request: Request) -> QuerySet[ProcessException]:
    return scope_to_channel(
        ProcessException.objects.select_related("attached_to_type"), request, "order_summary__sales_channel"
    )


class ProcessExceptionListView(APIView):
    required_scopes = {"GET": Scope.ORDERS_READ}

    @extend_schema(
        operation_id="listProcessExceptions",
        tags=[TAG],
        parameters=[ProcessExceptionListParams],
        responses=ProcessExceptionPageOut,
    )
    def get(self, request: Request) -> Response:
        data = validated(ProcessExceptionListParams, request.query_params)
        queryset = _queryset(request).order_by("-created_at", "-id")
        if data.get("status"):
            if data["status"] not in ProcessExceptionStatus.values:
                raise InvalidInput(f"Unknown status '{data['status']}'.", field="status")
            queryset = queryset.filter(status=data["status"])
        if data.get("orderSummaryId"):
            queryset = queryset.filter(order_summary_id=parse_pk(data["orderSummaryId"], "Order summary"))
        if data.get("category"):
            queryset = queryset.filter(category=data["category"])
        if data.get("cursor"):
            created, pk = decode_keyset_cursor(data["cursor"])
            queryset = queryset.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=pk))
        rows = list(queryset[: data["limit"] + 1])
        page = rows[: data["limit"]]
        return Response(
            {
                "processExceptions": ProcessExceptionSerializer(page, many=True).data,
                "nextCursor": encode_keyset_cursor(page[-1].created_at, page[-1].pk)
                if len(rows) > data["limit"]
                else None,
            }
        )


class ProcessExceptionDetailView(APIView):
    required_scopes = {"GET": Scope.ORDERS_READ, "PATCH": Scope.ORDERS_WRITE}

    @extend_schema(operation_id="getProcessException", tags=[TAG], responses=ProcessExceptionSerializer)
    def get(self, request: Request, exception_id: str) -> Response:
        return Response(
            ProcessExceptionSerializer(visible(_queryset(request), request, exception_id, "Process exception")).data
        )

    @extend_schema(
        operation_id="updateProcessException",
        tags=[TAG],
        request=ProcessExceptionPatchIn,
        responses=ProcessExceptionSerializer,
    )
    def patch(self, request: Request, exception_id: str) -> Response:
        exception = visible(_queryset(request), request, exception_id, "Process exception")
        set_process_exception_status(exception.pk, validated(ProcessExceptionPatchIn, request.data)["status"])
        return Response(ProcessExceptionSerializer(_queryset(request).get(pk=exception.pk)).data)


class ProcessExceptionRetryView(APIView):
    required_scopes = {"POST": Scope.PAYMENTS_WRITE}

    @extend_schema(
        operation_id="retryProcessException",
        tags=[TAG],
        request=None,
        responses={202: RetryOut},
        description="Do the step behind an active process exception again. Payment: a new background operation "
        "for what is still owed. Route (a Fulfillment exception about routing; also needs fulfillment:write): "
        "routing runs now. Bill (an Invoicing exception for a shipped fulfillment order never billed): the "
        "invoice is made now and its capture queued. Done: 202 and the exception is Resolved. Failed again: "
        "409 RETRY_FAILED with the reason, and the exception stays open carrying it. Nothing to retry, or an "
        "exception no longer active: 409 INVALID_STATE.",
    )
    @idempotent(required=False)
    def post(self, request: Request, exception_id: str) -> Response:
        pk = parse_pk(exception_id, "Process exception")
        exception = visible(_queryset(request), request, pk, "Process exception")
        client = api_client(request)
        if retry_kind(exception) == ROUTE and not client.has_scope(Scope.FULFILLMENT_WRITE):
            raise PermissionDenied(f"Routing again needs the scope '{Scope.FULFILLMENT_WRITE}'.")
        outcome = retry_process_exception(pk, client=client, channel_id=client_channel_id(request))
        if not outcome.resolved:
            raise RetryFailed(f"The retry failed again: {outcome.message} The exception stays open.")
        return Response(
            {
                "backgroundOperationId": str(outcome.operation.pk) if outcome.operation else None,
                "retryKind": outcome.kind,
                "processExceptionStatus": outcome.exception.status,
                "message": outcome.message,
                "fulfillmentOrderIds": [str(pk) for pk in outcome.fulfillment_order_ids],
                "invoiceId": str(outcome.invoice_id) if outcome.invoice_id else None,
                "success": True,
                "errors": [],
            },
            status=status.HTTP_202_ACCEPTED,
        )


class RetryFailed(InvalidState):
    code = RETRY_FAILED
