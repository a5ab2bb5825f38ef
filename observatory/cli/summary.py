"""The table `observatory run` prints at the end: capacity with its bounds, spread and resolution, and its cost."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from observatory.judging.capacity import INVALID_ABOVE, key_of
from observatory.judging.generator import GENERATOR
from observatory.judging.host import HOST
from observatory.report.tables import capacity_text
from observatory.results import Run

SHORT_REASONS = {GENERATOR: "generator", HOST: "host", INVALID_ABOVE: "invalid above"}


def _fmt(value: float | None, scale: float = 1.0, digits: int = 0) -> str:
    return "–" if value is None else f"{value * scale:,.{digits}f}"


def summary_table(run: Run) -> Table:
    """One row per framework, profile, workload and worker count; every figure is the capacity's own."""
    table = Table(
        title=f"Capacity at p99 ≤ {run.slo['p99_ms']:g} ms, errors ≤ {run.slo['error_rate']:.1%} ({run.status} run {run.run_id})"
    )
    for header in ("framework", "profile", "workload", "workers", "capacity req/s", "resolution", "range", "CV",
                   "p99 ms at cap.", "CPU s / 1k req at cap.", "peak RSS MiB", "invalid trials"):  # fmt: skip
        table.add_column(header, justify="right" if header not in ("framework", "profile", "workload") else "left")
    notes = set()
    for cap in sorted(run.capacity, key=lambda c: (c.workload, -(c.median or 0))):
        trials = [t for t in run.trials if key_of(t) == key_of(cap)]
        value = capacity_text(cap)
        if cap.lower_bound:
            reason = SHORT_REASONS.get(cap.lower_bound_reason or "", "steps")
            value += f" ({reason})"
            notes.add(reason)
        if cap.unfinished_repeats:
            notes.add("unfinished")
        if cap.undecided_repeats:
            notes.add("undecided")
        table.add_row(
            cap.framework,
            cap.profile,
            cap.workload,
            str(cap.workers),
            value,
            "–" if cap.resolution is None or not cap.median else f"{cap.resolution / cap.median:.0%}",
            (f"{_fmt(cap.low)}–{_fmt(cap.high)}" if len(cap.per_repeat) > 1 else "1 repeat")
            + (f" ({cap.unfinished_repeats} unfinished left out)" if cap.unfinished_repeats else "")
            + (f" ({cap.undecided_repeats} undecided left out)" if cap.undecided_repeats else ""),
            "–" if cap.cv is None else f"{cap.cv:.1%}",
            _fmt(cap.p99_at_capacity, 1000, 1),
            _fmt(cap.cpu_seconds_per_1k, 1, 3),
            _fmt(cap.peak_rss_bytes, 1 / 2**20, 0),
            str(sum(not t.valid for t in trials)),
        )
    caption = [
        "≥: the capacity is at least this: no valid trial above it missed the SLO. (generator): the load generator ran "
        "out first; (host): the host stalled the trials above or ran them off its usual speed; (invalid above): other invalid trials above; (steps): "
        "every rate tried passed, a larger --size searches further.",
        "resolution: the widest gap between a passing rate and the lowest failing rate above it, as a share of the capacity.",
    ]
    if "unfinished" in notes:
        caption.append("Repeats whose search was stopped are left out of the capacity, its range and CV.")
    if "undecided" in notes:
        caption.append(
            "Repeats that decided nothing (every trial invalid, or the host left every rate below a miss undecided) "
            "are left out (reasons above)."
        )
    table.caption = "\n".join(caption)
    return table


def print_summary(run: Run, console: Console) -> None:
    """Print the table, then the run's error if it stopped early."""
    console.print(summary_table(run))
    if run.error:
        console.print(f"[red]stopped early:[/] {run.error}")
