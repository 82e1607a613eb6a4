"""The process exception queue: list, change status, and retry a failed payment step."""

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.auth import client_channel_id, scope_to_channel
from orders.api.idempotency import idempotent
from orders.cursors import decode_keyset_cursor, encode_keyset_cursor
from orders.errors import InvalidInput
from orders.models import ProcessException, ProcessExceptionStatus, Scope
from orders.services.process_exception_status import set_process_exception_status
from payments.services.operation_retry import retry_payment_exception

from .lookups import parse_pk, visible
from .money_serializers import (
    OperationIdOut,
    ProcessExceptionListParams,
    ProcessExceptionPageOut,
    ProcessExceptionPatchIn,
    ProcessExceptionSerializer,
)

TAG = "Process exceptions"


def _queryset(request):
    return scope_to_channel(
        ProcessException.objects.select_related("attached_to_type"), request, "order_summary__sales_channel"
    )


class ProcessExceptionListView(APIView):
    required_scopes = {"GET": Scope.ORDERS_READ}

    @extend_schema(operation_id="listProcessExceptions", tags=[TAG], parameters=[ProcessExceptionListParams],
                   responses=ProcessExceptionPageOut)
    def get(self, request):
        params = ProcessExceptionListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
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
        return Response({
            "processExceptions": ProcessExceptionSerializer(page, many=True).data,
            "nextCursor": encode_keyset_cursor(page[-1].created_at, page[-1].pk) if len(rows) > data["limit"] else None,
        })


class ProcessExceptionDetailView(APIView):
    required_scopes = {"GET": Scope.ORDERS_READ, "PATCH": Scope.ORDERS_WRITE}

    @extend_schema(operation_id="getProcessException", tags=[TAG], responses=ProcessExceptionSerializer)
    def get(self, request, exception_id):
        return Response(ProcessExceptionSerializer(visible(_queryset(request), request, exception_id,
                                                           "Process exception")).data)

    @extend_schema(operation_id="updateProcessException", tags=[TAG], request=ProcessExceptionPatchIn,
                   responses=ProcessExceptionSerializer)
    def patch(self, request, exception_id):
        exception = visible(_queryset(request), request, exception_id, "Process exception")
        params = ProcessExceptionPatchIn(data=request.data)
        params.is_valid(raise_exception=True)
        set_process_exception_status(exception.pk, params.validated_data["status"])
        return Response(ProcessExceptionSerializer(_queryset(request).get(pk=exception.pk)).data)


class ProcessExceptionRetryView(APIView):
    required_scopes = {"POST": Scope.PAYMENTS_WRITE}

    @extend_schema(operation_id="retryProcessException", tags=[TAG], request=None, responses={202: OperationIdOut})
    @idempotent(required=False)
    def post(self, request, exception_id):
        operation = retry_payment_exception(
            parse_pk(exception_id, "Process exception"), client=request.auth, channel_id=client_channel_id(request)
        )
        return Response({"backgroundOperationId": str(operation.pk), "success": True, "errors": []},
                        status=status.HTTP_202_ACCEPTED)
