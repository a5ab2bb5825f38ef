"""Rows shared by the HTML and Markdown reports: capacity with spread and ties, invalid trials."""

from __future__ import annotations

from dataclasses import dataclass

from observatory.judging.capacity import INVALID_ABOVE
from observatory.judging.generator import GENERATOR
from observatory.judging.host import HOST
from observatory.results import Capacity, Run


@dataclass(frozen=True)
class CapacityRow:
    """A capacity and whether it is tied with the best of its workload (their ranges overlap)."""

    capacity: Capacity
    tied_with_best: bool

    @property
    def lower_bound(self) -> bool:
        """The capacity is at least this (observatory.judging.capacity)."""
        return self.capacity.lower_bound

    def value(self) -> str:
        """`≥ 1,200`, `1,200` or `–`."""
        return capacity_text(self.capacity)

    def note(self) -> str:
        """Ties, lower bounds, resolution and left-out repeats, in words."""
        c = self.capacity
        notes = []
        if self.tied_with_best:
            notes.append("tie with the best (ranges overlap)")
        if c.lower_bound:
            notes.append(f"at least this: {lower_bound_words(c)}")
        if c.resolution is not None and c.median:
            notes.append(f"resolution {c.resolution:,.0f} req/s ({c.resolution / c.median:.0%})")
        if c.unfinished_repeats:
            notes.append(f"{c.unfinished_repeats} unfinished repeat(s) left out")
        if c.undecided_repeats:
            notes.append(f"{c.undecided_repeats} undecided repeat(s) left out (see the invalid trials)")
        return "; ".join(notes)

    def spread(self) -> str:
        """`min–max (CV x%)` or the number of repeats when there is one."""
        c = self.capacity
        if len(c.per_repeat) < 2:
            return "1 repeat"
        cv = "" if c.cv is None else f", CV {c.cv:.1%}"
        return f"{c.low:,.0f}–{c.high:,.0f}{cv}"


def capacity_text(c: Capacity) -> str:
    """A capacity as published: `≥ 1,200` when only a lower bound, `–` when not measured."""
    if c.median is None:
        return "–"
    return f"{'≥ ' if c.lower_bound else ''}{c.median:,.0f}"


def lower_bound_words(c: Capacity) -> str:
    """Why a capacity is only a lower bound."""
    if c.lower_bound_reason == GENERATOR:
        return "the load generator ran out first (no valid trial above it missed the SLO)"
    if c.lower_bound_reason == HOST:
        return "the host stalled the trials above it or ran them off its usual speed (no valid trial above it missed the SLO)"
    if c.lower_bound_reason == INVALID_ABOVE:
        return "the trials above it were invalid (see why below)"
    return "every rate tried passed; a larger --size searches further"


def capacity_rows(run: Run) -> list[CapacityRow]:
    """Capacities by workload then rank; ties are ranges that overlap the best one's."""
    rows = []
    for workload in sorted({c.workload for c in run.capacity}):
        ranked = sorted((c for c in run.capacity if c.workload == workload), key=lambda c: -(c.median or 0))
        best = ranked[0]
        for cap in ranked:
            tied = cap is not best and len(cap.per_repeat) > 1 and (cap.high or 0) >= (best.low or 0)
            rows.append(CapacityRow(cap, tied))
    return rows


def invalid_trials(run: Run) -> list[tuple[str, str]]:
    """(trial id, reasons) of every invalid trial."""
    return [(t.trial_id, "; ".join(t.invalid_reasons)) for t in run.trials if not t.valid]


def environment_line(run: Run) -> str:
    """One line of conditions: Python, CPU, pinning, k6, Prometheus, database."""
    env = run.environment
    pinning = env.get("pinning", {})
    return (
        f"Python {env.get('python', '?')} on {env.get('cpu_model', '?')} ({env.get('cores', '?')} cores); "
        f"services pinned to {pinning.get('service_cores', '?')}, k6 and Prometheus to "
        f"{pinning.get('k6_and_prometheus_cores', '?')}; {env.get('k6', 'k6 ?')}; "
        f"database {run.settings.get('database', '?')}; instrumentation {run.settings.get('instrumentation', '?')}"
    )
