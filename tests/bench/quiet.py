"""Figures are published only from a quiet machine.

Rates on a shared 2-core machine swing by 2× with what else runs, so a run refuses to start when the
1-minute load average before it is above BENCH_MAX_LOAD (1 by default): it prints why and exits with
status 3, having measured nothing. BENCH_ALLOW_LOAD=1 runs it anyway for local experiments; the figures
are then marked unpublishable (in the table and in bench-results.json), and so are a tiny run's.

The load before each later round is recorded too, but does not refuse: the rounds before it are load
themselves (B1 keeps both cores busy for two minutes, and the 1-minute average takes minutes to fall).
"""

import os

from tests.bench.figures import Publishing

EXIT_BUSY = 3


def max_load() -> float:
    return float(os.environ.get("BENCH_MAX_LOAD") or 1.0)


def load_allowed() -> bool:
    return os.environ.get("BENCH_ALLOW_LOAD", "").strip().lower() in {"1", "true", "yes", "on"}


def load_average() -> float:
    return os.getloadavg()[0]


def check_before_run(publishing: Publishing, *, tiny: bool, load: float | None = None) -> str | None:
    """Notes the load before the run; answers the message to stop with when the run must not start."""
    load = load_average() if load is None else load
    publishing.load_before.append(round(load, 2))
    if tiny:
        publishing.refuse("a tiny run (BENCH_TINY=1): a few iterations on little data")
        return None
    if load <= max_load():
        return None
    reason = f"the load average was {load:.2f} before the run, above {max_load():g}"
    if load_allowed():
        publishing.refuse(f"{reason} (run with BENCH_ALLOW_LOAD=1)")
        return None
    return (
        f"The benchmark refuses to run: {reason}. Other work on this machine would be measured with ours, "
        f"and its figures could not be published. Wait until `uptime` shows a 1-minute load average at or "
        f"below {max_load():g}, or set BENCH_ALLOW_LOAD=1 for a local experiment (its figures are then "
        f"marked unpublishable)."
    )


def note_round(publishing: Publishing, load: float | None = None) -> None:
    publishing.load_before.append(round(load_average() if load is None else load, 2))
