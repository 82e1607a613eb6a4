"""The WSGI application as the benchmarks serve it with a server that has no worker hook (granian): the
routing tasks ingest queues go to the run's own queue, which no other worker consumes."""

import os

from config.wsgi import application

queue = os.environ.get("BENCH_CELERY_QUEUE")
if queue:
    from config.celery import app

    app.conf.task_default_queue = queue

__all__ = ["application"]
