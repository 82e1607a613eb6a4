"""GET …/order-summaries/{id}: the whole current state of an order summary.

It lives in the payments app because it shows both sides: orders never imports payments, so the
orders part (orders.api.order_serializers) is extended here with the money records.
"""

from collections.abc import Iterable
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api import openapi
from orders.api.auth import client_channel_id
from orders.api.order_serializers import IdOut, MoneyOut, OrderSummaryDetailBaseSerializer, Text
from orders.models import Scope
from payments.api.fields import Date
from payments.models import CreditMemoChangeOrder, InvoiceChangeOrder
from payments.selectors import order_summary_with_payments


class SummaryPaymentAuthorizationSerializer(serializers.Serializer[Any]):
    id = IdOut()
    amount = MoneyOut()
    status = Text()
    method = Text()
    type = Text()
    last4 = Text()
    gatewayRefNumber = Text("gateway_reference")
    expirationDate = Date("expires_at", allow_null=True)
    createdDate = Date("created_at")


class SummaryPaymentSerializer(serializers.Serializer[Any]):
    id = IdOut()
    type = Text("kind", help_text="Capture or Sale")
    amount = MoneyOut()
    balance = MoneyOut(help_text="Captured and not yet applied to an invoice nor refunded.")
    status = Text()
    paymentAuthorizationId = IdOut(source="authorization_id", allow_null=True)
    gatewayRefNumber = Text("gateway_reference")
    createdDate = Date("created_at")


class SummaryRefundSerializer(serializers.Serializer[Any]):
    id = IdOut()
    paymentId = IdOut(source="payment_id")
    amount = MoneyOut()
    status = Text()
    creditMemoId = IdOut(source="credit_memo_id", allow_null=True)
    creditMemoAmount = MoneyOut(source="credit_memo_amount")
    gatewayRefNumber = Text("gateway_reference")
    createdDate = Date("created_at")
    processedDate = Date("processed_at", allow_null=True)


class SummaryGatewayLogSerializer(serializers.Serializer[Any]):
    id = IdOut()
    interactionType = Text("interaction_type")
    isReconciliation = serializers.BooleanField(source="is_reconciliation", read_only=True)
    status = Text()
    resultCode = Text("result_code")
    amount = MoneyOut()
    gatewayRefNumber = Text("gateway_reference")
    message = Text()
    paymentAuthorizationId = IdOut(source="authorization_id", allow_null=True)
    paymentId = IdOut(source="payment_id", allow_null=True)
    refundId = IdOut(source="refund_id", allow_null=True)
    initiatedDate = Date("initiated_at")
    completedDate = Date("completed_at", allow_null=True)


class SummaryOrderPaymentSummarySerializer(serializers.Serializer[Any]):
    id = IdOut()
    orderSummaryId = IdOut(source="order_summary_id")
    method = Text()
    type = Text()
    last4 = Text()
    currencyIsoCode = Text("currency")
    authorizationAmount = MoneyOut(source="authorization_amount")
    capturedAmount = MoneyOut(source="captured_amount")
    refundedAmount = MoneyOut(source="refunded_amount")
    pendingCaptureAmount = MoneyOut(source="pending_capture_amount")
    pendingRefundAmount = MoneyOut(source="pending_refund_amount")
    authorizationReversalAmount = MoneyOut(source="authorization_reversal_amount")
    availableToCaptureAmount = MoneyOut(source="available_to_capture_amount")
    availableToRefundAmount = MoneyOut(source="available_to_refund_amount")
    balanceAmount = MoneyOut(source="balance_amount")
    createdDate = Date("created_at")
    paymentAuthorizations = SummaryPaymentAuthorizationSerializer(
        many=True, source="authorizations.all", read_only=True
    )
    payments = SummaryPaymentSerializer(many=True, source="payments.all", read_only=True)
    refunds = SummaryRefundSerializer(many=True, source="refunds.all", read_only=True)
    paymentGatewayLogs = SummaryGatewayLogSerializer(many=True, source="gateway_logs.all", read_only=True)


class ChangeOrderIdsField(serializers.ListField):
    """The change orders a document bills or credits, from its prefetched links."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(), source="change_order_links.all", read_only=True, **kwargs)

    def to_representation(self, links: Iterable[InvoiceChangeOrder | CreditMemoChangeOrder]) -> list[str]:
        return [str(link.change_order_id) for link in links]


class SummaryDocumentSerializer(serializers.Serializer[Any]):
    id = IdOut()
    documentNumber = Text("number", allow_null=True)
    status = Text()
    currencyIsoCode = Text("currency")
    taxLocaleType = Text("tax_locale_type")
    totalChargeAmount = MoneyOut(source="total_charge_amount")
    totalAdjustmentAmount = MoneyOut(source="total_adjustment_amount")
    totalAmount = MoneyOut(source="total_amount")
    totalTaxAmount = MoneyOut(source="total_tax_amount")
    totalAmountWithTax = MoneyOut(source="total_amount_with_tax")
    balance = MoneyOut()
    changeOrderIds = ChangeOrderIdsField()
    createdDate = Date("created_at")


class SummaryInvoiceSerializer(SummaryDocumentSerializer):
    fulfillmentOrderId = IdOut(source="fulfillment_order_id", allow_null=True)


class SummaryCreditMemoSerializer(SummaryDocumentSerializer):
    """Amounts are positive: what the customer is owed back."""


class OrderSummaryDetailSerializer(OrderSummaryDetailBaseSerializer):
    """The whole current state of an order summary; amounts are rounded to its currency."""

    orderPaymentSummaries = SummaryOrderPaymentSummarySerializer(
        many=True, source="payment_summaries.all", read_only=True
    )
    invoices = SummaryInvoiceSerializer(many=True, source="invoices.all", read_only=True)
    creditMemos = SummaryCreditMemoSerializer(many=True, source="credit_memos.all", read_only=True)


class OrderSummaryDetailView(APIView):
    required_scopes = {"GET": Scope.ORDERS_READ}

    @extend_schema(
        operation_id="getOrderSummary",
        tags=["Order summaries"],
        responses={200: OrderSummaryDetailSerializer, **openapi.error_responses(401, 403, 404)},
        description="Header, roll-ups, funds position, delivery groups, items with every quantity and amount, "
        "payment summaries, fulfillment and return orders, invoices, credit memos, change history and "
        "active process exceptions. Another sales channel's summary answers 404 to a storefront key.",
    )
    def get(self, request: Request, summary_id: str) -> Response:
        summary = order_summary_with_payments(summary_id, channel_id=client_channel_id(request))
        serializer = OrderSummaryDetailSerializer(summary, context={"currency": summary.currency})
        return Response(serializer.data)
