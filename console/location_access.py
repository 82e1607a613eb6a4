"""Who may work which location's queue (issue 16): the Fulfillment role, limited to its assignments.

A user with `work_location_queue` works the queues of the locations assigned to them (LocationAssignment,
edited in the admin); a supervisor (`manage_fulfillment`) or a superuser works every location's. A
Fulfillment user without the console permission sees the order pages of the orders their locations
fulfil, and gets 403 anywhere else.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django_htmx.http import HttpResponseClientRedirect

from console.access import MANAGE_FULFILLMENT, USE_CONSOLE, WORK_LOCATION_QUEUE, read_permissions_once
from console.models import LocationAssignment
from orders.models import FulfillmentOrder


def _login(request):
    next_url = (request.htmx and request.htmx.current_url_abs_path) or request.get_full_path()
    response = redirect_to_login(next_url)
    return HttpResponseClientRedirect(response.url) if request.htmx else response


def works_every_location(user) -> bool:
    return user.is_superuser or user.has_perm(MANAGE_FULFILLMENT)


def assigned_location_ids(user) -> set[int] | None:
    """The locations whose queues the user works; None: every location."""
    if works_every_location(user):
        return None
    return set(LocationAssignment.objects.filter(user=user).values_list("location_id", flat=True))


def may_work_location(user, location_id: int) -> bool:
    allowed = assigned_location_ids(user)
    return allowed is None or location_id in allowed


def location_view(view):
    """Signed in with `work_location_queue`; a `location_pk` argument must be one of the user's locations."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _login(request)
        read_permissions_once(request.user)
        if not request.user.has_perm(WORK_LOCATION_QUEUE):
            raise PermissionDenied
        if "location_pk" in kwargs and not may_work_location(request.user, kwargs["location_pk"]):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.required_permissions = (WORK_LOCATION_QUEUE,)
    return wrapper


def may_see_order(user, summary_id: int) -> bool:
    """The console user sees every order; a Fulfillment user those with a fulfillment order at their locations."""
    read_permissions_once(user)
    if user.has_perm(USE_CONSOLE):
        return True
    if not user.has_perm(WORK_LOCATION_QUEUE):
        return False
    # Without the console permission only assignments count (a superuser has every permission).
    return FulfillmentOrder.objects.filter(order_summary_id=summary_id, location__assignments__user=user).exists()


def order_view(view):
    """The order page: the console permission, or a Fulfillment user whose locations fulfil the order."""

    @wraps(view)
    def wrapper(request, pk, *args, **kwargs):
        if not request.user.is_authenticated:
            return _login(request)
        if not may_see_order(request.user, pk):
            raise PermissionDenied
        return view(request, pk, *args, **kwargs)

    wrapper.required_permissions = (USE_CONSOLE,)
    return wrapper
