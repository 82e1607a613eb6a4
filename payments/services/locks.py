"""Row locks in the one order every payment service takes them: the order summary, then its payment
summaries by id, then documents, payments and refunds by id.

Payment summaries, authorizations, payments and refunds are locked FOR NO KEY UPDATE: the gateway log
line written before each call references them, and its foreign key checks (FOR KEY SHARE) would
otherwise wait on a lock holder that waits on them in turn (a deadlock between ten captures at once).
"""

from django.db import connections, router

from orders.db import get_row, get_rows
from orders.errors import InvalidState, NotFound
from orders.models import OrderSummary
from payments.models import OrderPaymentSummary


def lock_summary(summary_id: int, *, managed: bool = True, only: tuple[str, ...] = ()) -> OrderSummary:
    """`only`: the fields the caller reads, when it needs the lock more than the row (a summary of 35 columns)."""
    summary = get_row(OrderSummary, summary_id, fields=only, lock=True)
    if summary is None:
        raise NotFound(f"Order summary {summary_id} does not exist.")
    if managed:
        check_managed(summary)
    return summary


def check_managed(summary: OrderSummary) -> None:
    if not summary.is_managed:
        raise InvalidState("This order summary is UNMANAGED: payment actions refuse it.")


def lock_payment_summaries(summary: OrderSummary) -> list[OrderPaymentSummary]:
    return get_rows(OrderPaymentSummary, where={"order_summary_id": summary.pk}, lock=True, no_key=True)


def bump_version(summary_id: int) -> None:
    """Money moved on the summary (a capture, a refund, a reversal, an invoice paid or netted): its version
    moves, as a change moves it, so a change preview made before is stale (docs/money.md, rule 8). The
    caller holds the summary's lock; one statement per transaction that moves money."""
    connection = connections[router.db_for_write(OrderSummary)]
    table = connection.ops.quote_name(OrderSummary._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET version = version + 1 WHERE id = %s", [summary_id])  # noqa: S608
