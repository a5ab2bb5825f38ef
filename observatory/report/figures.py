"""The report's plots, drawn with matplotlib and returned as inline SVG (text as paths: no fonts, no network)."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from observatory.report.scaling import Fit
from observatory.results import Capacity, Run, Trial

plt.rcParams.update({"svg.fonttype": "path", "figure.dpi": 96, "font.size": 9, "axes.grid": True, "grid.alpha": 0.3})
COLOURS = {
    "fastapi": "#0b7a75",
    "flask": "#444444",
    "django": "#0c4b33",
    "baseline-asgi": "#8a6d00",
    "baseline-wsgi": "#a23b72",
}


def _colour(framework: str) -> str:
    return COLOURS.get(framework, "#3366aa")


def _svg(figure: plt.Figure, title: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Title": title, "Date": None})
    plt.close(figure)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    return svg.replace("<svg ", f'<svg role="img" aria-label="{title}" ', 1)


def capacity(capacities: list[Capacity], slo: dict[str, float]) -> str:
    """Capacity per framework/profile, one panel per workload, with the spread over repeats."""
    workloads = sorted({c.workload for c in capacities})
    figure, axes = plt.subplots(1, len(workloads), figsize=(3.6 * len(workloads), 3.2), squeeze=False)
    for axis, workload in zip(axes[0], workloads, strict=True):
        rows = sorted((c for c in capacities if c.workload == workload), key=lambda c: -(c.median or 0))
        labels = [f"{c.framework}\n{c.profile} w{c.workers}" for c in rows]
        medians = [c.median or 0 for c in rows]
        errors = [[(c.median or 0) - (c.low or 0) for c in rows], [(c.high or 0) - (c.median or 0) for c in rows]]
        axis.bar(labels, medians, yerr=errors, capsize=4, color=[_colour(c.framework) for c in rows])
        axis.set_title(workload)
        axis.set_ylabel("req/s at SLO")
        axis.tick_params(axis="x", labelsize=7)
    figure.suptitle(
        f"Capacity: highest arrival rate with p99 ≤ {slo.get('p99_ms', '?')} ms (bars: median, whiskers: min–max)"
    )
    return _svg(figure, "Capacity per framework, profile and workload")


def _series(trials: Iterable[Trial]) -> dict[tuple[str, str, int], list[Trial]]:
    series: dict[tuple[str, str, int], list[Trial]] = defaultdict(list)
    for trial in trials:
        series[(trial.framework, trial.profile, trial.workers)].append(trial)
    return series


def load_curves(run: Run, workload: str) -> str:
    """Achieved throughput and latency percentiles against offered load, client (solid) and server (dashed)."""
    trials = [t for t in run.trials if t.workload == workload and t.scenario == "constant" and t.offered_rate]
    figure, (rate_axis, latency_axis) = plt.subplots(1, 2, figsize=(10, 3.4))
    top = max((t.offered_rate or 0 for t in trials), default=1)
    rate_axis.plot([0, top], [0, top], color="#bbbbbb", linestyle=":", label="achieved = offered")
    for (framework, profile, workers), series in sorted(_series(trials).items()):
        series.sort(key=lambda t: t.offered_rate or 0)
        x = [t.offered_rate for t in series]
        label = f"{framework}/{profile} w{workers}"
        colour = _colour(framework)
        rate_axis.plot(x, [t.achieved_rate for t in series], marker="o", color=colour, label=label)
        invalid = [t for t in series if not t.valid]
        rate_axis.scatter(
            [t.offered_rate for t in invalid], [t.achieved_rate for t in invalid], marker="x", color="red", zorder=3
        )
        for quantile, style in (("p50", "-"), ("p99", "--")):
            client = [getattr(t.client_latency, quantile) for t in series]
            latency_axis.plot(x, [v * 1000 if v is not None else np.nan for v in client], style, marker=".", color=colour,
                              label=f"{label} {quantile} (k6)")  # fmt: skip
            server = [getattr(t.server_latency, quantile) for t in series]
            latency_axis.plot(x, [v * 1000 if v is not None else np.nan for v in server], ":", color=colour, alpha=0.7)
    latency_axis.axhline(run.slo.get("p99_ms", 100), color="red", linewidth=0.8, label="SLO p99")
    rate_axis.set(xlabel="offered req/s", ylabel="achieved req/s", title=f"{workload}: throughput (x = invalid trial)")
    latency_axis.set(
        xlabel="offered req/s", ylabel="latency ms", title=f"{workload}: p50 and p99 (dotted: server side)"
    )
    latency_axis.set_yscale("log")
    rate_axis.legend(fontsize=6)
    latency_axis.legend(fontsize=6)
    return _svg(figure, f"Throughput and latency against offered load for {workload}")


def cost(run: Run) -> str:
    """CPU seconds per 1,000 requests and peak memory, per framework, profile and workload (valid trials)."""
    keys = sorted({(t.framework, t.profile, t.workload) for t in run.trials})
    cpu, rss, pss = [], [], []
    for key in keys:
        trials = [t for t in run.trials if (t.framework, t.profile, t.workload) == key and t.valid]
        cpu.append(
            float(np.median([t.cpu_seconds_per_1k for t in trials if t.cpu_seconds_per_1k is not None] or [np.nan]))
        )
        rss.append(max((t.peak_rss_bytes or 0 for t in trials), default=0) / 2**20)
        pss.append(max((t.peak_pss_bytes or 0 for t in trials), default=0) / 2**20)
    labels = [f"{f}/{p}\n{w}" for f, p, w in keys]
    figure, (cpu_axis, memory_axis) = plt.subplots(1, 2, figsize=(11, 3.4))
    cpu_axis.bar(labels, cpu, color=[_colour(k[0]) for k in keys])
    cpu_axis.set(ylabel="CPU s per 1,000 requests", title="CPU cost (median over valid trials)")
    positions = np.arange(len(keys))
    memory_axis.bar(positions - 0.2, rss, 0.4, label="peak RSS (shared pages counted per process)", color="#7a9cc6")
    memory_axis.bar(positions + 0.2, pss, 0.4, label="peak PSS (shared pages split)", color="#2c5d8a")
    memory_axis.set_xticks(positions, labels)
    memory_axis.set(ylabel="MiB", title="Memory of the whole service")
    memory_axis.legend(fontsize=7)
    for axis in (cpu_axis, memory_axis):
        axis.tick_params(axis="x", labelsize=6, rotation=60)
    return _svg(figure, "CPU seconds per 1,000 requests and peak memory")


def scaling(fits: list[Fit]) -> str:
    """Capacity against worker count with the fitted curve and where adding workers stops paying."""
    figure, axis = plt.subplots(figsize=(7, 3.6))
    for fit in fits:
        colour = _colour(fit.framework)
        axis.plot(fit.workers, fit.capacities, "o", color=colour, label=f"{fit.framework}/{fit.profile} {fit.workload}")
        grid = np.linspace(1, max(max(fit.workers) * 2, 4), 50)
        axis.plot(grid, [fit.predict(n) for n in grid], "-", color=colour, alpha=0.6)
        if fit.stops_paying_at:
            axis.axvline(fit.stops_paying_at, color=colour, linestyle=":", alpha=0.6)
    axis.set(
        xlabel="workers",
        ylabel="capacity req/s",
        title="Scaling (dots: measured; line: Amdahl fit; dotted: < 10% gain per worker)",
    )
    axis.legend(fontsize=7)
    return _svg(figure, "Capacity against worker count")
