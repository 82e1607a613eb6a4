"""The order summary detail with its money records: the orders side's query plus payments' prefetches."""

from django.db.models import Prefetch

from orders.models import OrderSummary
from orders.selectors.summaries import order_summary_detail, order_summary_detail_queryset
from payments.models import CreditMemo, Invoice, OrderPaymentSummary, PaymentGatewayLog


def order_summary_with_payments(summary_id: int | str, *, channel_id: int | None) -> OrderSummary:
    """orders.selectors.summaries.order_summary_detail, plus payment summaries (with their authorizations,
    payments, refunds and gateway calls), invoices and credit memos; a fixed number of queries."""
    queryset = order_summary_detail_queryset().prefetch_related(
        Prefetch(
            "payment_summaries",
            queryset=OrderPaymentSummary.objects.prefetch_related(
                "authorizations",
                "payments",
                "refunds",
                # The detail shows each call's outcome, not the request and response bodies kept for audits.
                Prefetch("gateway_logs", queryset=PaymentGatewayLog.objects.defer("request_body", "response_body")),
            ),
        ),
        Prefetch("invoices", queryset=Invoice.objects.prefetch_related("change_order_links")),
        Prefetch("credit_memos", queryset=CreditMemo.objects.prefetch_related("change_order_links")),
    )
    return order_summary_detail(summary_id, channel_id=channel_id, queryset=queryset)
