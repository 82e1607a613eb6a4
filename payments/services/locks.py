"""Row locks in the one order every payment service takes them: the order summary, then its payment
summaries by id, then documents, payments and refunds by id.

Payment summaries, authorizations, payments and refunds are locked FOR NO KEY UPDATE: the gateway log
line written before each call references them, and its foreign key checks (FOR KEY SHARE) would
otherwise wait on a lock holder that waits on them in turn (a deadlock between ten captures at once).
"""

from orders.errors import InvalidState, NotFound
from orders.models import OrderSummary
from payments.models import OrderPaymentSummary


def lock_summary(summary_id, *, managed: bool = True) -> OrderSummary:
    summary = OrderSummary.objects.select_for_update().filter(pk=summary_id).first()
    if summary is None:
        raise NotFound(f"Order summary {summary_id} does not exist.")
    if managed and not summary.is_managed:
        raise InvalidState("This order summary is UNMANAGED: payment actions refuse it.")
    return summary


def lock_payment_summaries(summary: OrderSummary) -> list[OrderPaymentSummary]:
    return list(
        OrderPaymentSummary.objects.select_for_update(no_key=True).filter(order_summary=summary).order_by("id")
    )
