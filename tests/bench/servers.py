"""The app under gunicorn and Celery workers, as separate processes on the bench database and Redis.

Two app processes and two worker processes, so that nothing measured can lean on one process's
memory: the rate limit counts in Redis (CACHE_URL), tasks cross the broker.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

from tests.bench.support import free_port
from tests.support.celery_worker import WorkerProcess, database_url

PROJECT_DIR = Path(settings.BASE_DIR)
GUNICORN_CONFIG = Path(__file__).with_name("gunicorn_bench.py")


def service_env(queue: str, **extra: str) -> dict[str, str]:
    """What the app and the workers read: the bench database, Redis as broker and shared cache."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CACHE_URL": settings.CELERY_BROKER_URL,
        # The per-client limit stays on (its Redis round trip is part of each request), set far above
        # what one machine can send so it measures the product, not the policy.
        "OMS_API_RATE_LIMIT": "10000000/minute",
        "BENCH_CELERY_QUEUE": queue,
        "DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    env.update(extra)
    return env


def purge_queue(queue: str, *, bindings: bool = True) -> None:
    """Tasks the benchmarks queued but did not run (routing of ingested orders, billing of shipped
    fulfillment orders) are dropped; with `bindings`, the queue's routing entries too (at the end only:
    a publisher declares them once)."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(queue)
    if bindings:
        for pattern in (f"_kombu.binding.{queue}*", f"_kombu.binding_permanent.{queue}*"):
            for key in client.scan_iter(pattern):
                client.delete(key)


# The WSGI server B1 runs: gunicorn gthread (the deployed one), or granian to compare (BENCH_WSGI_SERVER).
WSGI_SERVER = os.environ.get("BENCH_WSGI_SERVER", "gunicorn")


def _server_command(port: int, workers: int) -> list[str]:
    if WSGI_SERVER == "granian":
        # Granian has no worker hook: tests/bench/wsgi_app.py points tasks at the run's queue on import.
        # As many threads run the app in each process as gunicorn gthread has (BENCH_GUNICORN_THREADS).
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--blocking-threads",
            os.environ.get("BENCH_GUNICORN_THREADS", "2"),
            "--runtime-threads",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
            "tests.bench.wsgi_app:application",
        ]
    if WSGI_SERVER != "gunicorn":
        raise ValueError(f"BENCH_WSGI_SERVER={WSGI_SERVER!r}: gunicorn or granian")
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--config",
        str(GUNICORN_CONFIG),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
    ]


@contextmanager
def gunicorn(queue: str, *, workers: int = 2) -> Iterator[tuple[int, subprocess.Popen]]:
    """The app server of the benchmarks (gunicorn unless BENCH_WSGI_SERVER says granian) on a free port."""
    port = free_port()
    command = _server_command(port, workers)
    process = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=service_env(queue), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        _wait_for_port(port, process)
        yield port, process
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate(timeout=5)
        errors = [line for line in (output or "").splitlines() if "Traceback" in line or "[ERROR]" in line]
        if errors:
            print(f"gunicorn reported {len(errors)} error line(s); the last ones:\n" + "\n".join(errors[-5:]))


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{process.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as probe:
                probe.sendall(b"GET /api/v1/commerce/order-management/order-summaries HTTP/1.0\r\n\r\n")
                if probe.recv(12).startswith(b"HTTP/1."):
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {port} within {timeout}s")


@contextmanager
def celery_workers(queue: str, *, count: int = 2, start_timeout: float = 60) -> Iterator[list[WorkerProcess]]:
    """`count` separate worker processes (solo pool, one task at a time each) consuming `queue`."""
    workers = []
    try:
        for n in range(count):
            command = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                "--pool=solo",
                "--queues",
                queue,
                "--hostname",
                f"bench{n}-{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
            process = subprocess.Popen(
                command,
                cwd=PROJECT_DIR,
                env=service_env(queue),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            workers.append(WorkerProcess(process))
        for worker in workers:
            worker.wait_ready(start_timeout)
        yield workers
    finally:
        for worker in workers:
            worker.stop()
