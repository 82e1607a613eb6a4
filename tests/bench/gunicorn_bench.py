"""gunicorn settings of the benchmarks (`--config`): quiet, and tasks sent to the run's own queue."""

import os

accesslog = None
loglevel = "warning"
# Sync workers: one request at a time per process, the plainest setup; the load generator keeps both busy.
worker_class = os.environ.get("BENCH_GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("BENCH_GUNICORN_THREADS", "1"))
keepalive = 5


def post_worker_init(worker):
    # Routing tasks queued by ingest go to the run's own queue, which no other worker consumes.
    queue = os.environ.get("BENCH_CELERY_QUEUE")
    if queue:
        from config.celery import app

        app.conf.task_default_queue = queue
