"""Default automation hooks (DOMAIN.md §4.3) called by services once their work is committed."""

from django.conf import settings

from orders.models import OrderSummary


def order_summary_created(summary: OrderSummary) -> None:
    """Route a new managed order summary to its locations, when automatic routing is on."""
    if not (settings.OMS_AUTO_ROUTE_ORDERS and summary.is_managed):
        return
    schedule = _routing_scheduler()
    if schedule is not None:
        schedule(summary.pk)


def _routing_scheduler():
    try:
        from orders.routing_tasks import schedule_routing
    except ImportError:
        return None
    return schedule_routing
