"""CPU per ingested order, app and PostgreSQL, measured in one process (no HTTP server, no load generator).

    DATABASE_URL=postgres://…/h2_bench CELERY_BROKER_URL=redis://…/2 \
        python -m tests.perf.ingest_cpu [--orders 300] [--batch 100] [--profile out.html]

Requests go through Django's WSGI handler exactly as a WSGI server hands them over (the storefront body
of the bench, 5 lines, its own Idempotency-Key and order number each). App CPU is this process's CPU
time; PostgreSQL CPU is the CPU time of this connection's backend process (/proc/<pid>/stat, so the
database must run on this machine). Rates are not measured: on a shared machine CPU per order is the
figure that holds. The database must be migrated (`make bench` creates `<name>_bench`); the routing
tasks go to a queue of their own, purged at the end.
"""

import argparse
import io
import json
import os
import sys
import time
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _backend_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--batch", type=int, default=0, help="orders per batch request (0: single ingest)")
    parser.add_argument("--profile", default="", help="write a pyinstrument HTML profile here")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from config.celery import app as celery_app
    from orders.models import ApiClient, SalesChannel
    from tests.bench.support import storefront_order

    run = uuid.uuid4().hex[:8].upper()
    queue = f"ingest-cpu-{run.lower()}"
    celery_app.conf.task_default_queue = queue
    channel, _ = SalesChannel.objects.get_or_create(name="Bench Web")
    _, key = ApiClient.issue(name=f"ingest-cpu-{run}", scopes=["orders:read", "orders:write"], sales_channel=channel)
    handler = WSGIHandler()

    def request(path: str, body: dict, headers: dict) -> tuple[str, bytes]:
        data = json.dumps(body).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(data)),
            "HTTP_HOST": "localhost",
            "HTTP_AUTHORIZATION": f"Bearer {key}",
            "wsgi.input": io.BytesIO(data),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
            **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()},
        }
        answer = {}

        def start_response(status, response_headers, exc_info=None):
            answer["status"] = status

        response = handler(environ, start_response)
        content = b"".join(response)
        response.close()
        return answer["status"], content

    def single(n: int, prefix: str):
        number = f"CPU-{prefix}-{run}-{n}"
        return request("/api/v1/commerce/orders", storefront_order(number), {"Idempotency-Key": number})

    def batch(n: int, prefix: str):
        orders = [
            {**storefront_order(f"CPU{prefix}-{run}-{n}-{m}"), "idempotencyKey": f"CPU{prefix}-{run}-{n}-{m}"}
            for m in range(args.batch)
        ]
        return request("/api/v1/commerce/orders/batch", {"orders": orders}, {})

    send = batch if args.batch else single
    per_request = args.batch or 1
    requests = max(1, args.orders // per_request)
    for n in range(max(3, requests // 10)):  # warm up: imports, caches, prepared statements
        status, content = send(n, "w")
        assert status.startswith(("200", "201")), (status, content[:500])
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    cpu, pg, wall = time.process_time(), _backend_cpu_s(backend), time.perf_counter()
    for n in range(requests):
        status, content = send(n, "m")
        if not status.startswith(("200", "201")) or (args.batch and b'"success":false' in content):
            raise SystemExit(f"request {n} failed: {status} {content[:500]!r}")
    cpu, pg, wall = time.process_time() - cpu, _backend_cpu_s(backend) - pg, time.perf_counter() - wall
    if profiler:
        profiler.stop()
        with open(args.profile, "w") as out:
            out.write(profiler.output_html())
    orders = requests * per_request
    kind = f"batch of {args.batch}" if args.batch else "single"
    ms = 1000 / orders
    print(
        f"{kind}: {orders} orders; per order app CPU {cpu * ms:.2f} ms, PostgreSQL CPU {pg * ms:.2f} ms, "
        f"total {(cpu + pg) * ms:.2f} ms (wall {wall * ms:.2f} ms)"
    )
    from tests.bench.servers import purge_queue

    purge_queue(queue)


if __name__ == "__main__":
    main()
