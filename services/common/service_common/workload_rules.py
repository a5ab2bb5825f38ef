"""Workload rules shared by every service: TechEmpower's query clamping, random ids, CPU work."""

from __future__ import annotations

import random

from service_common.limits import QUERIES_MAX, QUERIES_MIN, WORLD_ROWS
from service_common.params import strict_int

HELLO = "Hello, World!"
ADDED_FORTUNE = "Additional fortune added at request time."


def clamp_queries(raw: str | None) -> int:
    """TechEmpower's rule: a missing or non-integer count is 1, anything else is clamped to 1..500.

    An integer is what `params.strict_int` accepts: `+2`, `2.0` or `٢` are not integers, so they count as 1.
    """
    count = strict_int(raw) if raw is not None else None
    if count is None:
        return QUERIES_MIN
    return max(QUERIES_MIN, min(QUERIES_MAX, count))


def random_world_id() -> int:
    """A uniformly random id of the world table."""
    return random.randint(1, WORLD_ROWS)


def random_number() -> int:
    """A new random value for a world row."""
    return random.randint(1, WORLD_ROWS)


def cpu_work(n: int) -> int:
    """Pure-Python integer work, linear in `n` (an LCG walk), deterministic for a given `n`."""
    state = 0
    total = 0
    for _ in range(n):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        total ^= state
    return total


def distinct_world_ids(count: int) -> list[int]:
    """`count` different random ids, sorted (so concurrent updates lock rows in one order)."""
    return sorted(random.sample(range(1, WORLD_ROWS + 1), count))
