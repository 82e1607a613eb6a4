"""Routes of the money resources: documents, ensure funds/refunds, background operations, exceptions."""

from django.urls import path

from . import document_views, operation_views, poll_views, process_exception_views

SUMMARIES = "commerce/order-management/order-summaries"

urlpatterns = [
    path(
        f"{SUMMARIES}/<str:summary_id>/actions/create-credit-memo",
        document_views.CreateCreditMemoView.as_view(),
        name="api-create-credit-memo",
    ),
    path(
        f"{SUMMARIES}/actions/create-multiple-change-invoices",
        document_views.CreateMultipleChangeInvoicesView.as_view(),
        name="api-create-multiple-change-invoices",
    ),
    path(
        f"{SUMMARIES}/<str:summary_id>/async-actions/ensure-funds-async",
        operation_views.EnsureFundsView.as_view(),
        name="api-ensure-funds",
    ),
    path(
        f"{SUMMARIES}/async-actions/multiple-ensure-funds-async",
        operation_views.MultipleEnsureFundsView.as_view(),
        name="api-multiple-ensure-funds",
    ),
    path(
        f"{SUMMARIES}/<str:summary_id>/async-actions/ensure-refunds-async",
        operation_views.EnsureRefundsView.as_view(),
        name="api-ensure-refunds",
    ),
    path(
        "commerce/order-management/order-payment-summaries",
        operation_views.PaymentSummaryCreateView.as_view(),
        name="api-create-order-payment-summary",
    ),
    path(
        "commerce/fulfillment/fulfillment-orders/<str:fulfillment_order_id>/actions/create-invoice",
        document_views.CreateInvoiceView.as_view(),
        name="api-create-invoice",
    ),
    path(
        "commerce/fulfillment/fulfillment-orders/actions/create-multiple-invoices",
        document_views.CreateMultipleInvoicesView.as_view(),
        name="api-create-multiple-invoices",
    ),
    path("commerce/invoices", poll_views.InvoiceListView.as_view(), name="api-invoices"),
    path("commerce/credit-memos", poll_views.CreditMemoListView.as_view(), name="api-credit-memos"),
    path(
        "commerce/background-operations",
        poll_views.BackgroundOperationListView.as_view(),
        name="api-background-operations",
    ),
    path("commerce/invoices/<str:invoice_id>", document_views.InvoiceDetailView.as_view(), name="api-invoice"),
    path(
        "commerce/credit-memos/<str:credit_memo_id>",
        document_views.CreditMemoDetailView.as_view(),
        name="api-credit-memo",
    ),
    path(
        "commerce/background-operations/<str:operation_id>",
        operation_views.BackgroundOperationView.as_view(),
        name="api-background-operation",
    ),
    path(
        "commerce/process-exceptions",
        process_exception_views.ProcessExceptionListView.as_view(),
        name="api-process-exceptions",
    ),
    path(
        "commerce/process-exceptions/<str:exception_id>",
        process_exception_views.ProcessExceptionDetailView.as_view(),
        name="api-process-exception",
    ),
    path(
        "commerce/process-exceptions/<str:exception_id>/actions/retry",
        process_exception_views.ProcessExceptionRetryView.as_view(),
        name="api-process-exception-retry",
    ),
]
