"""gunicorn settings of the benchmarks (`--config`): quiet, and tasks sent to the run's own queue."""

import os

accesslog = None
loglevel = "warning"
# Two threads in each of the two processes: while one request waits on PostgreSQL (its round trips and
# its commits' WAL flushes) or Redis, the other uses the CPU; and gthread keeps connections alive, where a
# sync worker closes each one after its answer. Measured here, alternating runs of B1 (4 clients, 10 s):
# sync 33 / 35 / 37 orders/s, gthread with 2 threads 55 / 47 / 54.
worker_class = os.environ.get("BENCH_GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("BENCH_GUNICORN_THREADS", "2" if worker_class == "gthread" else "1"))
keepalive = 5


def post_worker_init(worker):
    # Routing tasks queued by ingest go to the run's own queue, which no other worker consumes.
    queue = os.environ.get("BENCH_CELERY_QUEUE")
    if queue:
        from config.celery import app

        app.conf.task_default_queue = queue
