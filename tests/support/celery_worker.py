"""A real `celery -A config worker` in a subprocess, for tests that must see a task cross a broker.

The worker reads the same settings module as the app, with the environment the test gives it
(DATABASE_URL, CELERY_BROKER_URL, CELERY_DATA_DIR). Each test consumes a queue of its own, so a
worker started by `make run` on the same broker never takes its messages.

    with running_worker(env=worker_env(connection), queue=queue):
        some_task.apply_async(queue=queue)
        wait_until(lambda: ..., what="the task's effect")
"""

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

PROJECT_DIR = Path(settings.BASE_DIR)
READY_MARKER = " ready."


def unique_queue(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def database_url(settings_dict: dict) -> str:
    """The DATABASE_URL of a Django connection, for another process to open the same database."""
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        name = str(settings_dict["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise ValueError("an in-memory SQLite database cannot be shared with a worker process")
        return f"sqlite:///{name}"
    if engine.endswith("postgresql"):
        credentials = quote(settings_dict.get("USER") or "", safe="")
        if settings_dict.get("PASSWORD"):
            credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
        host = settings_dict.get("HOST") or "localhost"
        port = settings_dict.get("PORT") or "5432"
        return f"postgres://{credentials}@{host}:{port}/{quote(settings_dict['NAME'], safe='')}"
    raise ValueError(f"no DATABASE_URL form for {engine}")


def worker_env(connection, **overrides: str) -> dict[str, str]:
    """Environment for a worker on this test's database and the configured broker."""
    env = {
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_DATA_DIR": str(settings.CELERY_DATA_DIR),
    }
    env.update(overrides)
    return env


def _child_env(env: dict[str, str]) -> dict[str, str]:
    child = {**os.environ, **env}
    # The worker must really queue and run tasks, whatever the test process was started with.
    child.pop("CELERY_TASK_ALWAYS_EAGER", None)
    child["PYTHONUNBUFFERED"] = "1"
    return child


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    """Run `manage.py <args>` in a subprocess with `env`; return its output, fail loudly on error."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=_child_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class WorkerProcess:
    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: list[str] = []
        self.ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)
            if READY_MARKER in line:
                self.ready.set()

    def wait_ready(self, timeout: float):
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.2):
            if self.process.poll() is not None:
                self._reader.join(5)
                raise RuntimeError(f"the Celery worker exited with {self.process.returncode}:\n{self.output}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start within {timeout}s:\n{self.output}")

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def stop(self, timeout: float = 15):
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: finish the task in hand
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._reader.join(5)


@contextmanager
def running_worker(*, env: dict[str, str], queue: str, start_timeout: float = 60) -> Iterator[WorkerProcess]:
    """A worker consuming `queue` only; stopped (and its output kept on failure) when the block ends."""
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
        f"{queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    process = subprocess.Popen(
        command,
        cwd=PROJECT_DIR,
        env=_child_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker = WorkerProcess(process)
    try:
        worker.wait_ready(start_timeout)
        yield worker
    except BaseException as error:
        worker.stop()
        error.add_note(f"Celery worker output:\n{worker.output[-5000:]}")
        raise
    else:
        worker.stop()


def wait_until(predicate: Callable[[], bool], *, what: str, timeout: float = 30, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
