"""Sums of money are exact on every database: SQLite adds decimals as floats."""

from decimal import Decimal

import pytest

from orders.models.fields import MoneySum
from payments.funds import funds_position
from payments.models import OrderPaymentSummary
from tests.builders import worked_example

pytestmark = pytest.mark.django_db


def test_sum_of_money_is_exact():
    summary = worked_example()
    ops = OrderPaymentSummary.objects.get(order_summary=summary)
    OrderPaymentSummary.objects.filter(pk=ops.pk).update(captured_amount=Decimal("71.28"))
    OrderPaymentSummary.objects.create(
        order_summary=summary,
        method="GiftCard",
        currency="USD",
        authorization_amount=Decimal("47.52"),
        captured_amount=Decimal("47.52"),
    )
    # 71.28 + 47.52 is 118.79999999999998 in binary floating point; in money it is 118.80.
    total = OrderPaymentSummary.objects.filter(order_summary=summary).aggregate(t=MoneySum("captured_amount"))["t"]
    assert total == Decimal("118.80") and str(total) == "118.8000"
    assert funds_position(summary).net_captured == Decimal("118.80")


def test_sum_of_nothing_is_zero():
    assert OrderPaymentSummary.objects.filter(pk=-1).aggregate(t=MoneySum("captured_amount"))["t"] == 0
