"""Default automation hooks (DOMAIN.md §4.3) called by services once their work is written."""

from django.conf import settings
from django.utils.module_loading import import_string

from orders.models import OrderSummary
from orders.routing_tasks import schedule_routing


def order_summary_created(summary: OrderSummary) -> None:
    """Route a new managed order summary to its locations (the task checks the setting and the
    life cycle, and is queued only once the transaction commits)."""
    if summary.is_managed:
        schedule_routing(summary.pk, managed=True)


def fulfillment_order_fulfilled(fulfillment_order) -> None:
    """A fulfillment order shipped: bill it and take the money. Billing lives in the payments app,
    which orders must not import, so a setting names the hook (it queues its work after commit)."""
    import_string(settings.OMS_ON_FULFILLMENT_ORDER_FULFILLED)(fulfillment_order)


def pre_fulfillment_reduction_submitted(summary_id: int) -> None:
    """A cancel (or pre-fulfillment discount) was committed: captured funds beyond what is still owed go
    back through the payments automation (named by a setting, queued after commit)."""
    import_string(settings.OMS_ON_PRE_FULFILLMENT_REDUCTION_SUBMITTED)(summary_id)
