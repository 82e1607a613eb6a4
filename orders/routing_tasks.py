"""Automatic routing as a Celery task (DOMAIN.md §4.3): thin, takes an id, safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from orders import outbox
from orders.models import LifeCycleType, OrderSummary
from orders.services.route_summary import route_order_summary as route


# A database that went away (django.db.OperationalError) is a blip like a dropped socket: retried with
# backoff; after the last retry the outbox message stays pending and the relay brings it back.
@shared_task(
    acks_late=True,
    autoretry_for=(ConnectionError, OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def route_order_summary(order_summary_id: int) -> dict:
    outcome = route(order_summary_id)
    return {
        "fulfillmentOrderIds": [str(pk) for pk in outcome.fulfillment_order_ids],
        "unroutedDeliveryGroupSummaryIds": [str(pk) for pk in outcome.unrouted_group_ids],
    }


def schedule_routing(order_summary_id: int, *, managed: bool | None = None) -> None:
    """Record the routing of a new summary in the outbox, in the transaction that creates it (it is
    handed to the worker once that commits).

    Does nothing when OMS_AUTO_ROUTE_ORDERS is off or the summary is not MANAGED; a caller holding the
    summary says whether it is (`managed`), sparing the query.
    """
    if not settings.OMS_AUTO_ROUTE_ORDERS:
        return
    if managed is None:
        managed = OrderSummary.objects.filter(pk=order_summary_id, life_cycle_type=LifeCycleType.MANAGED).exists()
    if managed:
        outbox.enqueue(route_order_summary, order_summary_id)


def schedule_routing_of(order_summary_ids: list[int]) -> None:
    """schedule_routing(pk, managed=True) for several new managed summaries: one insert for all."""
    if settings.OMS_AUTO_ROUTE_ORDERS and order_summary_ids:
        outbox.enqueue_many(route_order_summary, [(pk,) for pk in order_summary_ids])


def schedule_rerouting(order_summary_id: int) -> None:
    """Route again what a rejection released, recorded in the outbox with the rejection
    (handed to the worker once it commits).

    Runs when OMS_AUTO_ROUTE_ORDERS is on (the summary is managed: only managed ones have fulfillment
    orders). The routing itself skips a summary on hold and raises a process exception when no
    location can take the units.
    """
    if not settings.OMS_AUTO_ROUTE_ORDERS:
        return
    outbox.enqueue(route_order_summary, order_summary_id)
