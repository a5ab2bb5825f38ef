"""The table `observatory run` prints at the end: each capacity with its 90 % interval, its spread over rounds, the
host-normalised figure, and its cost."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from observatory.judging.capacity import ALL_PASSED, key_of
from observatory.judging.generator import GENERATOR
from observatory.report.tables import capacity_text, interval_text, normalised_text
from observatory.results import Run

SHORT_REASONS = {GENERATOR: "generator", ALL_PASSED: "all passed"}


def _fmt(value: float | None, scale: float = 1.0, digits: int = 0) -> str:
    return "–" if value is None else f"{value * scale:,.{digits}f}"


def summary_table(run: Run) -> Table:
    """One row per framework, profile, workload and worker count; every figure is the capacity's own."""
    table = Table(
        title=f"Capacity at p99 ≤ {run.slo['p99_ms']:g} ms, errors ≤ {run.slo['error_rate']:.1%} ({run.status} run {run.run_id})"
    )
    for header in ("framework", "profile", "workload", "workers", "capacity req/s", "90% interval", "rounds (CV)",
                   "normalised req/s", "p99 ms at cap.", "CPU s / 1k req at cap.", "peak RSS MiB",
                   "trials fitted / left out / invalid"):  # fmt: skip
        table.add_column(header, justify="right" if header not in ("framework", "profile", "workload") else "left")
    for cap in sorted(run.capacity, key=lambda c: (c.workload, -(c.estimate or 0))):
        trials = [t for t in run.trials if key_of(t) == key_of(cap)]
        value = capacity_text(cap)
        if cap.lower_bound or (cap.high is None and cap.lower_bound_reason):
            value += f" ({SHORT_REASONS.get(cap.lower_bound_reason or '', cap.lower_bound_reason)})"
        rounds = "–" if not cap.per_repeat else f"{_fmt(min(cap.per_repeat))}–{_fmt(max(cap.per_repeat))}"
        table.add_row(
            cap.framework,
            cap.profile,
            cap.workload,
            str(cap.workers),
            value,
            interval_text(cap),
            rounds + ("" if cap.cv is None else f" ({cap.cv:.1%})"),
            normalised_text(cap),
            _fmt(cap.p99_at_capacity, 1000, 1),
            _fmt(cap.cpu_seconds_per_1k, 1, 3),
            _fmt(cap.peak_rss_bytes, 1 / 2**20, 0),
            f"{cap.trials_fitted} / {cap.trials_left_out} / {sum(not t.valid for t in trials)}",
        )
    table.caption = (
        "capacity: the rate at which a monotone fit of every round's trials crosses the SLO; 90% "
        "interval: bootstrap over those trials. ≥: no trial missed (generator: the load generator's clean ceiling "
        "came first; all passed: every rate tried met the SLO). rounds: each round's own estimate, lowest to "
        "highest. normalised: the same fit with each rate divided by the share of a usual core the service had "
        "(docs/judging.md). left out: trials a host stall of half the SLO's p99 spoiled."
    )
    return table


def print_summary(run: Run, console: Console) -> None:
    """Print the table, then the run's error if it stopped early."""
    console.print(summary_table(run))
    if run.error:
        console.print(f"[red]stopped early:[/] {run.error}")
