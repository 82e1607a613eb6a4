"""Outbox messages handed to a Redis broker by one LPUSH of the message Celery would send (issue 19).

Celery's publish of one task cost about 1.5 ms of CPU per message (docs/performance.md, "Ingest"): the
task's options merged again, the router, a producer from the pool, kombu's declare check, a new redis-py
client per message (its constructor copies some 170 response callbacks), the AsyncResult. On a Redis
broker what arrives is a JSON envelope pushed onto the queue's list. `push` builds that envelope, the same
headers, properties and body (tests/reliability/test_broker_push.py decodes both and compares them field by
field) and pushes the messages of one commit with one LPUSH on a client kept per process: ~0.25 ms each.

Only where the message is the same as Celery's, which `_route` checks once per task, broker and default
queue: a `redis://` broker with default transport options, protocol 2, JSON, no compression, no sent
event, no task routes, a task with no execution options of its own (queue, priority, expiry, limits ...)
nor shadow name, routed to a plain queue of the default exchange; and outside a task (a message published
by a task carries its parent's ids). Anything else answers None and Celery publishes, as before. Celery's
`before_task_publish` / `after_task_publish` signals are not sent for these messages (nothing here
connects to them); the worker's signals, which acknowledge the outbox message, are unchanged.
"""

import base64
import json
import os
import uuid
from functools import cache

import redis
from celery import Task, current_app
from celery.utils.nodenames import anon_nodename
from celery.utils.saferepr import saferepr

# The transport options redis-py takes as they are (config/settings.py sets the socket ones).
_CLIENT_OPTIONS = frozenset(
    {
        "socket_timeout",
        "socket_connect_timeout",
        "socket_keepalive",
        "socket_keepalive_options",
        "health_check_interval",
    }
)
# Transport options that change only the consuming side (the visibility timeout) or nothing a push does.
_PUSH_NEUTRAL_OPTIONS = _CLIENT_OPTIONS | {"visibility_timeout"}
_EMBED = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}


def push(task: Task, calls: list[tuple[str, list]]) -> bool:
    """Push `task(*args)` for each (task id, args) in `calls` onto its queue, in that order, with one LPUSH.
    False when Celery must publish these instead (nothing pushed then). Raises the client's errors
    (redis.exceptions.RedisError, OSError): nothing was pushed."""
    app = current_app
    url = app.conf.broker_write_url
    if not calls or not isinstance(url, str) or not url.startswith("redis://") or app.current_worker_task:
        return False
    task_name = task.name
    queue = _route(task_name, url, app.conf.task_default_queue)
    if queue is None:
        return False
    if task.typing:
        for _, args in calls:
            task.__header__(*args)  # the arguments' check apply_async makes: a TypeError as there
    origin, reply_to, ignore_result = anon_nodename(), app.thread_oid, task.ignore_result
    maxsize, maxlevels = app.amqp.argsrepr_maxsize, app.conf.task_repr_maxlevels
    messages = [
        json.dumps(
            {
                "body": base64.b64encode(json.dumps([args, {}, _EMBED]).encode()).decode(),
                "content-encoding": "utf-8",
                "content-type": "application/json",
                "headers": {
                    "lang": "py",
                    "task": task_name,
                    "id": task_id,
                    "shadow": None,
                    "eta": None,
                    "expires": None,
                    "group": None,
                    "group_index": None,
                    "retries": 0,
                    "timelimit": [None, None],
                    "root_id": task_id,
                    "parent_id": None,
                    "argsrepr": saferepr(args, maxsize, maxlevels=maxlevels),
                    "kwargsrepr": saferepr({}, maxsize, maxlevels=maxlevels),
                    "origin": origin,
                    "ignore_result": ignore_result,
                    "replaced_task_nesting": 0,
                    "stamped_headers": None,
                    "stamps": {},
                },
                "properties": {
                    "correlation_id": task_id,
                    "reply_to": reply_to,
                    "delivery_mode": 2,
                    "delivery_info": {"exchange": "", "routing_key": queue},
                    "priority": 0,
                    "body_encoding": "base64",
                    "delivery_tag": str(uuid.uuid4()),
                },
            }
        )
        for task_id, args in calls
    ]
    _client(url, os.getpid()).lpush(queue, *messages)
    return True


@cache
def _route(task_name: str, url: str, default_queue: str) -> str | None:
    """The queue (its Redis list) Celery sends this task to, when its message is the one `push` builds."""
    app = current_app
    conf = app.conf
    options = conf.broker_transport_options or {}
    if (
        conf.task_protocol != 2
        or conf.task_serializer != "json"
        or conf.task_compression
        or conf.task_send_sent_event
        or conf.task_default_priority is not None
        or conf.task_default_delivery_mode not in ("persistent", 2)
        or conf.task_routes
        or not set(options) <= _PUSH_NEUTRAL_OPTIONS
    ):
        return None
    task = app.tasks[task_name]
    exec_options = {name: value for name, value in task._get_exec_options().items() if value is not None}
    if exec_options not in ({}, {"serializer": "json"}) or type(task).shadow_name is not Task.shadow_name:
        return None
    routed = app.amqp.router.route({}, task_name, [], {}, task)
    queue = routed.get("queue")
    if (
        set(routed) != {"queue"}
        or queue is None
        or queue.name != default_queue
        or queue.exchange.type != "direct"
        or queue.exchange.delivery_mode is not None
        or queue.queue_arguments
        or queue.expires is not None
        or queue.max_priority is not None
    ):
        return None
    return queue.name


@cache
def _client(url: str, pid: int) -> redis.Redis:
    """One client per broker URL and process (a forked worker makes its own)."""
    options = current_app.conf.broker_transport_options or {}
    return redis.Redis.from_url(url, **{name: value for name, value in options.items() if name in _CLIENT_OPTIONS})
