"""Ensure funds and ensure refunds: each request answers a background operation id at once."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from orders.api.idempotency import idempotent
from orders.models import ApiClient, OrderSummary, Scope
from orders.money import ZERO
from payments.models import BackgroundOperation
from payments.services import operation_input
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
from payments.services.payment_summary_create import create_payment_summary

from .lookups import parse_pk, visible, visible_summary_id
from .money_serializers import (
    BackgroundOperationSerializer,
    EnsureFundsIn,
    EnsureRefundsIn,
    MultipleEnsureFundsIn,
    OperationIdOut,
    OperationIdsOut,
    PaymentSummaryIdOut,
    PaymentSummaryIn,
)

TAG = "Payments"
WRITE = {"POST": Scope.PAYMENTS_WRITE}


def _valid(serializer_class: type[BaseSerializer[Any]], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    data: dict[str, Any] = serializer.validated_data
    return data


def _client(request: Request) -> ApiClient | None:
    client = request.auth
    return client if isinstance(client, ApiClient) else None


def _accepted(operation: BackgroundOperation) -> Response:
    return Response(
        {"backgroundOperationId": str(operation.pk), "success": True, "errors": []}, status=status.HTTP_202_ACCEPTED
    )


def _ensure_funds_input(data: dict[str, Any]) -> EnsureFundsInput:
    return EnsureFundsInput(
        invoice_id=operation_input.identifier(data["invoiceId"], "invoiceId"),
        allow_partial=data["isAllowPartial"],
        sequences=operation_input.stored_sequences(data["sequences"]),
    )


def _ensure_refunds_input(data: dict[str, Any]) -> EnsureRefundsInput:
    memo_id = data.get("creditMemoId")
    return EnsureRefundsInput(
        credit_memo_id=operation_input.identifier(memo_id, "creditMemoId") if memo_id not in (None, "") else None,
        excess_funds_amount=data.get("excessFundsAmount") or ZERO,
        invoices_to_pay=operation_input.identifiers(data["invoicesToPay"], "invoicesToPay"),
        allow_partial=data["isAllowPartial"],
        sequences=operation_input.stored_sequences(data["sequences"]),
    )


class EnsureFundsView(APIView):
    required_scopes = WRITE

    @extend_schema(operation_id="ensureFundsAsync", tags=[TAG], request=EnsureFundsIn, responses={202: OperationIdOut})
    @idempotent(required=False)
    def post(self, request: Request, summary_id: str) -> Response:
        data = _valid(EnsureFundsIn, request)
        operation = submit_ensure_funds(
            visible_summary_id(request, summary_id),
            _ensure_funds_input(data),
            client=_client(request),
        )
        return _accepted(operation)


class MultipleEnsureFundsView(APIView):
    required_scopes = WRITE

    @extend_schema(
        operation_id="multipleEnsureFundsAsync",
        tags=[TAG],
        request=MultipleEnsureFundsIn,
        responses={202: OperationIdsOut},
    )
    @idempotent(required=False)
    def post(self, request: Request) -> Response:
        data = _valid(MultipleEnsureFundsIn, request)
        entries = [(visible_summary_id(request, e["orderSummaryId"]), e["invoiceId"]) for e in data["asyncInputs"]]
        operations = [
            submit_ensure_funds(
                summary_id,
                EnsureFundsInput(operation_input.identifier(invoice_id, "invoiceId")),
                client=_client(request),
            )
            for summary_id, invoice_id in entries
        ]
        return Response(
            {"backgroundOperationIds": [str(op.pk) for op in operations], "success": True, "errors": []},
            status=status.HTTP_202_ACCEPTED,
        )


class EnsureRefundsView(APIView):
    required_scopes = WRITE

    @extend_schema(
        operation_id="ensureRefundsAsync", tags=[TAG], request=EnsureRefundsIn, responses={202: OperationIdOut}
    )
    @idempotent(required=False)
    def post(self, request: Request, summary_id: str) -> Response:
        data = _valid(EnsureRefundsIn, request)
        operation = submit_ensure_refunds(
            visible_summary_id(request, summary_id),
            _ensure_refunds_input(data),
            client=_client(request),
        )
        return _accepted(operation)


class BackgroundOperationView(APIView):
    required_scopes = {"GET": Scope.PAYMENTS_READ}

    @extend_schema(operation_id="getBackgroundOperation", tags=[TAG], responses=BackgroundOperationSerializer)
    def get(self, request: Request, operation_id: str) -> Response:
        operation = visible(BackgroundOperation.objects.all(), request, operation_id, "Background operation")
        return Response(BackgroundOperationSerializer(operation).data)


class PaymentSummaryCreateView(APIView):
    required_scopes = WRITE

    @extend_schema(
        operation_id="createOrderPaymentSummary",
        tags=[TAG],
        request=PaymentSummaryIn,
        responses={201: PaymentSummaryIdOut},
    )
    @idempotent(required=False)
    def post(self, request: Request) -> Response:
        data = _valid(PaymentSummaryIn, request)
        summary_id = visible(
            OrderSummary.objects.only("pk"), request, data["orderSummaryId"], "Order summary", "sales_channel"
        ).pk
        ops = create_payment_summary(
            summary_id,
            authorization_id=parse_pk(data["paymentAuthorizationId"], "Payment authorization")
            if "paymentAuthorizationId" in data
            else None,
            payment_ids=[parse_pk(pk, "Payment") for pk in data.get("paymentIds", [])] or None,
        )
        return Response(
            {"orderPaymentSummaryId": str(ops.pk), "success": True, "errors": []}, status=status.HTTP_201_CREATED
        )
