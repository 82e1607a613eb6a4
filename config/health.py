"""Health checks for a load balancer and a supervisor (docs/reliability.md, "Running it").

GET /health/         the web process and its database: 200 {"status": "ok"}, else 503.
GET /health/worker/  the queue: a Celery worker has run the outbox relay lately (beat → broker →
                     worker → database all work) and no promised follow-up is long overdue; else 503.

Both answer JSON, need no key and touch no session; 503s carry Retry-After.
"""

from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

RETRY_AFTER_SECONDS = 5


def _answer(body: dict, healthy: bool) -> JsonResponse:
    body = {"status": "ok" if healthy else "unavailable", **body}
    response = JsonResponse(body, status=200 if healthy else 503)
    if not healthy:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return False, f"{type(exc).__name__}: {exc}".strip()[:300]
    return True, "ok"


@never_cache
@require_safe
def web(request):
    ok, database = _database_ok()
    return _answer({"database": database}, ok)


@never_cache
@require_safe
def worker(request):
    from orders.models import OutboxMessage, OutboxStatus, WorkerHeartbeat

    ok, database = _database_ok()
    if not ok:
        return _answer({"database": database}, False)
    now = timezone.now()
    max_age = timedelta(seconds=settings.OMS_WORKER_HEARTBEAT_MAX_AGE_SECONDS)
    overdue_after = timedelta(seconds=settings.OMS_OUTBOX_OVERDUE_SECONDS)
    try:
        beats = list(WorkerHeartbeat.objects.filter(seen_at__gte=now - max_age * 10).order_by("hostname"))
        pending = OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
        overdue = pending.filter(next_attempt_at__lt=now - overdue_after)
        oldest = overdue.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
        counts = {"pending": pending.count(), "overdue": overdue.count()}
    except DatabaseError as exc:
        return _answer({"database": f"{type(exc).__name__}: {exc}"[:300]}, False)
    workers = [
        {"hostname": beat.hostname, "seenSecondsAgo": round((now - beat.seen_at).total_seconds(), 1)} for beat in beats
    ]
    alive = any(now - beat.seen_at <= max_age for beat in beats)
    problems = []
    if not alive:
        problems.append(f"no worker ran the outbox relay in the last {int(max_age.total_seconds())} s")
    if counts["overdue"]:
        problems.append(f"{counts['overdue']} follow-up(s) overdue by more than {int(overdue_after.total_seconds())} s")
    body = {
        "database": "ok",
        "workers": workers,
        "outbox": {**counts, "oldestOverdueSeconds": round((now - oldest).total_seconds()) if oldest else None},
        "problems": problems,
    }
    return _answer(body, not problems)
