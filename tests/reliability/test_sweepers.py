"""Issue 14, point 2: what was promised and never done is picked up by the sweepers, or raises a process
exception a person sees. Records are made "stuck" the way they got stuck before the outbox: their
follow-up was never recorded (automation off at the time) or its message is gone; then they are aged."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from orders import outbox
from orders.models import (
    FulfillmentOrder,
    OrderSummary,
    OutboxMessage,
    OutboxStatus,
    ProcessException,
    ProcessExceptionCategory,
)
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.sweepers import ROUTING_TASK, sweep_unrouted_summaries
from payments.models import BackgroundOperation, Invoice, OrderPaymentSummary
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.operation_input import EnsureFundsInput
from payments.sweepers import INVOICE_AND_CAPTURE, sweep_stuck_operations, sweep_unbilled_fulfillment_orders
from tests.builders import items_by_sku, worked_example
from tests.fulfillment.helpers import make_location, place, stock
from tests.payments.money_builders import invoice_everything

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sweep_settings(settings):
    settings.OMS_SWEEP_AFTER_SECONDS = 600
    settings.OMS_SWEEP_LOOKBACK_DAYS = 7


def age(model, pk, minutes, field="created_at"):
    model.objects.filter(pk=pk).update(**{field: timezone.now() - timedelta(minutes=minutes)})


def warehouse():
    location = make_location("WH-S", latitude="41.88", longitude="-87.62")
    stock("WH-S", A=5, B=5)
    return location


def test_a_managed_summary_never_routed_is_routed_by_the_sweep_once(settings, django_capture_on_commit_callbacks):
    warehouse()
    stuck, fresh = worked_example(), worked_example()  # ingested with routing off: nothing promised
    age(OrderSummary, stuck.pk, 20)
    settings.OMS_AUTO_ROUTE_ORDERS = True

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_unrouted_summaries() == {"requeued": 1, "exceptions": 0}
    # Routed: A 2 + B 1 (and the delivery charge) placed at the one warehouse; the fresh summary
    # (seconds old) is left alone.
    (order,) = FulfillmentOrder.objects.filter(order_summary=stuck)
    assert sorted((line.sku, line.quantity) for line in order.lines.all()) == [
        ("A", 2),
        ("B", 1),
        ("DELIVERY-GROUND", 1),
    ]
    assert not FulfillmentOrder.objects.filter(order_summary=fresh).exists()
    assert OutboxMessage.objects.get(task_name=ROUTING_TASK).status == OutboxStatus.DONE

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_unrouted_summaries() == {"requeued": 0, "exceptions": 0}
    assert FulfillmentOrder.objects.filter(order_summary=stuck).count() == 1


def test_a_summary_whose_routing_is_pending_or_blocked_is_not_routed_again(settings):
    waiting, unroutable = worked_example(), worked_example()
    for summary in (waiting, unroutable):
        age(OrderSummary, summary.pk, 20)
    settings.OMS_AUTO_ROUTE_ORDERS = True
    outbox.enqueue(ROUTING_TASK, waiting.pk)  # its message waits for the broker
    ProcessException.objects.create(
        order_summary=unroutable,
        category=ProcessExceptionCategory.FULFILLMENT,
        severity="High",
        priority="High",
        message="No location set can ship this.",
    )
    assert sweep_unrouted_summaries() == {"requeued": 0, "exceptions": 0}
    assert OutboxMessage.objects.count() == 1


def test_a_routing_that_failed_for_good_raises_one_fulfillment_exception(settings):
    summary = worked_example()
    age(OrderSummary, summary.pk, 20)
    settings.OMS_AUTO_ROUTE_ORDERS = True
    OutboxMessage.objects.create(
        task_name=ROUTING_TASK,
        args=[summary.pk],
        status=OutboxStatus.FAILED,
        done_at=timezone.now(),
        next_attempt_at=timezone.now(),
        last_error="OperationalError: the database went away",
    )
    assert sweep_unrouted_summaries() == {"requeued": 0, "exceptions": 1}
    assert sweep_unrouted_summaries() == {"requeued": 0, "exceptions": 0}
    exception = ProcessException.objects.get(order_summary=summary)
    assert exception.category == ProcessExceptionCategory.FULFILLMENT
    assert exception.message == "Automatic routing did not finish: route this order by hand."
    assert "the database went away" in exception.description
    assert OrderSummary.objects.get(pk=summary.pk).active_process_exception_count == 1


def test_routing_switched_off_sweeps_nothing(settings):
    summary = worked_example()
    age(OrderSummary, summary.pk, 20)
    settings.OMS_AUTO_ROUTE_ORDERS = False
    assert sweep_unrouted_summaries() == {"requeued": 0, "exceptions": 0}


def test_background_operations_new_or_running_past_the_deadline_are_run_again_and_finish(
    django_capture_on_commit_callbacks,
):
    summary = worked_example()
    invoice = invoice_everything(summary)
    # Submitted before the outbox: its message is gone (here: never published, then purged).
    operation = submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk))
    OutboxMessage.objects.all().delete()
    age(BackgroundOperation, operation.pk, 30, field="submitted_at")
    recent = submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk))
    OutboxMessage.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_stuck_operations() == 1
    operation.refresh_from_db()
    assert operation.status == "Complete"
    assert operation.result["success"] is True
    assert Invoice.objects.get(pk=invoice.pk).balance == 0
    assert OrderPaymentSummary.objects.get(order_summary=summary).captured_amount == D("118.80")
    assert BackgroundOperation.objects.get(pk=recent.pk).status == "New"  # 0 minutes old: not stuck yet


def test_a_running_operation_whose_worker_died_is_finished_by_the_sweep(django_capture_on_commit_callbacks):
    summary = worked_example()
    invoice = invoice_everything(summary)
    operation = submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk))
    OutboxMessage.objects.all().delete()
    BackgroundOperation.objects.filter(pk=operation.pk).update(
        status="Running", started_at=timezone.now() - timedelta(minutes=30)
    )
    pending_elsewhere = submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk))
    # Old, but its message is still pending: left to it.
    age(BackgroundOperation, pending_elsewhere.pk, 30, field="submitted_at")

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_stuck_operations() == 1
    operation.refresh_from_db()
    assert (operation.status, operation.retry_count) == ("Complete", 1)
    assert OrderPaymentSummary.objects.get(order_summary=summary).captured_amount == D("118.80")
    assert BackgroundOperation.objects.get(pk=pending_elsewhere.pk).status == "New"


def shipped_unbilled(settings, minutes_ago=30):
    settings.OMS_AUTO_INVOICE_AND_CAPTURE = False
    summary = worked_example()
    location = warehouse()
    items = items_by_sku(summary)
    (order,) = place(summary, (location, [(items["A"], 2), (items["B"], 1)]))
    change_fulfillment_order_status(order.pk, "Fulfilled")
    age(FulfillmentOrder, order.pk, minutes_ago, field="fulfilled_at")
    settings.OMS_AUTO_INVOICE_AND_CAPTURE = True
    return summary, order


def test_a_fulfilled_order_never_invoiced_is_invoiced_and_captured_once(settings, django_capture_on_commit_callbacks):
    summary, order = shipped_unbilled(settings)
    assert not Invoice.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_unbilled_fulfillment_orders() == {"requeued": 1, "exceptions": 0}
    invoice = Invoice.objects.get(fulfillment_order=order)
    # 80.00 + 20.00 + 10.00 delivery, 8.80 tax = 118.80, paid by capturing the authorization.
    assert (invoice.total_amount_with_tax, invoice.balance) == (D("118.80"), 0)
    assert OrderPaymentSummary.objects.get(order_summary=summary).captured_amount == D("118.80")

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_unbilled_fulfillment_orders() == {"requeued": 0, "exceptions": 0}
    assert Invoice.objects.count() == 1
    assert BackgroundOperation.objects.count() == 1


def test_billing_that_failed_for_good_raises_one_invoicing_exception(settings):
    summary, order = shipped_unbilled(settings)
    OutboxMessage.objects.create(
        task_name=INVOICE_AND_CAPTURE,
        args=[order.pk, summary.pk],
        status=OutboxStatus.FAILED,
        done_at=timezone.now(),
        next_attempt_at=timezone.now(),
        last_error="RuntimeError: boom",
    )
    assert sweep_unbilled_fulfillment_orders() == {"requeued": 0, "exceptions": 1}
    assert sweep_unbilled_fulfillment_orders() == {"requeued": 0, "exceptions": 0}
    exception = ProcessException.objects.get(order_summary=summary)
    assert exception.category == ProcessExceptionCategory.INVOICING
    assert "RuntimeError: boom" in exception.description
    assert not Invoice.objects.exists()


def test_a_recently_fulfilled_order_is_left_to_its_own_follow_up(settings):
    shipped_unbilled(settings, minutes_ago=2)
    assert sweep_unbilled_fulfillment_orders() == {"requeued": 0, "exceptions": 0}
