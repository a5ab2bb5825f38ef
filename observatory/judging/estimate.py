"""The capacity estimator: a monotone fit of ln(severity) against ln(rate) over a block's trials, the rate where it
crosses the SLO, and a bootstrap interval over the trials.

Each valid constant-rate trial has a severity: how far it was from the SLO, as the larger of p99 / SLO p99 and
error rate / SLO error rate (a service that fell behind, with iterations dropped while it missed, counts as BAND):
below 1 it met the SLO, above it missed. Severity rises with the rate, steeply near a capacity (M/M/1: d ln p99 /
d ln rate = rho / (1 - rho), about 9 at rho = 0.9), and on a sync worker as a step (p99 20 ms, then 2 s within a
few per cent). Far from the knee it says nothing about where the SLO is met (at low rates p99 is the service's
floor, past the capacity the trial's length), so severities are clipped to BAND either way. The fit is isotonic
regression (scipy.optimize.isotonic_regression): the closest non-decreasing curve to the trials, which pools a trial
that met the SLO above one that missed (noise, a lapse, a slower moment of the host) with its neighbours instead of
trusting either. It assumes no shape: a gentle queue and a step are fitted alike. The capacity is where the fitted
curve crosses severity 1, interpolated on the log scale between the two trials around the crossing; its 90 %
interval is the percentile bootstrap (scipy.stats.bootstrap) over the trials, each resample fitted the same way,
and never narrower than the two trials around the crossing (between them the fit only interpolates).

Censoring: with no valid trial missing the SLO the capacity is only "≥" the highest rate that met it; with none
meeting it, it lies below the lowest rate tried. A resample that lost every miss (or every pass) cannot place the
capacity: the interval is taken over the resamples that can (with nine trials, three of them misses, about 7 % of
resamples lose every miss), and the Estimate says which share could not.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

BAND = 4.0  # the knee: severities from 1/4 to 4 times the SLO (p99 25-400 ms for 100 ms)
CONFIDENCE = 0.9
RESAMPLES = 400
SEED = 20261204  # the bootstrap's seed: the same trials always give the same interval


@dataclass(frozen=True)
class Point:
    """One valid trial as the fit sees it: the rate (offered, or normalised) and its severity (1 = the SLO)."""

    rate: float
    severity: float

    @property
    def met(self) -> bool:
        """Whether the trial met the SLO."""
        return self.severity <= 1.0


@dataclass(frozen=True)
class Estimate:
    """A capacity with its 90 % interval; `censored` is "above" (only ≥ low) or "below" (below high), else None."""

    value: float | None
    low: float | None
    high: float | None
    censored: str | None = None
    unplaced: float = 0.0  # the share of bootstrap resamples that lost every pass or every miss


def point_estimate(points: Sequence[Point]) -> float:
    """The rate where the monotone fit of ln severity over ln rate crosses the SLO (see the module's docstring); at
    the bound when the trials cannot bracket it (no miss: the highest pass; no pass: the lowest miss)."""
    return crossing(points)[0]


def crossing(points: Sequence[Point]) -> tuple[float, float, float]:
    """The crossing rate and the rates of the two trials around it (the same rate thrice at a bound)."""
    passes = [p.rate for p in points if p.met]
    misses = [p.rate for p in points if not p.met]
    if not misses:
        return (float(max(passes)),) * 3
    if not passes:
        return (float(min(misses)),) * 3
    ordered = sorted(points, key=lambda p: (p.rate, p.severity))
    x = np.log([p.rate for p in ordered])
    edge = math.log(BAND)
    y = np.clip(np.log([p.severity for p in ordered]), -edge, edge)
    fit = optimize.isotonic_regression(y, increasing=True).x
    above = np.flatnonzero(fit > 0)
    if above.size == 0:  # the pooled misses never rise above the SLO: the highest rate is still within it
        return (float(ordered[-1].rate),) * 3
    i = int(above[0])
    if i == 0:
        return (float(ordered[0].rate),) * 3
    x0, x1, y0, y1 = x[i - 1], x[i], fit[i - 1], fit[i]
    at = x0 if x1 == x0 else x0 + (x1 - x0) * (0 - y0) / (y1 - y0)
    return float(math.exp(at)), float(ordered[i - 1].rate), float(ordered[i].rate)


def estimate(points: Sequence[Point], *, resamples: int = RESAMPLES, seed: int = SEED) -> Estimate:
    """The capacity the trials say, with its bootstrap interval (see the module's docstring)."""
    points = list(points)
    if not points:
        return Estimate(None, None, None)
    value, below, above = crossing(points)
    if all(p.met for p in points):
        return Estimate(value, value, None, "above")
    if not any(p.met for p in points):
        return Estimate(None, None, value, "below")
    if len(points) < 3:
        passes, misses = [p.rate for p in points if p.met], [p.rate for p in points if not p.met]
        return Estimate(value, max(passes), min(misses))  # two trials: the bracket is all they say

    def statistic(sample: np.ndarray) -> float:
        chosen = [points[i] for i in sample]
        if all(p.met for p in chosen) or not any(p.met for p in chosen):
            return math.nan
        return point_estimate(chosen)

    found = _interval(value, ((np.arange(len(points)),), statistic, {}), resamples, seed)
    if found.low is None or found.high is None:
        return found
    # never narrower than the two trials around the crossing: between them the fit only interpolates, and a
    # resample that keeps both lands on the same line (the percentile bootstrap cannot see that error)
    return Estimate(value, min(found.low, below), max(found.high, above), unplaced=found.unplaced)


def _interval(
    value: float, problem: tuple[tuple[np.ndarray, ...], Any, dict[str, Any]], resamples: int, seed: int
) -> Estimate:
    """The percentile interval of `value` over the bootstrap resamples that could place it."""
    data, statistic, options = problem
    with warnings.catch_warnings():  # scipy's own interval over unplaced (nan) resamples: replaced below
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.bootstrap(
            data, statistic, vectorized=False, n_resamples=resamples, method="percentile",
            rng=np.random.default_rng(seed), **options,
        )  # fmt: skip
    values = np.asarray(result.bootstrap_distribution, dtype=float)
    placed = values[np.isfinite(values)]
    if placed.size < resamples / 2:  # most resamples cannot place it: the interval is not known
        return Estimate(value, None, None, unplaced=1 - placed.size / resamples)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(placed, [tail, 100 - tail])
    return Estimate(value, min(float(low), value), max(float(high), value), unplaced=1 - placed.size / resamples)


def ratio(a: Sequence[Point], b: Sequence[Point], *, resamples: int = RESAMPLES, seed: int = SEED) -> Estimate:
    """a's capacity over b's, from trials of one run, with a bootstrap interval (each side resampled on its own).

    Within a run a ratio cancels most of the host's speed: both sides ran on the same host in interleaved rounds.
    Censored sides make the ratio censored: None when either side lacks a pass or a miss.
    """
    a, b = list(a), list(b)
    for side in (a, b):
        if len(side) < 3 or all(p.met for p in side) or not any(p.met for p in side):
            return Estimate(None, None, None)
    value = point_estimate(a) / point_estimate(b)

    def statistic(sa: np.ndarray, sb: np.ndarray) -> float:
        chosen_a, chosen_b = [a[i] for i in sa], [b[i] for i in sb]
        for side in (chosen_a, chosen_b):
            if all(p.met for p in side) or not any(p.met for p in side):
                return math.nan
        return point_estimate(chosen_a) / point_estimate(chosen_b)

    return _interval(value, ((np.arange(len(a)), np.arange(len(b))), statistic, {"paired": False}), resamples, seed)
