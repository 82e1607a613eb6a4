"""While the demo loads, nothing waits for a worker.

The automation settings are off so that each story decides when an order is routed (a Created order
must stay unrouted) and runs the money steps itself, in order. Whatever a service still queues after
commit (an ensure-funds copy, a reconciliation) runs inline instead of waiting in the broker for the
worker that `make run` starts afterwards; those copies find their work done. Their "succeeded" log
lines are kept out of the output, which ends with the sign-ins a person needs to read.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.test.utils import override_settings

from config.celery import app


@contextmanager
def background_work_inline() -> Iterator[None]:
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    trace_log = logging.getLogger("celery.app.trace")
    previous_level = trace_log.level
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    trace_log.setLevel(logging.WARNING)
    try:
        with override_settings(
            OMS_AUTO_ROUTE_ORDERS=False, OMS_AUTO_INVOICE_AND_CAPTURE=False, OMS_AUTO_CREDIT_AND_REFUND=False
        ):
            yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = previous
        trace_log.setLevel(previous_level)
