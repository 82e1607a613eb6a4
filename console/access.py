"""Who may open a console page: signed in, with the console permission, plus the page's own."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django_htmx.http import HttpResponseClientRedirect

USE_CONSOLE = "console.use_console"
CHANGE_ORDERS = "console.change_orders"
APPROVE_REFUNDS = "console.approve_refunds"
WORK_EXCEPTION_QUEUE = "console.work_exception_queue"
MANAGE_FULFILLMENT = "console.manage_fulfillment"


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
            if not request.user.has_perms(required):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_permissions = required
        return wrapper

    return decorator
