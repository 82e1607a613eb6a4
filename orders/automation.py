"""Default automation hooks (DOMAIN.md §4.3) called by services once their work is written."""

from orders.models import OrderSummary
from orders.routing_tasks import schedule_routing


def order_summary_created(summary: OrderSummary) -> None:
    """Route a new managed order summary to its locations (the task checks the setting and the
    life cycle, and is queued only once the transaction commits)."""
    if summary.is_managed:
        schedule_routing(summary.pk)
