"""Invoices and credit memos: create them from fulfillment orders and change orders, and read them."""

from typing import TypeVar

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.idempotency import idempotent
from orders.api.validated import validated
from orders.errors import NotFound
from orders.models import FulfillmentOrder, Scope
from payments.models import CreditMemo, Invoice
from payments.services.change_invoice_create import ChangeInvoiceResult, create_multiple_change_invoices
from payments.services.credit_memo_create import create_credit_memo
from payments.services.fulfillment_invoice_create import (
    create_invoices_for_fulfillment_orders,
    invoice_fulfillment_order,
)

from .lookups import visible, visible_summary_id
from .money_serializers import (
    ChangeInvoicesOut,
    CreditMemoIdOut,
    CreditMemoIn,
    CreditMemoSerializer,
    InvoiceIdOut,
    InvoiceIdsOut,
    InvoiceSerializer,
    MultipleChangeInvoicesIn,
    MultipleInvoicesIn,
)

TAG = "Invoices and credit memos"
WRITE = {"POST": Scope.PAYMENTS_WRITE}
READ = {"GET": Scope.PAYMENTS_READ}


_Document = TypeVar("_Document", Invoice, CreditMemo)


def documents_queryset(model: type[_Document]) -> QuerySet[_Document]:
    return model.objects.prefetch_related("lines", "change_order_links")


class InvoiceDetailView(APIView):
    required_scopes = READ

    @extend_schema(operation_id="getInvoice", tags=[TAG], responses=InvoiceSerializer)
    def get(self, request: Request, invoice_id: str) -> Response:
        return Response(InvoiceSerializer(visible(documents_queryset(Invoice), request, invoice_id, "Invoice")).data)


class CreditMemoDetailView(APIView):
    required_scopes = READ

    @extend_schema(operation_id="getCreditMemo", tags=[TAG], responses=CreditMemoSerializer)
    def get(self, request: Request, credit_memo_id: str) -> Response:
        memo = visible(documents_queryset(CreditMemo), request, credit_memo_id, "Credit memo")
        return Response(CreditMemoSerializer(memo).data)


class CreateCreditMemoView(APIView):
    required_scopes = WRITE

    @extend_schema(operation_id="createCreditMemo", tags=[TAG], request=CreditMemoIn, responses={201: CreditMemoIdOut})
    @idempotent(required=False)
    def post(self, request: Request, summary_id: str) -> Response:
        data = validated(CreditMemoIn, request.data)
        memo = create_credit_memo(visible_summary_id(request, summary_id), data["changeOrderIds"])
        return Response({"creditMemoId": str(memo.pk), "success": True, "errors": []}, status=status.HTTP_201_CREATED)


class CreateMultipleChangeInvoicesView(APIView):
    required_scopes = WRITE

    @extend_schema(
        operation_id="createMultipleChangeInvoices",
        tags=[TAG],
        request=MultipleChangeInvoicesIn,
        responses={201: ChangeInvoicesOut},
    )
    @idempotent(required=False)
    def post(self, request: Request) -> Response:
        data = validated(MultipleChangeInvoicesIn, request.data)
        results: list[ChangeInvoiceResult] = []
        for entry in data["invoicesFromChangeOrders"]:
            try:
                summary_id = visible_summary_id(request, entry["orderSummaryId"])
            except NotFound as exc:
                # Another channel's summary fails on its own, as not found; the others go on.
                results.append(ChangeInvoiceResult(entry["orderSummaryId"], errors=exc.as_error_list()))
                continue
            results.extend(create_multiple_change_invoices([(summary_id, entry["changeOrderIds"])]))
        invoices = [
            {
                "orderSummaryId": str(entry["orderSummaryId"]),
                "invoiceId": str(r.invoice_id) if r.success else None,
                "success": r.success,
                "errors": r.errors,
            }
            for entry, r in zip(data["invoicesFromChangeOrders"], results, strict=True)
        ]
        return Response(
            {"invoices": invoices, "success": all(r.success for r in results), "errors": []},
            status=status.HTTP_201_CREATED,
        )


class CreateInvoiceView(APIView):
    required_scopes = WRITE

    @extend_schema(
        operation_id="createInvoiceFromFulfillmentOrder",
        tags=[TAG],
        request=None,
        responses={201: InvoiceIdOut, 200: InvoiceIdOut},
        description="Invoice a Fulfilled fulfillment order (409 FULFILLMENT_ORDER_NOT_FULFILLED before it ships). "
        "Idempotent: when the fulfillment order has its invoice already (made by the automation or an "
        "earlier call) the answer is 200 with that invoice's id; 201 when this call made it.",
    )
    @idempotent(required=False)
    def post(self, request: Request, fulfillment_order_id: str) -> Response:
        fulfillment_order = visible(
            FulfillmentOrder.objects.only("pk"), request, fulfillment_order_id, "Fulfillment order"
        )
        result = invoice_fulfillment_order(fulfillment_order.pk)
        return Response(
            {"invoiceId": str(result.invoice.pk), "success": True, "errors": []},
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class CreateMultipleInvoicesView(APIView):
    required_scopes = WRITE

    @extend_schema(
        operation_id="createMultipleInvoicesFromFulfillmentOrders",
        tags=[TAG],
        request=MultipleInvoicesIn,
        responses={201: InvoiceIdsOut},
    )
    @idempotent(required=False)
    def post(self, request: Request) -> Response:
        data = validated(MultipleInvoicesIn, request.data)
        ids = [
            visible(FulfillmentOrder.objects.only("pk"), request, raw, "Fulfillment order").pk
            for raw in data["fulfillmentOrderIds"]
        ]
        invoices = create_invoices_for_fulfillment_orders(ids)
        return Response(
            {"invoiceIds": [str(invoice.pk) for invoice in invoices], "success": True, "errors": []},
            status=status.HTTP_201_CREATED,
        )
