"""set_process_exception_status: the new status is saved and the summary counts New + Triaged ones."""

import pytest

from orders.errors import InvalidInput, NotFound
from orders.models import OrderSummary, ProcessException, ProcessExceptionCategory
from orders.services.process_exception_status import set_process_exception_status
from tests.support.order_records import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def summary_with_three_exceptions():
    summary = make_order("PE-1")  # comes with one New payment exception
    for message in ("No stock", "Address unknown"):
        ProcessException.objects.create(
            order_summary=summary, category=ProcessExceptionCategory.FULFILLMENT, message=message
        )
    OrderSummary.objects.filter(pk=summary.pk).update(active_process_exception_count=3)
    return summary


def active_count(summary):
    return OrderSummary.objects.get(pk=summary.pk).active_process_exception_count


@pytest.mark.parametrize(
    ("status", "expected_active"),
    [
        ("Triaged", 3),  # Triaged is still active: 3
        ("Paused", 2),  # 3 − 1
        ("Ignored", 2),
        ("Voided", 2),
        ("Resolved", 2),
    ],
)
def test_status_change_recounts_active_exceptions(summary_with_three_exceptions, status, expected_active):
    exception = ProcessException.objects.get(message="No stock")
    updated = set_process_exception_status(exception.pk, status)
    assert updated.status == status
    assert ProcessException.objects.get(pk=exception.pk).status == status
    assert active_count(summary_with_three_exceptions) == expected_active


def test_reopening_a_resolved_exception_counts_it_again(summary_with_three_exceptions):
    exception = ProcessException.objects.get(message="No stock")
    set_process_exception_status(exception.pk, "Resolved")
    set_process_exception_status(exception.pk, "New")
    # 3 − 1 + 1 = 3
    assert active_count(summary_with_three_exceptions) == 3


def test_unknown_status_is_refused_and_nothing_changes(summary_with_three_exceptions):
    exception = ProcessException.objects.get(message="No stock")
    with pytest.raises(InvalidInput) as error:
        set_process_exception_status(exception.pk, "Closed")
    assert error.value.errors[0].field == "status"
    assert ProcessException.objects.get(pk=exception.pk).status == "New"
    assert active_count(summary_with_three_exceptions) == 3


def test_missing_exception_is_not_found(db):
    with pytest.raises(NotFound):
        set_process_exception_status(987654, "Resolved")
