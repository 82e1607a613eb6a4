"""API-key authentication and the per-client rate limit in one Redis round trip.

Every API request used to ask PostgreSQL for its key (one query through the ORM, ~1.1 ms of app CPU) and
then Redis for its rate (one MULTI/EXEC, built as a redis-py pipeline whose constructor alone copies ~170
response callbacks). Here one Lua script (EVALSHA) reads the key's cached record, found by the key's
SHA-256 digest, and counts the request in the client's sliding log in the same call.

The cache holds only keys the database found active, and only for `RECORD_TTL` seconds. Saving or
deleting an API client or a sales channel forgets the records it touches (the receivers below), at once and
again after the commit, so a revocation or a change of scopes or channel takes effect with the next
request; an unknown or revoked key is never cached and always asks the database. Forgetting also moves the
key's generation on, and a record read after a miss is cached only under the generation the miss saw, so a
request that read the row just before a revocation committed cannot cache it afterwards. A record missing from
the cache costs what it did before: the query, then the count on its own (`count_request`).

The log is the sorted set of orders/api/throttling.py, now named by the key's digest (a reissued key
starts a new count, as before). When the rate limit is off, the view does not throttle by client, or the
default cache is not one Redis server (locmem in development and tests), nothing here runs: the key is
read from the database and DRF's throttle counts as it did.
"""

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from orders.db import CompiledQuery
from orders.models import ApiClient, SalesChannel

# How long a key's record may be served without asking the database. Saves and deletes forget it at once;
# this only bounds what a bulk `QuerySet.update()` (which sends no signal) could leave stale.
RECORD_TTL = 60

_CLIENT_BY_HASH = CompiledQuery(
    lambda key_hash: ApiClient.objects.select_related("sales_channel").filter(key_hash=key_hash)
)

# KEYS: the key's record, the client's log, the key's generation. ARGV (only when counting): now, window in
# seconds, budget, this request's member, the log's lifetime. Returns {record} without counting, {false,
# generation} on a miss (nothing counted), {record, earlier} when accepted and counted, {record, earlier,
# oldest score} when refused (not counted, as in DRF's throttle).
_GATE_LUA = """
local record = redis.call('GET', KEYS[1])
if not record then return {false, redis.call('GET', KEYS[3]) or '0'} end
if #ARGV == 0 then return {record} end
return {record, unpack(COUNT(KEYS[2], ARGV))}
"""
# The count alone, shared by both scripts. Accepted requests before this one in the window; a refused
# request also answers the oldest accepted one's time, for Retry-After.
_COUNT_LUA = """
local function COUNT(log, argv)
  local now = tonumber(argv[1])
  redis.call('ZREMRANGEBYSCORE', log, '-inf', now - tonumber(argv[2]))
  local earlier = redis.call('ZCARD', log)
  if earlier < tonumber(argv[3]) then
    redis.call('ZADD', log, now, argv[4])
    redis.call('EXPIRE', log, tonumber(argv[5]))
    return {earlier}
  end
  local oldest = redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')
  return {earlier, oldest[2] or argv[1]}
end
"""
_COUNT_ONLY_LUA = "return COUNT(KEYS[1], ARGV)"
# A record read from the database after a miss is cached only if no change forgot the key since the miss
# (its generation is the one the miss saw): a request that read the row just before a revocation committed
# cannot cache it after the revocation's forgetting. KEYS: record, generation. ARGV: generation, record, ttl.
_FILL_LUA = """
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
return 1
"""
# How long a key's generation outlives its last change: far longer than any request between its miss and
# its fill.
GENERATION_TTL = 3600

_servers: dict[str, tuple[redis.Redis, object, object, object]] = {}
_servers_lock = threading.Lock()


def redis_for_default_cache() -> redis.Redis | None:
    """A Redis client on the default cache's server (one per process and location), or None."""
    found = _server()
    return found[0] if found else None


def _server():
    backend = settings.CACHES.get("default", {})
    if backend.get("BACKEND") != f"{RedisCache.__module__}.{RedisCache.__name__}":
        return None
    location = backend.get("LOCATION")
    if isinstance(location, list | tuple):
        location = location[0] if len(location) == 1 else None  # several servers: DRF's version
    if not location:
        return None
    found = _servers.get(location)
    if found is None:
        with _servers_lock:
            found = _servers.get(location)
            if found is None:
                client = redis.Redis.from_url(location)
                found = _servers[location] = (
                    client,
                    client.register_script(_COUNT_LUA + _GATE_LUA),
                    client.register_script(_COUNT_LUA + _COUNT_ONLY_LUA),
                    client.register_script(_FILL_LUA),
                )
    return found


def record_key(key_hash: str) -> str:
    return cache.make_key(f"api-key:{key_hash}")


def generation_key(key_hash: str) -> str:
    return cache.make_key(f"api-key-generation:{key_hash}")


def log_key(key_hash: str) -> str:
    return cache.make_key(f"throttle_api_client_{key_hash}:log")


@dataclass
class Count:
    """What the log said about one request: accepted requests before it in the window, and (refused)
    when the oldest of them entered it."""

    log: str
    member: str
    now: float
    duration: float
    num_requests: int
    earlier: int
    oldest: float | None = None
    # Set when the throttle has taken this count as its verdict; until then a refusal (403) takes it back.
    used: bool = False

    @property
    def accepted(self) -> bool:
        return self.oldest is None


def _count_args(now: float, duration: float, num_requests: int) -> tuple[str, list]:
    member = f"{now!r}:{uuid.uuid4().hex}"
    return member, [repr(now), repr(float(duration)), num_requests, member, int(duration) + 1]


def _count_of(log: str, member: str, now: float, duration: float, num_requests: int, answer: list) -> Count:
    earlier = int(answer[0])
    oldest = float(answer[1]) if len(answer) > 1 else None
    return Count(log, member, now, duration, num_requests, earlier, oldest)


def count_request(key_hash: str, *, now: float, duration: float, num_requests: int) -> Count | None:
    """Count one request of this key in its log (None when the default cache is not Redis)."""
    found = _server()
    if found is None:
        return None
    _, _, count_only, _ = found
    log = log_key(key_hash)
    member, args = _count_args(now, duration, num_requests)
    return _count_of(log, member, now, duration, num_requests, count_only(keys=[log], args=args))


def uncount(count: Count) -> None:
    """Take back an accepted request that was refused before its throttle looked at it."""
    if count.accepted and not count.used:
        found = _server()
        if found is not None:
            found[0].zrem(count.log, count.member)


def pass_key(key_hash: str, *, rate: tuple[float, float, int] | None) -> tuple[ApiClient | None, Count | None]:
    """The active client of this key (None if unknown or revoked), and, when a `rate` (now, duration,
    budget) is given and the key's record was cached, the request's count in the same round trip."""
    found = _server()
    if found is None:
        return _client_from_database(key_hash), None
    _, gate, _, fill = found
    record, log, generation = record_key(key_hash), log_key(key_hash), generation_key(key_hash)
    if rate is None:
        answer = gate(keys=[record, log, generation])
    else:
        now, duration, num_requests = rate
        member, args = _count_args(now, duration, num_requests)
        answer = gate(keys=[record, log, generation], args=args)
    if not answer or answer[0] is None:
        client = _client_from_database(key_hash)
        if client is not None:
            seen = answer[1] if answer and len(answer) > 1 else b"0"
            fill(keys=[record, generation], args=[seen, _encode(client), RECORD_TTL])
        return client, None
    client = _decode(answer[0])
    count = None if rate is None else _count_of(log, member, now, duration, num_requests, answer[1:])
    return client, count


def _client_from_database(key_hash: str) -> ApiClient | None:
    # The hash is unique: one row or none. The query is compiled once per process (orders/db.py).
    found = _CLIENT_BY_HASH.instances(key_hash)
    client = found[0] if found else None
    return client if client is not None and client.is_active else None


def forget_keys(key_hashes) -> None:
    """Drop these keys' cached records and move their generations on, now and again when the current
    transaction commits: a request that read the old row before either cannot cache it (`_FILL_LUA`)."""
    found = _server()
    hashes = [key_hash for key_hash in key_hashes if key_hash]
    if found is None or not hashes:
        return
    server = found[0]

    def forget() -> None:
        with server.pipeline(transaction=False) as pipe:
            for key_hash in hashes:
                pipe.delete(record_key(key_hash))
                pipe.incr(generation_key(key_hash))
                pipe.expire(generation_key(key_hash), GENERATION_TTL)
            pipe.execute()

    forget()
    transaction.on_commit(forget)


def forget_channel_keys(channel_id: int) -> None:
    """A channel's name is part of its keys' records (ingest checks it): forget them all."""
    if _server() is not None:
        forget_keys(ApiClient.objects.filter(sales_channel_id=channel_id).values_list("key_hash", flat=True))


# The record: the client's columns and, for a storefront key, its channel's, as JSON.
def _row(instance: models.Model) -> list:
    return [_json_value(getattr(instance, field.attname)) for field in instance._meta.concrete_fields]


def _json_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _instance(model: type[models.Model], values: list) -> models.Model:
    fields = model._meta.concrete_fields
    return model.from_db(
        "default",
        [field.attname for field in fields],
        [
            datetime.fromisoformat(value) if value is not None and isinstance(field, models.DateTimeField) else value
            for field, value in zip(fields, values, strict=True)
        ],
    )


def _encode(client: ApiClient) -> str:
    channel = client.sales_channel
    return json.dumps([_row(client), _row(channel) if channel is not None else None])


def _decode(record: bytes) -> ApiClient:
    client_row, channel_row = json.loads(record)
    client = _instance(ApiClient, client_row)
    client.sales_channel = _instance(SalesChannel, channel_row) if channel_row is not None else None
    return client


# Connected by OrdersConfig.ready(). The admin, `ApiClient.revoke()` and every save go through these.
@receiver(pre_save, sender=ApiClient, dispatch_uid="key_gate_client_changing")
def _client_changing(sender, instance: ApiClient, raw=False, **kwargs) -> None:
    if instance.pk is not None and not raw:
        # A new digest on the same row must also forget the old one, which would still open the door.
        forget_keys(ApiClient.objects.filter(pk=instance.pk).values_list("key_hash", flat=True))


@receiver(post_save, sender=ApiClient, dispatch_uid="key_gate_client_saved")
@receiver(post_delete, sender=ApiClient, dispatch_uid="key_gate_client_deleted")
def _client_changed(sender, instance: ApiClient, **kwargs) -> None:
    forget_keys([instance.key_hash])


@receiver(post_save, sender=SalesChannel, dispatch_uid="key_gate_channel_saved")
@receiver(post_delete, sender=SalesChannel, dispatch_uid="key_gate_channel_deleted")
def _channel_changed(sender, instance: SalesChannel, **kwargs) -> None:
    forget_channel_keys(instance.pk)
