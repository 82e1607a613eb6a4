"""Issue 14, point 6: retries of one process exception at the same moment create one operation.

Real threads on PostgreSQL, each with its own connection, released together by a barrier: the retry
locks the order summary and then the exception, so one retry creates the background operation and
resolves the exception; every other one waits for it, finds the exception resolved and answers 409.
"""

import pytest

from orders.models import ApiClient, OrderSummary, ProcessException
from payments.models import BackgroundOperation
from payments.services import operation_queue
from payments.services.operation_retry import retry_payment_exception
from tests.console.test_exceptions import failed_refund
from tests.reliability.helpers import error_codes, key_client, run_together, statuses

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RETRIES = 8


@pytest.fixture(autouse=True)
def nothing_runs_behind_the_test(settings, monkeypatch):
    settings.OMS_AUTO_ROUTE_ORDERS = False
    settings.OMS_AUTO_INVOICE_AND_CAPTURE = False
    settings.OMS_AUTO_CREDIT_AND_REFUND = False
    monkeypatch.setattr(operation_queue, "enqueue", lambda operation_id: None)


def test_concurrent_api_retries_of_one_exception_create_one_operation():
    summary, failed, exception = failed_refund()
    raw_key = ApiClient.issue(name="ops", scopes=["payments:write"])[1]
    path = f"/api/v1/commerce/process-exceptions/{exception.pk}/actions/retry"

    outcomes = run_together(lambda _: key_client(raw_key).post(path), RETRIES)

    codes = statuses(outcomes)
    assert sorted(codes) == [202] + [409] * (RETRIES - 1), codes
    assert {frozenset(error_codes(o)) for o in outcomes if o.status_code == 409} == {frozenset({"INVALID_STATE"})}
    retried = BackgroundOperation.objects.get(retry_of=failed)
    accepted = next(o for o in outcomes if o.status_code == 202)
    assert accepted.json()["backgroundOperationId"] == str(retried.pk)
    assert ProcessException.objects.get(pk=exception.pk).status == "Resolved"
    assert OrderSummary.objects.get(pk=summary.pk).active_process_exception_count == 0


def test_concurrent_retries_through_the_service_create_one_operation():
    """The console's retry button calls this service, as the API does."""
    _summary, failed, exception = failed_refund()

    def retry(index):
        return retry_payment_exception(exception.pk)

    outcomes = run_together(retry, RETRIES)

    operations = [o for o in outcomes if isinstance(o, BackgroundOperation)]
    refusals = [o for o in outcomes if not isinstance(o, BackgroundOperation)]
    assert len(operations) == 1, outcomes
    assert {type(o).__name__ for o in refusals} == {"InvalidState"}
    assert {str(o.message) for o in refusals} == {"This exception is Resolved; only an active one can be retried."}
    assert list(BackgroundOperation.objects.filter(retry_of=failed).values_list("pk", flat=True)) == [operations[0].pk]
