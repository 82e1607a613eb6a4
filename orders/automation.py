"""Default automation hooks (DOMAIN.md §4.3) called by services once their work is written."""

from orders.event_data import emit_order_summaries_created
from orders.models import OrderSummary
from orders.payments_link import payments_link
from orders.routing_tasks import schedule_routing_of
from orders.services.holds import apply_hold_rules, load_hold_rules


def order_summary_created(summary: OrderSummary) -> None:
    """Put a new order summary on hold when a hold rule says so (issue 16), then route it when
    managed (the task checks the setting, the life cycle and the hold, and is queued only once the
    transaction commits)."""
    order_summaries_created([summary])


def order_summaries_created(summaries: list[OrderSummary]) -> None:
    """The same for several new summaries (a batch ingest): the hold rules are read once for all."""
    rules = load_hold_rules()
    emit_order_summaries_created(summaries)
    for summary in summaries:
        apply_hold_rules(summary, rules)
    # Routing, recorded in the outbox: one insert for the managed ones (a batch's hundred at once).
    schedule_routing_of([summary.pk for summary in summaries if summary.is_managed])


def fulfillment_order_fulfilled(fulfillment_order) -> None:
    """A fulfillment order shipped: bill it and take the money. Billing lives in the payments app,
    which orders must not import: the payments link carries the call (it queues its work after commit)."""
    payments_link().fulfillment_order_fulfilled(fulfillment_order)


def order_summary_changed(summary_id: int) -> None:
    """A change order was written (cancel, return, adjust): the payments app settles what follows (a full
    cancel releases the authorizations) through the payments link, after the commit."""
    payments_link().order_summary_changed(summary_id)
