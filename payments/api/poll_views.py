"""The money lists integrations poll (issue 17 point 3): invoices, credit memos, background operations.

Same filters, order and cursor as the orders-side lists (orders.polling); each row renders as its
GET-by-id does."""

from typing import TypeVar

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api import openapi
from orders.api.polling import PollParamsSerializer, page_serializer, poll_params, requested_page
from orders.models import Scope
from orders.selectors.fulfillment import Page
from payments.models import BackgroundOperation, CreditMemo, DocumentStatus, Invoice, OperationStatus

from .document_views import documents_queryset
from .money_serializers import BackgroundOperationSerializer, CreditMemoSerializer, InvoiceSerializer

_READ = {"GET": Scope.PAYMENTS_READ}
_POLLING = (
    "Oldest modification first, keyset-paginated on (lastModifiedDate, id): follow nextCursor to the end. "
    "A record modified while you page comes again on a later page. A storefront key sees its own sales "
    "channel only. "
)


class DocumentListParams(PollParamsSerializer):
    status = serializers.ChoiceField(choices=DocumentStatus.choices, required=False)


class OperationListParams(PollParamsSerializer):
    status = serializers.ChoiceField(choices=OperationStatus.choices, required=False)


InvoicePage = page_serializer("InvoicePage", "invoices", InvoiceSerializer)
CreditMemoPage = page_serializer("CreditMemoPage", "creditMemos", CreditMemoSerializer)
OperationPage = page_serializer("BackgroundOperationPage", "backgroundOperations", BackgroundOperationSerializer)


_Row = TypeVar("_Row", Invoice, CreditMemo, BackgroundOperation)


def _page(request: Request, params_class: type[PollParamsSerializer], queryset: QuerySet[_Row]) -> Page:
    data, filters = poll_params(params_class, request)
    return requested_page(request, queryset, data, filters, modified_field="last_modified")


class InvoiceListView(APIView):
    required_scopes = _READ

    @extend_schema(
        operation_id="listInvoices",
        tags=["Invoices and credit memos"],
        parameters=[DocumentListParams],
        responses={200: InvoicePage, **openapi.error_responses(400, 401, 403)},
        description=_POLLING + "An invoice is modified when a payment or credit memo is applied to it.",
    )
    def get(self, request: Request) -> Response:
        return Response(InvoicePage(_page(request, DocumentListParams, documents_queryset(Invoice))).data)


class CreditMemoListView(APIView):
    required_scopes = _READ

    @extend_schema(
        operation_id="listCreditMemos",
        tags=["Invoices and credit memos"],
        parameters=[DocumentListParams],
        responses={200: CreditMemoPage, **openapi.error_responses(400, 401, 403)},
        description=_POLLING + "A credit memo is modified when it is refunded or netted against an invoice.",
    )
    def get(self, request: Request) -> Response:
        return Response(CreditMemoPage(_page(request, DocumentListParams, documents_queryset(CreditMemo))).data)


class BackgroundOperationListView(APIView):
    required_scopes = _READ

    @extend_schema(
        operation_id="listBackgroundOperations",
        tags=["Payments"],
        parameters=[OperationListParams],
        responses={200: OperationPage, **openapi.error_responses(400, 401, 403)},
        description=_POLLING + "Ensure funds and ensure refunds jobs; one is modified as it starts, "
        "completes or fails.",
    )
    def get(self, request: Request) -> Response:
        return Response(OperationPage(_page(request, OperationListParams, BackgroundOperation.objects.all())).data)
