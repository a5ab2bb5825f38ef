"""Sizing: how many workers (or replicas) each framework needs to serve a rate of one workload within the run's SLO.

The answer comes from the fitted scaling law (observatory/report/scaling.py) and its bootstrap bounds. It says when
the count lies beyond the measured range (an extrapolation of the law), when no count reaches the rate, and, for a
framework measured at one count only, gives the least it could need (perfect linear scaling) rather than a guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from observatory.report.scaling import LIMIT, Fit, scaling_fits, scaling_unit
from observatory.results import Run


@dataclass(frozen=True)
class Sizing:
    """The answer for one framework/profile at one rate."""

    framework: str
    profile: str
    workload: str
    unit: str
    rate: float
    needed: int | None  # from the fitted law; None when no count up to LIMIT reaches the rate
    low: int | None  # bounds over the bootstrap (None as high: some refits never reach the rate)
    high: int | None
    measured: tuple[int, int]  # the lowest and highest count measured
    ceiling: float  # the most the law gives at any count
    linear_only: bool = False  # one count measured: `needed` is a lower bound assuming perfect scaling
    lower_bound: bool = False  # some capacity behind the answer is only "at least" (≥): fewer may do

    @property
    def extrapolated(self) -> bool:
        """Whether the answer (or its upper bound) lies beyond the counts measured."""
        return self.needed is None or self.high is None or max(self.needed, self.high) > self.measured[1]

    def count(self) -> str:
        """`3 workers (2–4)`, `≥ 5 workers` or `no count`."""
        if self.needed is None:
            return f"no count (ceiling {self.ceiling:,.0f} req/s)"
        unit = self.unit[:-1] if self.needed == 1 else self.unit
        if self.linear_only:  # a lower-bound capacity pulls the other way: then neither bound holds
            return f"{'about' if self.lower_bound else '≥'} {self.needed} {unit}"
        bounds = (
            "" if self.low == self.high == self.needed else f" ({self.low}–{self.high if self.high else f'> {LIMIT}'})"
        )
        return f"{'≤ ' if self.lower_bound else ''}{self.needed} {unit}{bounds}"

    def note(self) -> str:
        """What the answer rests on, in words."""
        low, top = self.measured
        return self._basis(low, top) + (
            "; a capacity it rests on is a lower bound (≥), so fewer may do" if self.lower_bound else ""
        )

    def _basis(self, low: int, top: int) -> str:
        if self.linear_only:
            return (
                f"measured at {top} {self.unit} only: at least this many if scaling were perfectly linear; "
                f"measure a curve ({'a replica sweep' if self.unit == 'replicas' else '--workers 1,2,4'}) for an answer"
            )
        if self.needed is None:
            return f"the fitted law levels off at {self.ceiling:,.0f} req/s: more {self.unit} do not get there"
        if self.extrapolated:
            return f"extrapolated: the law is fitted to {low}–{top} {self.unit} and is assumed to hold beyond"
        return f"within the measured {low}–{top} {self.unit}"

    def sentence(self, slo: dict[str, float]) -> str:
        """The whole answer as one line."""
        within = f"p99 ≤ {slo.get('p99_ms', '?'):g} ms" if isinstance(slo.get("p99_ms"), (int, float)) else "the SLO"
        who = f"{self.framework}/{self.profile}"
        head = f"to serve {self.rate:,.0f} req/s of {self.workload} at {within}, {who}"
        if self.needed is None:
            return f"{head} cannot: {self.note()}"
        return f"{head} needs {self.count()}: {self.note()}"


def _from_fit(fit: Fit, rate: float) -> Sizing:
    needed = fit.law.needed_for(rate)
    answers = [s.needed_for(rate) for s in fit.samples] or [needed]
    finite = [a for a in answers if a is not None]
    low = min(finite) if finite else None
    high = None if len(finite) < len(answers) else max(finite)
    return Sizing(fit.framework, fit.profile, fit.workload, fit.unit, rate, needed, low, high,
                  (min(fit.counts), max(fit.counts)), fit.law.ceiling(), lower_bound=any(fit.lower_bounds))  # fmt: skip


def size(run: Run, rate: float, workload: str, fits: list[Fit] | None = None) -> list[Sizing]:
    """One answer per framework/profile that has a capacity for `workload` (`fits`: the run's, if already fitted)."""
    fits = [f for f in (scaling_fits(run) if fits is None else fits) if f.workload == workload]
    answers = [_from_fit(f, rate) for f in fits]
    fitted = {(f.framework, f.profile) for f in fits}
    for cap in run.capacity:
        if cap.workload != workload or not cap.estimate or (cap.framework, cap.profile) in fitted:
            continue
        fitted.add((cap.framework, cap.profile))
        single = max(
            (c for c in run.capacity if (c.framework, c.profile, c.workload) == (cap.framework, cap.profile, workload)
             and c.estimate),
            key=lambda c: c.workers,
        )  # fmt: skip
        per_worker = (single.estimate or 0.0) / single.workers
        needed = max(1, math.ceil(rate / per_worker))
        answers.append(Sizing(cap.framework, cap.profile, workload, scaling_unit(run), rate, needed, needed, needed,
                              (single.workers, single.workers), math.inf, linear_only=True,
                              lower_bound=single.lower_bound))  # fmt: skip
    return sorted(answers, key=lambda s: (s.framework, s.profile, s.unit))


def rates_to_show(run: Run, workload: str) -> list[float]:
    """A few round rates for the report's table: 1x, 2x and 4x the best capacity at the fewest workers measured."""
    fewest = min((c.workers for c in run.capacity if c.workload == workload and c.estimate), default=None)
    best = max((c.estimate or 0.0 for c in run.capacity if c.workload == workload and c.workers == fewest), default=0.0)
    if best <= 0:
        return []
    return [_round(best * factor) for factor in (1, 2, 4)]


def _round(value: float) -> float:
    magnitude = 10 ** max(0, math.floor(math.log10(value)) - 1)
    return float(round(value / magnitude) * magnitude)
