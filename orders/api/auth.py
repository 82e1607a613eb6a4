"""Bearer API keys, scopes per view and method, and a storefront key's view of its own channel."""

from datetime import timedelta
from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from orders.api import key_gate
from orders.api.throttling import ApiClientRateThrottle
from orders.models import ApiClient
from orders.models.api_clients import hash_key

_LAST_USED_RESOLUTION = timedelta(minutes=5)
_M = TypeVar("_M", bound=Model)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw_key = header.partition(" ")
        if scheme.lower() != self.keyword.lower() or not raw_key.strip():
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <key>'.")
        key_hash = hash_key(raw_key.strip())
        # The key's cached record and the request's rate count come back from Redis in one round trip
        # (orders/api/key_gate.py); the count waits on the request for the view's throttle.
        client, count = key_gate.pass_key(key_hash, rate=ApiClientRateThrottle.rate_for(_view_of(request)))
        if client is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        request.rate_count = count
        now = timezone.now()
        if client.last_used_at is None or now - client.last_used_at > _LAST_USED_RESOLUTION:
            # Rare (once per resolution per key), and conditional: processes that saw the same stale time
            # at once do not all write it.
            ApiClient.objects.filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - _LAST_USED_RESOLUTION), pk=client.pk
            ).update(last_used_at=now)
            key_gate.forget_keys([key_hash])  # the cached record still holds the old time
        return client, client

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


def _view_of(request):
    context = getattr(request, "parser_context", None) or {}
    return context.get("view")


class HasScope(permissions.BasePermission):
    """A view names the scope each method needs: `required_scopes = {"GET": "orders:read", ...}`.

    A method listed in the view's `back_office_methods` changes configuration every sales channel shares
    (locations, inventory levels): a key bound to a sales channel is refused it, whatever its scopes.
    """

    message = "This API key lacks the scope this resource needs."

    def has_permission(self, request, view):
        client = request.auth
        if not isinstance(client, ApiClient):
            raise exceptions.NotAuthenticated("Send 'Authorization: Bearer <key>'.")
        required = getattr(view, "required_scopes", {})
        scope = required.get(request.method) or required.get("*")
        if scope is None:
            # A method no scope is declared for is closed: nothing is open by accident.
            return False
        if not client.has_scope(scope):
            self.message = f"This API key lacks the scope '{scope}'."
            return False
        if request.method in getattr(view, "back_office_methods", ()) and client.sales_channel_id is not None:
            self.message = (
                "This API key is bound to a sales channel; locations and inventory are shared by every channel "
                f"and change only with a back-office key (scope '{scope}', no sales channel)."
            )
            return False
        return True


def api_client(request: Request) -> ApiClient:
    """The caller's key: HasScope lets a request into a view only with one."""
    client = request.auth
    if not isinstance(client, ApiClient):
        raise exceptions.NotAuthenticated("Send 'Authorization: Bearer <key>'.")
    return client


def client_channel_id(request: Request) -> int | None:
    """The sales channel a storefront key is bound to, or None for a back-office key."""
    client = request.auth
    return client.sales_channel_id if isinstance(client, ApiClient) else None


def scope_to_channel(queryset: QuerySet[_M], request: Request, channel_field: str = "sales_channel") -> QuerySet[_M]:
    """Restrict a queryset to the caller's channel; records of other channels then answer 404."""
    channel_id = client_channel_id(request)
    if channel_id is None:
        return queryset
    return queryset.filter(**{f"{channel_field}_id": channel_id})
