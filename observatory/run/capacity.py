"""Capacity: the highest arrival rate that meets the SLO, found by bracketing then bisecting, summarised over repeats."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable

from observatory.results import Capacity, Trial

# The first rates tried, as fractions of the closed-model probe's throughput.
BRACKET = (0.7, 0.9, 1.1, 1.4, 2.0)


def search(probe_rps: float, steps: int, passes: Callable[[float], bool]) -> float | None:
    """Try up to `steps` rates; return the highest that passed, or None when none did.

    Starts below the probe's throughput and climbs the bracket until a rate fails, then bisects
    between the best pass and the lowest failure. If the first rate fails, it halves downwards.
    """
    best: float | None = None
    lowest_failure: float | None = None
    rate = max(1.0, probe_rps * BRACKET[0])
    bracket = iter(BRACKET[1:])
    for _ in range(steps):
        rate = float(round(rate))
        if passes(rate):
            best = rate
        else:
            lowest_failure = rate
        if lowest_failure is None:
            factor = next(bracket, None)
            rate = probe_rps * factor if factor else rate * 1.5
        elif best is None:
            rate = max(1.0, lowest_failure / 2)
            if rate == lowest_failure:
                break
        else:
            middle = (best + lowest_failure) / 2
            if lowest_failure - best <= max(1.0, best * 0.02):
                break
            rate = middle
    return best


def summarise(framework: str, profile: str, workload: str, workers: int, per_repeat: list[float | None]) -> Capacity:
    """Median and spread of the capacities found in each repeat (a repeat with no passing rate counts as 0)."""
    values = [v if v is not None else 0.0 for v in per_repeat]
    if not values:
        return Capacity(framework, profile, workload, workers, per_repeat, None, None, None, None)
    mean = statistics.fmean(values)
    cv = statistics.stdev(values) / mean if len(values) > 1 and mean > 0 else None
    return Capacity(
        framework=framework,
        profile=profile,
        workload=workload,
        workers=workers,
        per_repeat=per_repeat,
        median=statistics.median(values),
        low=min(values),
        high=max(values),
        cv=cv,
    )


def from_trials(trials: Iterable[Trial]) -> list[Capacity]:
    """Each configuration's capacity: per repeat, the highest constant rate whose trial met the SLO."""
    groups: dict[tuple[str, str, str, int], dict[int, float | None]] = {}
    for trial in trials:
        key = (trial.framework, trial.profile, trial.workload, trial.workers)
        per_repeat = groups.setdefault(key, {})
        per_repeat.setdefault(trial.repeat, None)
        if trial.scenario == "constant" and trial.slo_met and trial.offered_rate is not None:
            best = per_repeat[trial.repeat]
            per_repeat[trial.repeat] = max(best or 0.0, trial.offered_rate)
    return [summarise(*key, [per_repeat[r] for r in sorted(per_repeat)]) for key, per_repeat in groups.items()]


def is_lower_bound(cap: Capacity, trials: Iterable[Trial]) -> bool:
    """True when, in every repeat, no valid trial above the capacity missed the SLO: the search ran out of steps
    while everything passed, or the rates above were invalid (the load generator gave out first). Either way the
    service's capacity is at least this.
    """
    key = (cap.framework, cap.profile, cap.workload, cap.workers)
    tried = [t for t in trials if t.scenario == "constant" and (t.framework, t.profile, t.workload, t.workers) == key]
    if not tried or cap.median is None or not cap.median:
        return False
    for repeat, found in enumerate(cap.per_repeat, start=1):
        above = [t for t in tried if t.repeat == repeat and (t.offered_rate or 0) > (found or 0)]
        if any(t.valid and not t.slo_met for t in above):
            return False
    return True
