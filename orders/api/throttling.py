"""Rate limits per API client (API.md, Conventions: 429 RATE_LIMITED).

Each API client has its own budget of requests, `OMS_API_RATE_LIMIT` (e.g. "1200/minute"), counted in
the default cache: with several app processes that cache must be shared (CACHE_URL → Redis), or each
process counts on its own. Requests without an API client (the schema, the docs) are not counted:
authentication refuses everything else before a view runs.

The count is DRF's sliding log: a request is refused when the client made `num_requests` accepted
requests in the last `duration` seconds, and Retry-After says when the oldest of them leaves the window.
On Redis the log is a sorted set updated in one MULTI/EXEC round trip (drop what left the window, add
this request, count, read the oldest), so a request costs the same whatever the budget, and concurrent
requests of one client are counted exactly. DRF's own version reads and writes the whole log as one
pickled list (two round trips, and the list grows with the budget: 18,000 timestamps per request at
300 requests a second), and two processes reading the list at once both add to the same old copy.
Other caches (locmem in development and tests) keep DRF's version.
"""

import threading
import uuid

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import SimpleRateThrottle

from orders.models import ApiClient

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def _redis_for_default_cache() -> redis.Redis | None:
    """A Redis client on the default cache's server (one per process and location), or None."""
    backend = settings.CACHES.get("default", {})
    if backend.get("BACKEND") != f"{RedisCache.__module__}.{RedisCache.__name__}":
        return None
    location = backend.get("LOCATION")
    if isinstance(location, list | tuple):
        location = location[0] if len(location) == 1 else None  # several servers: DRF's version
    if not location:
        return None
    client = _clients.get(location)
    if client is None:
        with _clients_lock:
            client = _clients.setdefault(location, redis.Redis.from_url(location))
    return client


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

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        server = _redis_for_default_cache()
        if server is None:
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        # Its own key name: a process running DRF's version keeps its pickled list under self.key.
        log_key = cache.make_key(f"{self.key}:log")
        self.now = self.timer()
        member = f"{self.now!r}:{uuid.uuid4().hex}"
        pipe = server.pipeline(transaction=True)
        pipe.zremrangebyscore(log_key, "-inf", self.now - self.duration)
        pipe.zadd(log_key, {member: self.now})
        pipe.zcard(log_key)
        pipe.zrange(log_key, 0, 0, withscores=True)
        pipe.expire(log_key, int(self.duration) + 1)
        _, _, count, oldest, _ = pipe.execute()
        earlier = count - 1  # accepted requests in the window before this one
        if earlier < self.num_requests:
            return True
        server.zrem(log_key, member)  # a refused request is not counted, as in DRF's version
        self._refused = (earlier, oldest[0][1] if oldest else self.now)
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
