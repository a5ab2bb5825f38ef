"""Capacity: per repeat, the highest constant rate that met the SLO and the lowest rate above it that missed;
over repeats, the median with its spread, whether it is only a lower bound, and the search's resolution.

Rules, in words (README "How a trial and a capacity are judged"):
- A rate passes in a repeat when a valid trial at it met the SLO and none missed (`trial.rate_verdict`).
- A repeat's capacity is its best pass; its resolution is the gap to the lowest miss above it.
- A repeat with no miss above its best pass is censored: the service's capacity is at least the best pass.
  The reason is the load generator when a guard blamed it on a trial above, else the host when it stalled them,
  else other invalid trials above, else the search ran out of steps (every rate tried passed).
- A repeat whose best pass is at or above the generator's calibrated clean ceiling, or whose lowest miss lies above
  it, is censored too, by the load generator (generator.generator_bound).
- A capacity is a lower bound ("≥") when any finished repeat is censored.
- A repeat whose search did not finish (the run was stopped) is left out; the capacity says how many were.
- A finished repeat with no passing rate counts as 0: the service missed the SLO at every rate tried. A repeat in
  which no trial was valid decided nothing: it is left out too, and counted as undecided. So is a repeat with no
  pass whose rates below its lowest miss the host left undecided: its capacity is below that miss, but not known
  to be 0.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from observatory.judging.generator import GENERATOR, generator_bound
from observatory.judging.host import HOST
from observatory.judging.trial import INVALID, MISS, PASS, generator_decided, host_decided, rate_verdict
from observatory.results import Capacity, Trial

Key = tuple[str, str, str, int]
# The search bisects until the gap between its best pass and the lowest failure above is at most this share of the
# best pass (run/search.py); the capacity's resolution is that gap, published with it.
TARGET_RESOLUTION = 0.05
OUT_OF_STEPS = "out of steps: every rate tried passed"
GENERATOR_REASON = GENERATOR
HOST_REASON = HOST
INVALID_ABOVE = "invalid trials above"


@dataclass(frozen=True)
class RepeatOutcome:
    """What one repeat's trials say: the best pass, the lowest miss above it, and why there is none."""

    repeat: int
    best_pass: float | None
    lowest_miss: float | None
    censored_by: str | None  # None, GENERATOR_REASON, HOST_REASON, INVALID_ABOVE or OUT_OF_STEPS
    host_left_below: bool = False  # no rate passed, and the host left a rate below the lowest miss undecided

    @property
    def undecided(self) -> bool:
        """No rate passed, and either none missed validly (every trial was invalid) or the host left the rates below
        the miss undecided: the repeat does not say what the capacity is."""
        return self.best_pass is None and (self.lowest_miss is None or self.host_left_below)

    @property
    def gap(self) -> float | None:
        """The search's resolution in this repeat: the true capacity lies in [best pass, lowest miss)."""
        if self.best_pass is None or self.lowest_miss is None:
            return None
        return self.lowest_miss - self.best_pass


def key_of(item: Trial | Capacity) -> Key:
    """(framework, profile, workload, workers): what a capacity is measured for."""
    return (item.framework, item.profile, item.workload, item.workers)


def repeat_outcome(repeat: int, trials: Iterable[Trial]) -> RepeatOutcome:
    """One repeat's outcome from its constant-rate trials."""
    by_rate: dict[float, list[Trial]] = {}
    for trial in trials:
        if trial.scenario == "constant" and trial.offered_rate is not None:
            by_rate.setdefault(trial.offered_rate, []).append(trial)
    verdicts = {rate: rate_verdict(group) for rate, group in by_rate.items()}
    best = max((rate for rate, verdict in verdicts.items() if verdict == PASS), default=None)
    above = sorted(rate for rate in verdicts if best is None or rate > best)
    lowest_miss = next((rate for rate in above if verdicts[rate] == MISS), None)
    ceiling = max(
        (t.generator_ceiling_rps for g in by_rate.values() for t in g if t.generator_ceiling_rps), default=None
    )
    host_left_below = (
        best is None
        and lowest_miss is not None
        and any(verdicts[r] == INVALID and any(map(host_decided, by_rate[r])) for r in by_rate if r < lowest_miss)
    )
    censored_by = None
    if generator_bound(best, lowest_miss, ceiling):
        censored_by = GENERATOR_REASON
    elif best is not None and lowest_miss is None:
        undecided = [t for rate in above if verdicts[rate] == INVALID for t in by_rate[rate]]
        if any(generator_decided(t) for t in undecided):
            censored_by = GENERATOR_REASON
        elif any(host_decided(t) for t in undecided):
            censored_by = HOST_REASON
        elif undecided:
            censored_by = INVALID_ABOVE
        else:
            censored_by = OUT_OF_STEPS
    return RepeatOutcome(repeat, best, lowest_miss, censored_by, host_left_below)


def repeat_outcomes(trials: Iterable[Trial]) -> dict[Key, dict[int, RepeatOutcome]]:
    """Every configuration's outcome per repeat (repeats in which it ran at least one trial)."""
    grouped: dict[Key, dict[int, list[Trial]]] = {}
    for trial in trials:
        grouped.setdefault(key_of(trial), {}).setdefault(trial.repeat, []).append(trial)
    return {
        key: {repeat: repeat_outcome(repeat, group) for repeat, group in sorted(repeats.items())}
        for key, repeats in grouped.items()
    }


def _median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(
    framework: str,
    profile: str,
    workload: str,
    workers: int,
    per_repeat: list[float | None],
    *,
    outcomes: list[RepeatOutcome] | None = None,
    unfinished: int = 0,
    trials: Collection[Trial] = (),
) -> Capacity:
    """Median and spread over the finished repeats (a repeat with no passing rate counts as 0)."""
    values = [v if v is not None else 0.0 for v in per_repeat]
    outcomes = outcomes or []
    censored = [o.censored_by for o in outcomes if o.censored_by]
    gaps = [g for o in outcomes if (g := o.gap) is not None]
    cap = Capacity(
        framework, profile, workload, workers, per_repeat, None, None, None, None, unfinished_repeats=unfinished
    )
    if not values:
        return cap
    mean = statistics.fmean(values)
    cap.median = statistics.median(values)
    cap.low, cap.high = min(values), max(values)
    cap.cv = statistics.stdev(values) / mean if len(values) > 1 and mean > 0 else None
    cap.lower_bound = bool(censored) and bool(cap.median)
    if cap.lower_bound:
        order = (GENERATOR_REASON, HOST_REASON, INVALID_ABOVE, OUT_OF_STEPS)
        cap.lower_bound_reason = next(reason for reason in order if reason in censored)
    cap.resolution = max(gaps) if gaps else None
    _at_capacity(cap, outcomes, trials)
    return cap


def _at_capacity(cap: Capacity, outcomes: list[RepeatOutcome], trials: Collection[Trial]) -> None:
    """p99 and CPU per 1,000 requests at each repeat's capacity (median over repeats), and peak memory."""
    p99s, cpus = [], []
    for outcome in outcomes:
        at = [
            t for t in trials
            if t.repeat == outcome.repeat and t.scenario == "constant" and t.offered_rate == outcome.best_pass
            and t.valid and t.slo_met
        ]  # fmt: skip
        if p99 := [t.client_latency.p99 for t in at if t.client_latency.p99 is not None]:
            p99s.append(max(p99))  # a confirmed rate: the worse of its passing trials
        if cpu := [t.cpu_seconds_per_1k for t in at if t.cpu_seconds_per_1k is not None]:
            cpus.append(max(cpu))
    cap.p99_at_capacity = _median_or_none(p99s)
    cap.cpu_seconds_per_1k = _median_or_none(cpus)
    rss = [t.peak_rss_bytes for t in trials if t.valid and t.peak_rss_bytes is not None]
    cap.peak_rss_bytes = max(rss) if rss else None
    pss = [t.peak_pss_bytes for t in trials if t.valid and t.peak_pss_bytes is not None]
    cap.peak_pss_bytes = max(pss) if pss else None


def from_trials(trials: Iterable[Trial], finished: Collection[tuple[Key, int]] | None = None) -> list[Capacity]:
    """Each configuration's capacity over its repeats.

    `finished` holds the (configuration, repeat) pairs whose search completed; None means every repeat that ran
    a trial finished (summaries imported from k6, where each scheduled ladder ran to its end).
    """
    trials = list(trials)
    capacities = []
    for key, outcomes in repeat_outcomes(trials).items():
        done = [o for r, o in outcomes.items() if finished is None or (key, r) in finished]
        decided = [o for o in done if not o.undecided]
        mine = [t for t in trials if key_of(t) == key]
        cap = summarise(
            *key, [o.best_pass for o in decided], outcomes=decided, unfinished=len(outcomes) - len(done), trials=mine
        )
        cap.undecided_repeats = len(done) - len(decided)
        capacities.append(cap)
    return capacities


def is_lower_bound(cap: Capacity) -> bool:
    """True when the capacity is only a lower bound: some finished repeat found no rate above it that missed."""
    return cap.lower_bound


def bounds(cap: Capacity) -> tuple[float, float]:
    """Where the service's capacity plausibly lies, over repeats: from the lowest repeat's best pass to the highest
    repeat's best pass plus the search's resolution; unbounded above when it is only a lower bound."""
    low = cap.low or 0.0
    if cap.lower_bound:
        return low, math.inf
    return low, (cap.high or 0.0) + (cap.resolution or 0.0)
