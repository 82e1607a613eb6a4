from django.http import HttpRequest


def wants_partial(request: HttpRequest) -> bool:
    """An htmx swap wants the fragment; a history restore or a boosted link wants the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request
