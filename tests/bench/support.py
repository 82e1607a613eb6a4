"""Shared pieces of the benchmarks: tiny mode, statistics, order bodies, processes and their memory."""

import os
import platform
import socket
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

# BENCH_TINY=1: every scenario runs a few iterations on little data, so CI proves the suite still runs.
TINY = os.environ.get("BENCH_TINY", "").strip().lower() in {"1", "true", "yes", "on"}
# Each run names its records with this prefix: the database is kept between runs.
RUN = uuid.uuid4().hex[:8].upper()


def size(full: int, tiny: int) -> int:
    return tiny if TINY else full


def env_number(name: str, full: float, tiny: float) -> float:
    return float(os.environ.get(name) or (tiny if TINY else full))


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share 0.95 → p95) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed_ms(action: Callable[[], object], runs: int) -> list[float]:
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def cpu_ms_each(action: Callable[[], object], runs: int) -> float:
    """This process's CPU per call of `action` (mean of `runs`): what a request costs the app, whatever
    else the machine runs at the time (the database's part is in its own process, not counted here)."""
    started = time.process_time()
    for _ in range(runs):
        action()
    return (time.process_time() - started) * 1000 / runs


# --- CPU of other processes (the app servers, the workers, PostgreSQL's backends) ------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_backends() -> list[int]:
    """The PostgreSQL server processes connected to the bench database, this process's own excepted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


class CpuTime:
    """CPU seconds spent by some processes between enter and exit (processes that start meanwhile count
    from zero; each is read at entry and exit, so a backend that ends in between is not counted)."""

    def __init__(self, pids: Callable[[], list[int]]):
        self._pids = pids
        self.seconds = 0.0

    def __enter__(self):
        self._start = {pid: cpu_seconds(pid) for pid in self._pids()}
        return self

    def __exit__(self, *exc):
        self.seconds = sum(max(0.0, cpu_seconds(pid) - self._start.get(pid, 0.0)) for pid in self._pids())


def query_count(action: Callable[[], object]) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries), [query["sql"] for query in captured.captured_queries]


_postgres_version = {"value": "unknown"}


def note_postgres_version() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        _postgres_version["value"] = cursor.fetchone()[0].split(" on ")[0]


def machine() -> dict:
    load = os.getloadavg()
    postgres = _postgres_version["value"]
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memoryGiB": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "postgres": postgres,
        "loadAverageAtEnd": [round(value, 2) for value in load],
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- Order bodies --------------------------------------------------------------------------------


def storefront_order(number: str, *, lines: int = 5, quantity: int = 1, channel: str | None = None) -> dict:
    """An order as a storefront sends it: `lines` products (8 % tax), delivery 5.00 (tax 0.40), one
    authorization of the grand total. Product n costs (n % 20 + 1) × 10.00."""
    items = []
    total = Decimal("5.40")
    for n in range(lines):
        price = Decimal(10 * (n % 20 + 1))
        line_tax = (price * quantity * Decimal("0.08")).quantize(Decimal("0.01"))
        total += price * quantity + line_tax
        items.append(
            {
                "sku": f"SKU-{n:03d}",
                "name": f"Product {n}",
                "quantity": quantity,
                "unitPrice": str(price),
                "taxes": [{"name": "Sales tax", "rate": 8, "amount": str(line_tax)}],
            }
        )
    body = {
        "orderNumber": number,
        "currencyIsoCode": "USD",
        "taxLocaleType": "Net",
        "orderedDate": "2026-11-20T10:00:00Z",
        "billTo": {
            "name": "Ada Park",
            "email": "ada@example.com",
            "phone": "+1 555 0100",
            "street": "1 Main St",
            "city": "Springfield",
            "state": "IL",
            "postalCode": "62701",
            "country": "US",
        },
        "deliveryGroups": [
            {
                "referenceId": "g1",
                "deliverTo": {
                    "name": "Ada Park",
                    "street": "1 Main St",
                    "city": "Springfield",
                    "state": "IL",
                    "postalCode": "62701",
                    "country": "US",
                },
                "deliveryMethod": "Ground",
                "deliveryCharge": {"amount": "5.00", "taxes": [{"name": "Sales tax", "rate": 8, "amount": "0.40"}]},
                "items": items,
            }
        ],
        "payments": [
            {
                "kind": "authorization",
                "method": "Visa",
                "gatewayToken": "tok_visa",
                "last4": "4242",
                "amount": str(total),
                "gatewayReference": f"auth-{number}",
            }
        ],
    }
    if channel:
        body["salesChannel"] = channel
    return body


# --- Processes and their memory -----------------------------------------------------------------


def rss_bytes(pid: int) -> int:
    """Resident memory of a process: psutil when installed, else /proc."""
    try:
        import psutil
    except ImportError:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0
    return psutil.Process(pid).memory_info().rss


def child_pids(pid: int) -> list[int]:
    try:
        import psutil
    except ImportError:
        children = Path(f"/proc/{pid}/task/{pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []
    return [child.pid for child in psutil.Process(pid).children()]


class PeakMemory:
    """Samples the resident memory of some processes every 100 ms in a thread; keeps each one's peak."""

    def __init__(self, pids: Callable[[], list[int]]):
        self._pids = pids
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.1)

    def sample(self):
        for pid in self._pids():
            try:
                self.peaks[pid] = max(self.peaks.get(pid, 0), rss_bytes(pid))
            except (OSError, ValueError, ProcessLookupError):
                continue
            except Exception as error:  # psutil.NoSuchProcess: the process ended between two samples
                if type(error).__name__ not in {"NoSuchProcess", "ZombieProcess", "AccessDenied"}:
                    raise

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        self.sample()

    @property
    def peak_mb(self) -> float:
        return max(self.peaks.values(), default=0) / 2**20
