"""Capacity: for each configuration, the fitted rate at which the service meets the SLO, with its 90 % interval, its
spread over rounds, and a host-normalised figure (observatory.judging.estimate fits; this module picks the trials).

Rules, in words (docs/judging.md):
- Every valid constant-rate trial of the configuration, from every round, is a point of the fit; a trial whose
  window held a host stall of half the SLO's p99 or more is left out (judging.host.stalled) and counted.
- The raw capacity is fitted on the offered rates; each round is also fitted alone, and the CV of those is the
  spread over rounds.
- The host-normalised capacity is fitted on each rate divided by the share of a usual core the service's cores had
  in the trial's window (judging.host.service_share): the capacity on cores left to the service, at the run's usual
  speed.
- With no valid trial missing the SLO the capacity is only "≥" its estimate: because of the load generator when the
  highest rate reached k6's clean ceiling or a rate above it was invalid for a generator guard, else because every
  rate tried passed. An interval reaching the ceiling is
  open above for the same reason. With no valid trial meeting it, the capacity is below the lowest rate tried.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from observatory.judging import estimate as estimator
from observatory.judging.estimate import Estimate, Point, estimate, point_estimate, ratio
from observatory.judging.generator import GENERATOR
from observatory.judging.host import service_share, stalled
from observatory.judging.slo import Slo
from observatory.results import Capacity, Trial

Key = tuple[str, str, str, int]
ALL_PASSED = "every rate tried met the SLO"
ALL_MISSED = "every rate tried missed the SLO"
AT_CAPACITY = 0.15  # trials within this share of the estimate give the p99 and CPU cost "at capacity"


@dataclass(frozen=True)
class Fitted:
    """One configuration's trials, sorted for the fit: the points, and how many stalled trials were left out."""

    raw: list[Point]
    normalised: list[Point]
    rounds: dict[int, list[Point]]
    left_out: int


def key_of(item: Trial | Capacity) -> Key:
    """(framework, profile, workload, workers): what a capacity is measured for."""
    return (item.framework, item.profile, item.workload, item.workers)


def severity(trial: Trial, slo: Slo) -> float:
    """How far the trial was from the SLO: 1 at the bound, above it a miss (see judging.estimate)."""
    p99 = trial.client_latency.p99
    band = estimator.BAND
    worst = band if p99 is None else p99 * 1000 / slo.p99_ms
    if slo.error_rate > 0:
        worst = max(worst, trial.error_rate / slo.error_rate)
    elif trial.error_rate > 0:
        worst = max(worst, band)
    if trial.dropped_iterations and worst > 1:  # the service fell behind: far past its capacity
        worst = max(worst, band)
    return max(worst, 1e-3)


def fitted(trials: Iterable[Trial], slo: Slo) -> Fitted:
    """The points of the fit from a configuration's trials (valid constant-rate trials, stalled ones left out)."""
    raw: list[Point] = []
    normalised: list[Point] = []
    rounds: dict[int, list[Point]] = {}
    left_out = 0
    for trial in trials:
        if trial.scenario != "constant" or trial.offered_rate is None or not trial.valid:
            continue
        if stalled(trial, slo):
            left_out += 1
            continue
        point = Point(trial.offered_rate, severity(trial, slo))
        raw.append(point)
        rounds.setdefault(trial.repeat, []).append(point)
        normalised.append(Point(trial.offered_rate / (service_share(trial) or 1.0), point.severity))
    return Fitted(raw, normalised, rounds, left_out)


def _censoring(
    found: Estimate, points: list[Point], ceiling: float | None, trials: list[Trial]
) -> tuple[bool, str | None]:
    """Whether the capacity is a lower bound (≥), and why: the generator when the highest rate reached its clean
    ceiling or a rate above it was invalid for a generator guard; else every rate passed."""
    if found.censored == "above":
        top = max(p.rate for p in points)
        k6_above = any(
            not t.valid and (t.offered_rate or 0) > top and any(r.startswith(GENERATOR) for r in t.invalid_reasons)
            for t in trials
        )
        return True, GENERATOR if k6_above or (ceiling is not None and top >= ceiling * 0.99) else ALL_PASSED
    if found.censored == "below":
        return False, ALL_MISSED
    return False, None


def summarise(key: Key, trials: list[Trial], slo: Slo) -> Capacity:
    """One configuration's capacity from its trials (every round)."""
    fit = fitted(trials, slo)
    cap = Capacity(*key, per_repeat=[], estimate=None, low=None, high=None, cv=None)
    cap.trials_fitted, cap.trials_left_out = len(fit.raw), fit.left_out
    if not fit.raw:
        return cap
    found = estimate(fit.raw)
    ceiling = max((t.generator_ceiling_rps for t in trials if t.generator_ceiling_rps), default=None)
    cap.estimate, cap.low, cap.high = found.value, found.low, found.high
    cap.lower_bound, cap.lower_bound_reason = _censoring(found, fit.raw, ceiling, trials)
    if ceiling is not None and cap.high is not None and cap.high >= ceiling * 0.99:
        cap.high, cap.lower_bound_reason = None, cap.lower_bound_reason or GENERATOR  # open above: k6's limit
    per_round = [point_estimate(points) for _, points in sorted(fit.rounds.items())]
    cap.per_repeat = [round(value, 1) for value in per_round]
    if len(per_round) > 1 and statistics.fmean(per_round) > 0:
        cap.cv = statistics.stdev(per_round) / statistics.fmean(per_round)
    normal = estimate(fit.normalised)
    cap.normalised, cap.normalised_low, cap.normalised_high = normal.value, normal.low, normal.high
    _at_capacity(cap, trials)
    return cap


def _median_of(trials: Iterable[Trial], value: Callable[[Trial], float | None]) -> float | None:
    values = [v for t in trials if (v := value(t)) is not None]
    return statistics.median(values) if values else None


def _at_capacity(cap: Capacity, trials: list[Trial]) -> None:
    """p99 and CPU per 1,000 requests near the capacity (medians over the valid trials within AT_CAPACITY below
    it), and the peak memory over every valid trial."""
    constant = [t for t in trials if t.valid and t.scenario == "constant" and t.offered_rate]
    if cap.estimate:
        near = [t for t in constant if (1 - AT_CAPACITY) * cap.estimate <= (t.offered_rate or 0) <= cap.estimate]
        cap.p99_at_capacity = _median_of([t for t in near if t.slo_met], lambda t: t.client_latency.p99)
        cap.cpu_seconds_per_1k = _median_of(near or constant, lambda t: t.cpu_seconds_per_1k)
    valid = [t for t in trials if t.valid]
    cap.peak_rss_bytes = max((t.peak_rss_bytes for t in valid if t.peak_rss_bytes is not None), default=None)
    cap.peak_pss_bytes = max((t.peak_pss_bytes for t in valid if t.peak_pss_bytes is not None), default=None)


def from_trials(trials: Iterable[Trial], slo: Slo | None = None) -> list[Capacity]:
    """Each configuration's capacity, in the order its first trial ran."""
    slo = slo or Slo()
    grouped: dict[Key, list[Trial]] = {}
    for trial in trials:
        grouped.setdefault(key_of(trial), []).append(trial)
    return [summarise(key, group, slo) for key, group in grouped.items()]


def capacity_ratio(a: Iterable[Trial], b: Iterable[Trial], slo: Slo | None = None) -> Estimate:
    """Configuration a's raw capacity over b's, measured in one run, with its 90 % interval (estimate.ratio)."""
    slo = slo or Slo()
    return ratio(fitted(a, slo).raw, fitted(b, slo).raw)


def bounds(cap: Capacity) -> tuple[float, float]:
    """The capacity's 90 % interval; open above (infinity) when it is a lower bound or its interval reached k6."""
    if cap.estimate is None:  # every rate missed: below the lowest tried
        return 0.0, cap.high or 0.0
    low = cap.low if cap.low is not None else cap.estimate
    if cap.lower_bound or cap.high is None:
        return low, float("inf")
    return low, cap.high
