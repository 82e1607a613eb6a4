"""Ensure funds and ensure refunds: each request answers a background operation id at once."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.idempotency import idempotent
from orders.models import OrderSummary, Scope
from payments.models import BackgroundOperation
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
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


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _actor(request) -> dict:
    return {"client": request.auth}


def _accepted(operation) -> Response:
    return Response(
        {"backgroundOperationId": str(operation.pk), "success": True, "errors": []}, status=status.HTTP_202_ACCEPTED
    )


def _sequences(data) -> list[dict]:
    return [{"orderPaymentSummaryId": s["orderPaymentSummaryId"], "amount": s["amount"]} for s in data["sequences"]]


class EnsureFundsView(APIView):
    required_scopes = WRITE

    @extend_schema(operation_id="ensureFundsAsync", tags=[TAG], request=EnsureFundsIn, responses={202: OperationIdOut})
    @idempotent(required=False)
    def post(self, request, summary_id):
        data = _valid(EnsureFundsIn, request)
        operation = submit_ensure_funds(
            visible_summary_id(request, summary_id),
            {"invoiceId": data["invoiceId"], "isAllowPartial": data["isAllowPartial"], "sequences": _sequences(data)},
            **_actor(request),
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
    def post(self, request):
        data = _valid(MultipleEnsureFundsIn, request)
        entries = [(visible_summary_id(request, e["orderSummaryId"]), e["invoiceId"]) for e in data["asyncInputs"]]
        operations = [
            submit_ensure_funds(summary_id, {"invoiceId": invoice_id}, **_actor(request))
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
    def post(self, request, summary_id):
        data = _valid(EnsureRefundsIn, request)
        operation = submit_ensure_refunds(
            visible_summary_id(request, summary_id),
            {
                "creditMemoId": data.get("creditMemoId"),
                "excessFundsAmount": data.get("excessFundsAmount"),
                "invoicesToPay": data["invoicesToPay"],
                "isAllowPartial": data["isAllowPartial"],
                "sequences": _sequences(data),
            },
            **_actor(request),
        )
        return _accepted(operation)


class BackgroundOperationView(APIView):
    required_scopes = {"GET": Scope.PAYMENTS_READ}

    @extend_schema(operation_id="getBackgroundOperation", tags=[TAG], responses=BackgroundOperationSerializer)
    def get(self, request, operation_id):
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
    def post(self, request):
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
