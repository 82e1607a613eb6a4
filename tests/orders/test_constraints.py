"""The database itself refuses rows that break the quantity and money invariants (DOMAIN.md §1).

Each case is a raw UPDATE that bypasses every service and breaks exactly one CheckConstraint (where one
can be broken alone); the error must name it. Runs on SQLite and on PostgreSQL (set DATABASE_URL).
"""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from orders.models import OrderItemSummary, OrderSummary
from payments.models import OrderPaymentSummary
from tests.builders import items_by_sku, worked_example

pytestmark = pytest.mark.django_db

D = Decimal

# Item A of the §6 order: ordered 2, nothing else; line 80.00, tax 6.40, no discount.
OIS_CASES = [
    ("ois_canceled_allocated_not_negative", {"quantity_canceled": D("-1")}),
    # 1 canceled + 2 allocated = 3 > 2 ordered
    ("ois_canceled_plus_allocated_within_ordered", {"quantity_canceled": D("1"), "quantity_allocated": D("2")}),
    ("ois_canceled_plus_allocated_within_ordered", {"quantity_ordered": D("1"), "quantity_allocated": D("2")}),
    # shipped 1 of 0 allocated
    ("ois_fulfilled_within_allocated", {"quantity_fulfilled": D("1")}),
    # 1 returned of 0 initiated
    (
        "ois_returned_within_initiated_within_fulfilled",
        {"quantity_allocated": D("1"), "quantity_fulfilled": D("1"), "quantity_returned": D("1")},
    ),
    # 2 expected back of 1 shipped
    (
        "ois_returned_within_initiated_within_fulfilled",
        {"quantity_allocated": D("1"), "quantity_fulfilled": D("1"), "quantity_return_initiated": D("2")},
    ),
    ("ois_line_amounts_not_negative", {"total_line_tax_amount": D("-0.01")}),
    ("ois_adjustments_not_positive", {"total_adjustment_amount": D("5.00")}),
    ("ois_adjustments_not_positive", {"total_adjustment_tax_amount": D("0.40")}),
    # 80.00 − 100.00 = −20.00 total price
    ("ois_total_price_not_negative", {"total_adjustment_amount": D("-100.00")}),
]

# The Visa payment summary of the §6 order: authorized 118.80, nothing else.
OPS_CASES = [
    ("ops_amounts_not_negative", {"refunded_amount": D("-1.00")}),
    ("ops_amounts_not_negative", {"authorization_reversal_amount": D("-1.00")}),
    # 200.00 captured of 118.80 authorized
    ("ops_captured_within_authorized", {"captured_amount": D("200.00")}),
    # 100.00 + 20.00 pending + 0.00 reversed = 120.00 > 118.80
    ("ops_captured_within_authorized", {"captured_amount": D("100.00"), "pending_capture_amount": D("20.00")}),
    # 0.00 refunded + 20.00 pending of 10.00 captured
    ("ops_refunded_within_captured", {"captured_amount": D("10.00"), "pending_refund_amount": D("20.00")}),
    # 20.00 unapplied of 10.00 captured
    ("ops_balance_within_net_captured", {"captured_amount": D("10.00"), "balance_amount": D("20.00")}),
    # 10.00 captured − 5.00 refunded leaves 5.00, not 6.00
    (
        "ops_balance_within_net_captured",
        {"captured_amount": D("10.00"), "refunded_amount": D("5.00"), "balance_amount": D("6.00")},
    ),
]


def assert_refused(queryset, changes, constraint):
    with transaction.atomic(), pytest.raises(IntegrityError) as refused:
        queryset.update(**changes)
    assert constraint in str(refused.value)


@pytest.mark.parametrize(("constraint", "changes"), OIS_CASES, ids=[f"{c}-{sorted(ch)}" for c, ch in OIS_CASES])
def test_item_summary_constraints(constraint, changes):
    a = items_by_sku(worked_example())["A"]
    assert_refused(OrderItemSummary.objects.filter(pk=a.pk), changes, constraint)
    a.refresh_from_db()
    assert (a.quantity_ordered, a.quantity_canceled, a.total_line_amount) == (2, 0, D("80.00"))


def test_item_summary_ordered_cannot_be_negative():
    # A negative ordered quantity always breaks "canceled + allocated ≤ ordered" as well; either may be named.
    a = items_by_sku(worked_example())["A"]
    with transaction.atomic(), pytest.raises(IntegrityError) as refused:
        OrderItemSummary.objects.filter(pk=a.pk).update(quantity_ordered=D("-1"))
    assert "ois_ordered_not_negative" in str(refused.value) or "ois_canceled_plus_allocated" in str(refused.value)


def test_item_summary_accepts_a_consistent_life():
    a = items_by_sku(worked_example())["A"]
    # 2 ordered, allocated and shipped; 1 expected back and returned; 10.00 off with 0.80 tax off.
    OrderItemSummary.objects.filter(pk=a.pk).update(
        quantity_allocated=D("2"),
        quantity_fulfilled=D("2"),
        quantity_return_initiated=D("1"),
        quantity_returned=D("1"),
        total_adjustment_amount=D("-10.00"),
        total_adjustment_tax_amount=D("-0.80"),
    )
    a.refresh_from_db()
    assert (a.quantity, a.quantity_available_to_return, a.total_price) == (1, 1, D("70.00"))


@pytest.mark.parametrize(("constraint", "changes"), OPS_CASES, ids=[f"{c}-{sorted(ch)}" for c, ch in OPS_CASES])
def test_payment_summary_constraints(constraint, changes):
    summary = worked_example()
    assert_refused(OrderPaymentSummary.objects.filter(order_summary=summary), changes, constraint)
    ops = OrderPaymentSummary.objects.get(order_summary=summary)
    assert (ops.authorization_amount, ops.captured_amount) == (D("118.80"), 0)


def test_payment_summary_accepts_consistent_money():
    summary = worked_example()
    # Captured 100.00 of 118.80, 18.80 reversed; 30.00 refunded, 10.00 pending; 60.00 unapplied ≤ 100 − 30.
    OrderPaymentSummary.objects.filter(order_summary=summary).update(
        captured_amount=D("100.00"),
        authorization_reversal_amount=D("18.80"),
        refunded_amount=D("30.00"),
        pending_refund_amount=D("10.00"),
        balance_amount=D("60.00"),
    )
    ops = OrderPaymentSummary.objects.get(order_summary=summary)
    # max(0, 118.80 − 100.00 − 0 − 18.80) = 0; 100.00 − 30.00 − 10.00 = 60.00
    assert (ops.available_to_capture_amount, ops.available_to_refund_amount) == (0, D("60.00"))


@pytest.mark.parametrize("field", ["total_amount", "total_tax_amount", "grand_total_amount"])
def test_order_summary_totals_cannot_go_negative(field):
    summary = worked_example()
    assert_refused(OrderSummary.objects.filter(pk=summary.pk), {field: D("-0.01")}, "os_totals_not_negative")
