"""Input and output of the money resources, keyed by Salesforce field names in lowerCamelCase."""

from typing import Any

from rest_framework import serializers

from orders.api.strict import StrictSerializer
from orders.models import ProcessException
from payments.models import CreditMemo, Invoice

from .fields import AmountIn, Date, Id, IdList, Money, Text


class DocumentLineSerializer(serializers.Serializer[Any]):
    id = Id()
    orderItemSummaryId = Id(source="order_item_summary_id")
    referenceEntityItemId = Id(source="order_item_summary_id")
    type = Text()
    name = Text()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=False, read_only=True)
    chargeAmount = Money(source="charge_amount")
    adjustmentAmount = Money(source="adjustment_amount")
    taxAmount = Money(source="tax_amount")
    lineAmount = Money(source="total_amount")
    totalAmountWithTax = Money(source="total_amount_with_tax")


class DocumentSerializer(serializers.Serializer[Any]):
    id = Id()
    documentNumber = Text("number")
    orderSummaryId = Id(source="order_summary_id")
    status = Text()
    currencyIsoCode = Text("currency")
    totalChargeAmount = Money(source="total_charge_amount")
    totalAdjustmentAmount = Money(source="total_adjustment_amount")
    totalAmount = Money(source="total_amount")
    totalTaxAmount = Money(source="total_tax_amount")
    totalAmountWithTax = Money(source="total_amount_with_tax")
    balance = Money()
    createdDate = Date("created_at")
    lastModifiedDate = Date("last_modified")
    changeOrderIds = serializers.SerializerMethodField()
    lines = DocumentLineSerializer(many=True, read_only=True)

    def get_changeOrderIds(self, document: Invoice | CreditMemo) -> list[str]:
        return [str(link.change_order_id) for link in document.change_order_links.all()]


class InvoiceSerializer(DocumentSerializer):
    fulfillmentOrderId = Id(source="fulfillment_order_id", allow_null=True)
    referenceEntityId = serializers.SerializerMethodField()

    def get_referenceEntityId(self, invoice: Invoice) -> str:
        return str(invoice.fulfillment_order_id or invoice.order_summary_id)


class CreditMemoSerializer(DocumentSerializer):
    pass


class BackgroundOperationSerializer(serializers.Serializer[Any]):
    id = Id()
    type = Text()
    status = Text()
    orderSummaryId = Id(source="order_summary_id")
    input = serializers.JSONField(read_only=True)
    result = serializers.JSONField(read_only=True)
    error = serializers.JSONField(read_only=True)
    retryCount = serializers.IntegerField(source="retry_count", read_only=True)
    submittedAt = Date("submitted_at")
    startedAt = Date("started_at", allow_null=True)
    finishedAt = Date("finished_at", allow_null=True)
    lastModifiedDate = Date("last_modified")


class ProcessExceptionSerializer(serializers.Serializer[Any]):
    id = Id()
    orderSummaryId = Id(source="order_summary_id")
    attachedToId = Text("attached_to_id")
    attachedToType = serializers.SerializerMethodField()
    category = Text()
    severity = Text()
    priority = Text()
    status = Text()
    message = Text()
    description = Text()
    createdDate = Date("created_at")
    lastModifiedDate = Date("updated_at")

    def get_attachedToType(self, exception: ProcessException) -> str | None:
        kind = exception.attached_to_type
        model = kind.model_class() if kind else None
        return model.__name__ if model else None


# --- inputs -------------------------------------------------------------------------------------


class SequenceIn(StrictSerializer):
    orderPaymentSummaryId = serializers.CharField(max_length=40)
    amount = AmountIn(required=False, default=0)


class EnsureFundsIn(StrictSerializer):
    invoiceId = serializers.CharField(max_length=40)
    isAllowPartial = serializers.BooleanField(required=False, default=False)
    sequences = SequenceIn(many=True, required=False, default=list)


class EnsureRefundsIn(StrictSerializer):
    creditMemoId = serializers.CharField(max_length=40, required=False, allow_null=True, allow_blank=True)
    excessFundsAmount = AmountIn(required=False, allow_null=True)
    invoicesToPay = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField(max_length=40)), required=False, default=list
    )
    isAllowPartial = serializers.BooleanField(required=False, default=False)
    sequences = SequenceIn(many=True, required=False, default=list)

    def validate_invoicesToPay(self, value: list[dict[str, Any]]) -> list[str]:
        ids = []
        for index, entry in enumerate(value):
            if "invoiceId" not in entry:
                # Keyed by the entry's position, as DRF keys the errors of a list.
                raise serializers.ValidationError({index: {"invoiceId": ["This field is required."]}})  # type: ignore[dict-item]
            ids.append(entry["invoiceId"])
        return ids


class MultipleEnsureFundsEntryIn(StrictSerializer):
    orderSummaryId = serializers.CharField(max_length=40)
    invoiceId = serializers.CharField(max_length=40)


class MultipleEnsureFundsIn(StrictSerializer):
    # many=True hands max_length to the ListSerializer (DRF 3.14), which the stubs do not list.
    asyncInputs = MultipleEnsureFundsEntryIn(many=True, allow_empty=False, max_length=100)  # type: ignore[call-arg]


class CreditMemoIn(StrictSerializer):
    changeOrderIds = IdList(allow_empty=False, max_length=100)


class ChangeInvoiceEntryIn(StrictSerializer):
    orderSummaryId = serializers.CharField(max_length=40)
    changeOrderIds = IdList(allow_empty=False, max_length=100)


class MultipleChangeInvoicesIn(StrictSerializer):
    invoicesFromChangeOrders = ChangeInvoiceEntryIn(many=True, allow_empty=False, max_length=100)  # type: ignore[call-arg]  # as asyncInputs


class MultipleInvoicesIn(StrictSerializer):
    fulfillmentOrderIds = IdList(allow_empty=False, max_length=100)


class PaymentSummaryIn(StrictSerializer):
    orderSummaryId = serializers.CharField(max_length=40)
    paymentAuthorizationId = serializers.CharField(max_length=40, required=False)
    paymentIds = IdList(required=False, allow_empty=False, max_length=100)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("paymentAuthorizationId" in attrs) == ("paymentIds" in attrs):
            raise serializers.ValidationError("Give either paymentAuthorizationId or paymentIds.")
        return attrs


class ProcessExceptionPatchIn(StrictSerializer):
    status = serializers.CharField(max_length=10)


class ProcessExceptionListParams(serializers.Serializer[Any]):
    status = serializers.CharField(required=False, max_length=10)
    orderSummaryId = serializers.CharField(required=False, max_length=40)
    category = serializers.CharField(required=False, max_length=20)
    cursor = serializers.CharField(required=False, max_length=200)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)


# --- action outputs (for the schema) ------------------------------------------------------------


class ErrorOut(serializers.Serializer[Any]):
    errorCode = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)


class ActionOut(serializers.Serializer[Any]):
    success = serializers.BooleanField()
    # The answer's field, documented for the schema; it shadows Serializer.errors, never called on an output.
    errors = ErrorOut(many=True)  # type: ignore[assignment]


class CreditMemoIdOut(ActionOut):
    creditMemoId = serializers.CharField()


class InvoiceIdOut(ActionOut):
    invoiceId = serializers.CharField()


class InvoiceIdsOut(ActionOut):
    invoiceIds = serializers.ListField(child=serializers.CharField())


class ChangeInvoiceResultOut(ActionOut):
    orderSummaryId = serializers.CharField()
    invoiceId = serializers.CharField(allow_null=True)


class ChangeInvoicesOut(ActionOut):
    invoices = ChangeInvoiceResultOut(many=True)


class OperationIdOut(ActionOut):
    backgroundOperationId = serializers.CharField()


class RetryOut(ActionOut):
    backgroundOperationId = serializers.CharField(
        allow_null=True, help_text="The payment step run again; null when the retry routed or invoiced."
    )
    retryKind = serializers.ChoiceField(choices=["payment", "route", "bill"])
    processExceptionStatus = serializers.CharField()
    message = serializers.CharField()
    fulfillmentOrderIds = serializers.ListField(child=serializers.CharField())
    invoiceId = serializers.CharField(allow_null=True)


class OperationIdsOut(ActionOut):
    backgroundOperationIds = serializers.ListField(child=serializers.CharField())


class PaymentSummaryIdOut(ActionOut):
    orderPaymentSummaryId = serializers.CharField()


class ProcessExceptionPageOut(serializers.Serializer[Any]):
    processExceptions = ProcessExceptionSerializer(many=True)
    nextCursor = serializers.CharField(allow_null=True)
