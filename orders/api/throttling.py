"""Rate limits per API client (API.md, Conventions: 429 RATE_LIMITED).

Each API client has its own budget of requests, `OMS_API_RATE_LIMIT` (e.g. "1200/minute"), counted in
the default cache: with several app processes that cache must be shared (CACHE_URL → Redis), or each
process counts on its own. Requests without an API client (the schema, the docs) are not counted:
authentication refuses everything else before a view runs.

The count is DRF's sliding log: a request is refused when the client made `num_requests` accepted
requests in the last `duration` seconds, and Retry-After says when the oldest of them leaves the window.
On Redis the log is a sorted set updated by one Lua script (drop what left the window, count, add this
request unless refused, read the oldest when refused), usually in the same round trip as the key's lookup
(orders/api/key_gate.py), so a request costs the same whatever the budget, and concurrent requests of one
client are counted exactly. DRF's own version reads and writes the whole log as one
pickled list (two round trips, and the list grows with the budget: 18,000 timestamps per request at
300 requests a second), and two processes reading the list at once both add to the same old copy.
Other caches (locmem in development and tests) keep DRF's version.
"""

import time

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from orders.api import key_gate
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

    @classmethod
    def rate_for(cls, view) -> tuple[float, float, int] | None:
        """(now, window, budget) for authentication to count a request in the same Redis round trip as
        its key's lookup (orders/api/key_gate.py), or None when this view's requests are not counted so."""
        rate = settings.OMS_API_RATE_LIMIT
        if not rate or view is None or key_gate.redis_for_default_cache() is None:
            return None
        if not any(issubclass(throttle, cls) for throttle in getattr(view, "throttle_classes", ())):
            return None
        num_requests, duration = cls.parse_rate(cls, rate)
        return time.time(), duration, num_requests

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        if key_gate.redis_for_default_cache() is None:
            return super().allow_request(request, view)
        client = request.auth
        if not isinstance(client, ApiClient):
            return True
        count = getattr(request, "rate_count", None)
        if count is None or (count.duration, count.num_requests) != (self.duration, self.num_requests):
            count = key_gate.count_request(
                client.key_hash, now=self.timer(), duration=self.duration, num_requests=self.num_requests
            )
        count.used = True
        self.now = count.now
        if count.accepted:
            return True
        self._refused = (count.earlier, count.oldest)
        return False

    def wait(self):
        if not hasattr(self, "_refused"):
            return super().wait()
        # DRF's formula: until the oldest accepted request leaves the window, shared by what is left.
        earlier, oldest = self._refused
        remaining_duration = self.duration - (self.now - oldest)
        available_requests = self.num_requests - earlier + 1
        if available_requests <= 0:
            return None
        return remaining_duration / float(available_requests)
