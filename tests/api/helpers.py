"""Paths and small helpers shared by the API contract tests."""

import json
from decimal import Decimal

from orders.models import IdempotencyRecord, Order, OrderItem, OrderSummary
from payments.models import OrderPaymentSummary, PaymentAuthorization

INGEST = "/api/v1/commerce/orders"
SUMMARIES = "/api/v1/commerce/order-management/order-summaries"
SUMMARY_TEMPLATE = SUMMARIES + "/{summary_id}"


def summary_path(summary_id) -> str:
    return f"{SUMMARIES}/{summary_id}"


def body_of(response) -> dict:
    """The JSON body with every non-integer number as an exact Decimal (never a float)."""
    return json.loads(response.content, parse_float=Decimal)


def row_counts() -> dict[str, int]:
    """Rows an ingest would write; compared before and after a refused request."""
    return {
        model.__name__: model.objects.count()
        for model in (Order, OrderItem, OrderSummary, OrderPaymentSummary, PaymentAuthorization, IdempotencyRecord)
    }
