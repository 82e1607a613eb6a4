"""What the fast paths make once per model (and database) and reuse: an INSERT's columns and readers, a
SELECT's columns and converters, an UPDATE's text. One store for all of them, for the life of the process.

A plan holds names, SQL text and functions, never a connection (a converter is handed the connection of
the call), so threads share it; two threads making the same plan at once make equal ones, one is kept.
"""

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

_plans: dict[tuple[str, Hashable], Any] = {}


def plan_for(kind: str, key: Hashable, make: Callable[[], T]) -> T:
    """The plan of `kind` for `key`, made by `make()` the first time it is asked for."""
    try:
        plan: T = _plans[kind, key]
    except KeyError:
        plan = _plans[kind, key] = make()
    return plan
