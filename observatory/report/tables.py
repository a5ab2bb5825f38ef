"""Rows shared by the HTML and Markdown reports: capacity with its interval, spread and ties, invalid trials."""

from __future__ import annotations

from dataclasses import dataclass

from observatory.judging.capacity import ALL_MISSED, ALL_PASSED
from observatory.judging.generator import GENERATOR
from observatory.results import Capacity, Run


@dataclass(frozen=True)
class CapacityRow:
    """A capacity and whether it is tied with the best of its workload (their 90 % intervals overlap)."""

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
        """Ties, lower bounds and trials left out, in words."""
        c = self.capacity
        notes = []
        if self.tied_with_best:
            notes.append("tie with the best (90% intervals overlap)")
        if c.lower_bound or c.lower_bound_reason:
            notes.append(lower_bound_words(c))
        if c.trials_left_out:
            notes.append(f"{c.trials_left_out} trial(s) a host stall spoiled left out of the fit")
        return "; ".join(notes)

    def interval(self) -> str:
        """The 90 % interval."""
        return interval_text(self.capacity)

    def spread(self) -> str:
        """Each round's estimate, lowest to highest, and their CV."""
        c = self.capacity
        if len(c.per_repeat) < 2:
            return "1 round" if c.per_repeat else "–"
        cv = "" if c.cv is None else f", CV {c.cv:.1%}"
        return f"{min(c.per_repeat):,.0f}–{max(c.per_repeat):,.0f}{cv}"


def capacity_text(c: Capacity) -> str:
    """A capacity as published: `≥ 1,200` when only a lower bound, `< 300` when every rate missed, `–` untried."""
    if c.estimate is None:
        return f"< {c.high:,.0f}" if c.high else "–"
    return f"{'≥ ' if c.lower_bound else ''}{c.estimate:,.0f}"


def interval_text(c: Capacity) -> str:
    """`1,150–1,240`, `≥ 1,150` when open above, `–` when not measured."""
    if c.estimate is None or c.low is None:
        return "–"
    return f"≥ {c.low:,.0f}" if c.high is None else f"{c.low:,.0f}–{c.high:,.0f}"


def normalised_text(c: Capacity) -> str:
    """The host-normalised capacity with its interval: `1,400 (1,310–1,480)`."""
    if c.normalised is None:
        return "–"
    if c.normalised_low is None or c.normalised_high is None:
        return f"{'≥ ' if c.lower_bound else ''}{c.normalised:,.0f}"
    return f"{c.normalised:,.0f} ({c.normalised_low:,.0f}–{c.normalised_high:,.0f})"


def lower_bound_words(c: Capacity) -> str:
    """Why a capacity is only a lower bound (or open above, or below every rate tried)."""
    if c.lower_bound_reason == GENERATOR:
        return "at least this: the load generator's clean ceiling came first"
    if c.lower_bound_reason == ALL_PASSED:
        return "at least this: every rate tried met the SLO"
    if c.lower_bound_reason == ALL_MISSED:
        return "below every rate tried: each missed the SLO"
    return c.lower_bound_reason or ""


def capacity_rows(run: Run) -> list[CapacityRow]:
    """Capacities by workload then rank; ties are ranges that overlap the best one's."""
    rows = []
    for workload in sorted({c.workload for c in run.capacity}):
        ranked = sorted((c for c in run.capacity if c.workload == workload), key=lambda c: -(c.estimate or 0))
        best = ranked[0]
        for cap in ranked:
            top = cap.high if cap.high is not None else float("inf")
            tied = cap is not best and cap.estimate is not None and top >= (best.low or 0)
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
