"""The table `observatory run` prints at the end: capacity with its spread, and what it cost."""

from __future__ import annotations

import statistics

from rich.console import Console
from rich.table import Table

from observatory.results import Run
from observatory.run import capacity


def _fmt(value: float | None, scale: float = 1.0, digits: int = 0) -> str:
    return "–" if value is None else f"{value * scale:,.{digits}f}"


def summary_table(run: Run) -> Table:
    """One row per framework, profile, workload and worker count."""
    table = Table(
        title=f"Capacity at p99 ≤ {run.slo['p99_ms']:g} ms, errors ≤ {run.slo['error_rate']:.1%} ({run.status} run {run.run_id})"
    )
    for header in ("framework", "profile", "workload", "workers", "capacity req/s", "range", "CV",
                   "p99 ms at cap.", "CPU s / 1k req", "peak RSS MiB", "invalid trials"):  # fmt: skip
        table.add_column(header, justify="right" if header not in ("framework", "profile", "workload") else "left")
    for cap in sorted(run.capacity, key=lambda c: (c.workload, -(c.median or 0))):
        trials = [
            t for t in run.trials
            if (t.framework, t.profile, t.workload, t.workers) == (cap.framework, cap.profile, cap.workload, cap.workers)
        ]  # fmt: skip
        at_capacity = [t for t in trials if t.scenario == "constant" and t.slo_met and t.offered_rate == cap.median]
        p99 = (
            statistics.median([t.client_latency.p99 for t in at_capacity if t.client_latency.p99 is not None] or [0])
            or None
        )
        cpu = [t.cpu_seconds_per_1k for t in trials if t.valid and t.cpu_seconds_per_1k is not None]
        rss = [t.peak_rss_bytes for t in trials if t.peak_rss_bytes is not None]
        table.add_row(
            cap.framework,
            cap.profile,
            cap.workload,
            str(cap.workers),
            ("≥ " if capacity.is_lower_bound(cap, run.trials) else "") + _fmt(cap.median),
            f"{_fmt(cap.low)}–{_fmt(cap.high)}" if len(cap.per_repeat) > 1 else "1 repeat",
            "–" if cap.cv is None else f"{cap.cv:.1%}",
            _fmt(p99, 1000, 1),
            _fmt(statistics.median(cpu) if cpu else None, 1, 3),
            _fmt(max(rss) if rss else None, 1 / 2**20, 0),
            str(sum(not t.valid for t in trials)),
        )
    table.caption = (
        "≥: no valid trial above it missed the SLO (out of steps, or the generator gave out first): "
        "the capacity is at least this. A larger --size searches further."
    )
    return table


def print_summary(run: Run, console: Console) -> None:
    """Print the table, then the run's error if it stopped early."""
    console.print(summary_table(run))
    if run.error:
        console.print(f"[red]stopped early:[/] {run.error}")
