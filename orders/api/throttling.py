"""Rate limits per API client (API.md, Conventions: 429 RATE_LIMITED).

Each API client has its own budget of requests, `OMS_API_RATE_LIMIT` (e.g. "1200/minute"), counted in
the default cache: with several app processes that cache must be shared (CACHE_URL → Redis), or each
process counts on its own. Requests without an API client (the schema, the docs) are not counted:
authentication refuses everything else before a view runs.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from orders.models import ApiClient


class ApiClientRateThrottle(SimpleRateThrottle):
    scope = "api_client"

    def get_rate(self):
        # Read at each request rather than from DRF's settings captured at import, so a deployment
        # (or a test) can change the rate without a restart of the module.
        return settings.OMS_API_RATE_LIMIT or None

    def get_cache_key(self, request, view):
        client = request.auth
        if not isinstance(client, ApiClient):
            return None
        # The key prefix tells a client's keys apart: a reissued key starts a new count, like a new client.
        return self.cache_format % {"scope": self.scope, "ident": f"{client.pk}-{client.key_prefix}"}

