"""The capacity search: which constant rates to try, bracketing then bisecting, and confirming the best pass.

The verdict on each rate is observatory.judging's (`rate_verdict` over every trial at that rate in the repeat);
the search stops when the gap between its best pass and the lowest failure above it is at most
`judging.capacity.TARGET_RESOLUTION` of the best pass, once the best pass is confirmed by a second trial.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from observatory.judging import capacity as judged

# The first rates tried, as fractions of the closed-model probe's throughput. Measured here with a 64-VU probe,
# capacities fall in two groups: 0.6-0.8 of the probe (json and db on sync workers, each of whose requests waits for
# the client's close, longer when k6 holds more connections: README, "Why a sync worker's capacity depends on its
# client") and 0.92-1.01 (cpu, io, FastAPI db). The 1.05 step ends the second group's search at
# 5 % right after 1.0 passes: 5.6 trials on average over those capacities, confirmation included, against 6.1
# with (0.85, 1.0, 1.15, ...). Tests: tests/run/test_search.py.
BRACKET = (0.85, 1.0, 1.05, 1.15, 1.4, 2.0)


@dataclass
class SearchOutcome:
    """Every rate tried (in order, a confirmation repeats its rate), the best pass and the lowest failure above it."""

    rates: list[float] = field(default_factory=list)
    passed: set[float] = field(default_factory=set)
    failed: set[float] = field(default_factory=set)
    confirmed: bool = False

    @property
    def best_pass(self) -> float | None:
        """The highest rate whose verdict is a pass."""
        return max(self.passed, default=None)

    @property
    def lowest_failure(self) -> float | None:
        """The lowest failing rate above the best pass (any failing rate when nothing passed)."""
        best = self.best_pass
        return min((r for r in self.failed if best is None or r > best), default=None)

    def gap(self) -> float | None:
        """Lowest failure minus best pass, or None while either is missing."""
        best, failure = self.best_pass, self.lowest_failure
        return None if best is None or failure is None else failure - best


def _try(outcome: SearchOutcome, rate: float, passes: Callable[[float], bool]) -> None:
    outcome.rates.append(rate)
    if passes(rate):
        outcome.passed.add(rate)
        outcome.failed.discard(rate)
    else:
        outcome.failed.add(rate)
        outcome.passed.discard(rate)  # a confirmation that missed turns the rate into a failure


def _next_rate(outcome: SearchOutcome, probe_rps: float, resolution: float, ceiling: float | None) -> float | None:
    best, failure = outcome.best_pass, outcome.lowest_failure
    if failure is None:  # everything passed so far: climb the bracket, then by half again, up to k6's ceiling
        assert best is not None
        if ceiling is not None and best >= ceiling:
            return None  # above it a miss would be k6's, not the service's: the capacity is "≥ best"
        above = [float(round(probe_rps * f)) for f in BRACKET if round(probe_rps * f) > best]  # as tried: rounded
        rate = above[0] if above else best * 1.5
        return rate if ceiling is None else min(rate, ceiling)
    if best is None:  # everything failed: halve
        rate = max(1.0, failure / 2)
        return None if rate >= failure else rate
    if failure - best <= max(1.0, best * resolution):
        return None
    return (best + failure) / 2


def search(
    probe_rps: float,
    steps: int,
    passes: Callable[[float], bool],
    *,
    resolution: float | None = None,
    confirm: bool = True,
    ceiling: float | None = None,
) -> SearchOutcome:
    """Try up to `steps` rates (a confirmation counts as one); stop once the best pass is confirmed and the gap to
    the lowest failure is at most `resolution` of it (by default judging.capacity.TARGET_RESOLUTION).

    With the load generator's clean `ceiling`, it climbs no higher than the ceiling: a pass there is published as
    "≥" (judging.generator.generator_bound), and rates above it would only be k6's own limits.
    """
    resolution = judged.TARGET_RESOLUTION if resolution is None else resolution
    outcome = SearchOutcome()
    first = max(1.0, probe_rps * BRACKET[0])
    # a probe faster than k6's clean ceiling: above the ceiling every trial would be k6's, so start there
    rate: float | None = first if ceiling is None else min(first, ceiling)
    while len(outcome.rates) < steps:
        if rate is None:
            best = outcome.best_pass
            if not confirm or best is None or outcome.confirmed:
                break
            outcome.confirmed = True
            _try(outcome, best, passes)
            if outcome.best_pass == best:
                break
            outcome.confirmed = False  # the confirmation missed: search on below it
        else:
            _try(outcome, float(round(rate)), passes)
        rate = _next_rate(outcome, probe_rps, resolution, ceiling)
    return outcome
