"""The capacity search: which constant rates to try, bracketing then bisecting, and confirming the best pass.

The verdict on each rate is observatory.judging's (`rate_verdict` over every trial at that rate in the repeat);
the search stops when the gap between its best pass and the lowest failure above it is at most
`judging.capacity.TARGET_RESOLUTION` of the best pass, once the best pass is confirmed by a second trial.

A rate the host left undecided (every attempt at it ran while a core stalled or ran off its usual speed:
`judging.trial.search_verdict` is None) is neither a pass nor a failure. The search treats it as the highest rate it
can reach for now, closes in on it from below, and then tries it once more; a confirmation left undecided is tried
once more too. Counting such a rate as a failure sent whole searches down on the host's account: in a flask json
repeat on a host switching speeds, 2,000 and 1,000 req/s were each invalid three times, and the search went down
to 500 req/s and published "≥ 938 (host)" where the other repeats found 1,190-1,324. After MAX_UNDECIDED such
tries the search stops with what it has, and judging.capacity says what that is worth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeAlias

from observatory.judging import capacity as judged

# The first rates tried, as fractions of the closed-model probe's throughput. Measured here with a 64-VU probe,
# capacities fall in two groups: 0.6-0.8 of the probe (json and db on sync workers, each of whose requests waits for
# the client's close, longer when k6 holds more connections: README, "Why a sync worker's capacity depends on its
# client") and 0.92-1.01 (cpu, io, FastAPI db). The 1.05 step ends the second group's search at
# 5 % right after 1.0 passes: 5.6 trials on average over those capacities, confirmation included, against 6.1
# with (0.85, 1.0, 1.15, ...). Tests: tests/run/test_search.py.
BRACKET = (0.85, 1.0, 1.05, 1.15, 1.4, 2.0)

# A search that the host has left undecided this many times stops with what it has: each undecided try already ran
# up to three trials, each after waiting up to 10 s for the host's usual speed (session._run_block), so a host
# that stays off its usual speed this long would otherwise hold the run for minutes.
MAX_UNDECIDED = 3

# What a try at a rate says: True it passed, False it missed (or a guard other than the host's made it unusable),
# None the host left it undecided.
Verdict: TypeAlias = bool | None


@dataclass
class SearchOutcome:
    """Every rate tried (in order, a confirmation repeats its rate), the best pass and the lowest failure above it."""

    rates: list[float] = field(default_factory=list)
    passed: set[float] = field(default_factory=set)
    failed: set[float] = field(default_factory=set)
    undecided: set[float] = field(default_factory=set)  # rates the host left without a verdict (so far)
    undecided_tries: int = 0  # tries (first ones, revisits, confirmations) the host left undecided
    revisited: set[float] = field(default_factory=set)  # undecided rates (or confirmations) already tried again
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

    @property
    def lowest_undecided(self) -> float | None:
        """The lowest rate above the best pass that the host left undecided."""
        best = self.best_pass
        return min((r for r in self.undecided if best is None or r > best), default=None)

    def gap(self) -> float | None:
        """Lowest failure minus best pass, or None while either is missing."""
        best, failure = self.best_pass, self.lowest_failure
        return None if best is None or failure is None else failure - best


def _try(outcome: SearchOutcome, rate: float, passes: Callable[[float], Verdict]) -> Verdict:
    outcome.rates.append(rate)
    verdict = passes(rate)
    if verdict is None:
        outcome.undecided_tries += 1
        if rate not in outcome.passed:  # an undecided confirmation leaves its earlier pass as it was: unconfirmed
            outcome.undecided.add(rate)
        return None
    outcome.undecided.discard(rate)
    if verdict:
        outcome.passed.add(rate)
        outcome.failed.discard(rate)
    else:
        outcome.failed.add(rate)
        outcome.passed.discard(rate)  # a confirmation that missed turns the rate into a failure
    return verdict


def _next_rate(outcome: SearchOutcome, probe_rps: float, resolution: float, ceiling: float | None) -> float | None:
    best, failure, pending = outcome.best_pass, outcome.lowest_failure, outcome.lowest_undecided
    limits = [r for r in (failure, pending) if r is not None]
    upper = min(limits, default=None)  # nothing above it is known: a failure, or a rate the host left undecided
    if upper is None:  # everything passed so far: climb the bracket, then by half again, up to k6's ceiling
        assert best is not None
        if ceiling is not None and best >= ceiling:
            return None  # above it a miss would be k6's, not the service's: the capacity is "≥ best"
        above = [float(round(probe_rps * f)) for f in BRACKET if round(probe_rps * f) > best]  # as tried: rounded
        rate = above[0] if above else best * 1.5
        return rate if ceiling is None else min(rate, ceiling)
    closed_in = best is None or upper - best <= max(1.0, best * resolution)
    if closed_in and upper == pending and pending not in outcome.revisited:
        outcome.revisited.add(pending)
        return pending  # nothing to learn below a rate the host left undecided (or nothing passed): try it again
    if best is None:  # nothing passed: halve
        rate = max(1.0, upper / 2)
        return None if rate >= upper else rate
    if closed_in:
        return None
    return (best + upper) / 2


def search(
    probe_rps: float,
    steps: int,
    passes: Callable[[float], Verdict],
    *,
    resolution: float | None = None,
    confirm: bool = True,
    ceiling: float | None = None,
) -> SearchOutcome:
    """Try up to `steps` rates (a confirmation counts as one); stop once the best pass is confirmed and the gap to
    the lowest failure is at most `resolution` of it (by default judging.capacity.TARGET_RESOLUTION).
    `passes` says True, False, or None when the host left the rate undecided (see the module's docstring).

    With the load generator's clean `ceiling`, it climbs no higher than the ceiling: a pass there is published as
    "≥" (judging.generator.generator_bound), and rates above it would only be k6's own limits.
    """
    resolution = judged.TARGET_RESOLUTION if resolution is None else resolution
    if ceiling is not None and ceiling < 1:  # no rate was clean (a busy host): no ceiling to climb to, k6 sends from 1
        ceiling = None  # judging still reads every miss as the generator's (generator_bound): the capacity is "≥"
    outcome = SearchOutcome()
    first = max(1.0, probe_rps * BRACKET[0])
    # a probe faster than k6's clean ceiling: above the ceiling every trial would be k6's, so start there
    rate: float | None = first if ceiling is None else min(first, ceiling)
    while len(outcome.rates) < steps and outcome.undecided_tries < MAX_UNDECIDED:
        if rate is None:
            best = outcome.best_pass
            if not confirm or best is None or outcome.confirmed:
                break
            outcome.confirmed = True
            if _try(outcome, best, passes) is None:  # the host left the confirmation undecided
                outcome.confirmed = False
                if best in outcome.revisited:
                    break  # twice: the best pass stays unconfirmed
                outcome.revisited.add(best)
                continue
            if outcome.best_pass == best:
                break
            outcome.confirmed = False  # the confirmation missed: search on below it
        else:
            _try(outcome, float(round(rate)), passes)
        rate = _next_rate(outcome, probe_rps, resolution, ceiling)
    return outcome
