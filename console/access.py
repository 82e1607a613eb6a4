"""Who may open a console page: signed in, with the console permission, plus the page's own."""

from functools import wraps

from django.contrib.auth.models import Permission
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRedirect

USE_CONSOLE = "console.use_console"
CHANGE_ORDERS = "console.change_orders"
APPROVE_REFUNDS = "console.approve_refunds"
WORK_EXCEPTION_QUEUE = "console.work_exception_queue"
MANAGE_FULFILLMENT = "console.manage_fulfillment"
WORK_LOCATION_QUEUE = "console.work_location_queue"


def console_view(*permissions: str):
    """Anonymous users go to the sign-in page (htmx requests are told to load it whole);
    a signed-in user without a permission gets the 403 page."""
    required = (USE_CONSOLE, *permissions)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                next_url = (request.htmx and request.htmx.current_url_abs_path) or request.get_full_path()
                login_response = redirect_to_login(next_url)
                if request.htmx:
                    # A swap of the sign-in form into a table cell would help nobody.
                    return HttpResponseClientRedirect(login_response.url)
                return login_response
            read_permissions_once(request.user)
            if not request.user.has_perms(required):
                if _is_home(request) and request.user.has_perm(WORK_LOCATION_QUEUE):
                    return redirect("console:locations")  # a Fulfillment user's home is their work queue
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_permissions = required
        return wrapper

    return decorator


def _is_home(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name == "console:search" and request.method == "GET"


def read_permissions_once(user) -> None:
    """The user's permissions, direct and through groups, in one query instead of ModelBackend's two.

    Fills the set ModelBackend keeps on the user object for this request (`_perm_cache`, the union of
    its user and group permissions, computed by the same rules), so the view's check and the template's
    `perms` read it. Superusers (every permission without a query), inactive users (none) and a user
    whose permissions are already read are left to Django as they are.
    """
    if user.is_superuser or not user.is_active or hasattr(user, "_perm_cache"):
        return
    fields = ("content_type__app_label", "codename")
    direct = Permission.objects.filter(user=user).values_list(*fields).order_by()
    through_groups = Permission.objects.filter(group__user=user).values_list(*fields).order_by()
    user._perm_cache = {f"{app_label}.{codename}" for app_label, codename in direct.union(through_groups)}
