"""The report's plots, drawn with matplotlib and returned as inline SVG (text as paths: no fonts, no network).

Every figure is at most 7.6 inches (730 px) wide, so it shows at its natural size in a 800 px window and is never
scaled down below readable; names go on the y axis of horizontal bars, where they cannot overlap.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from collections.abc import Iterable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

from observatory.report.scaling import STOP_GAIN, Fit
from observatory.results import Capacity, Run, Trial

plt.rcParams.update({"svg.fonttype": "path", "figure.dpi": 96, "font.size": 9, "axes.grid": True, "grid.alpha": 0.3})
WIDTH = 7.6  # inches: 730 px at 96 dpi
THOUSANDS = FuncFormatter(lambda value, _: f"{value:,.0f}")
PLAIN = FuncFormatter(lambda value, _: f"{value:g}" if f"{value:.1g}"[0] in "1235" else "")
COLOURS = {
    "fastapi": "#0b7a75",
    "flask": "#444444",
    "django": "#7b3294",
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


def _value(c: Capacity) -> str:
    return "–" if c.estimate is None else f"{'≥ ' if c.lower_bound else ''}{c.estimate:,.0f}"


def headline_capacities(capacities: list[Capacity]) -> list[Capacity]:
    """One capacity per framework/profile and workload: at the fewest workers (or replicas) measured."""
    fewest: dict[tuple[str, str, str], Capacity] = {}
    for c in capacities:
        key = (c.framework, c.profile, c.workload)
        if key not in fewest or c.workers < fewest[key].workers:
            fewest[key] = c
    return list(fewest.values())


def capacity(capacities: list[Capacity], slo: dict[str, float], unit: str = "workers") -> str:
    """The headline: each framework's capacity per workload, bars with their 90 % interval as whiskers and `≥` for lower bounds."""
    return _svg(capacity_figure(capacities, slo, unit), "Capacity per framework and workload")


def capacity_figure(capacities: list[Capacity], slo: dict[str, float], unit: str = "workers") -> plt.Figure:
    """The headline figure itself (the README's picture is this figure as a PNG: tools/readme_figure.py)."""
    shown = headline_capacities([c for c in capacities if c.estimate is not None])
    workloads = sorted({c.workload for c in shown})
    rows = {w: sorted((c for c in shown if c.workload == w), key=lambda c: c.estimate or 0) for w in workloads}
    heights = [max(1, len(rows[w])) * 0.28 + 0.5 for w in workloads]
    figure, axes = plt.subplots(len(workloads), 1, figsize=(WIDTH, sum(heights) + 0.6), squeeze=False,
                                gridspec_kw={"height_ratios": heights})  # fmt: skip
    for axis, workload in zip(axes[:, 0], workloads, strict=True):
        series = rows[workload]
        top = max((c.high or c.estimate or 0 for c in series), default=1) or 1  # each workload on its own scale
        y = np.arange(len(series))
        medians = [c.estimate or 0 for c in series]
        lows = [(c.estimate or 0) - (c.low if c.low is not None else c.estimate or 0) for c in series]
        highs = [(c.high if c.high is not None else c.estimate or 0) - (c.estimate or 0) for c in series]
        axis.barh(y, medians, xerr=[lows, highs], capsize=3, height=0.6, color=[_colour(c.framework) for c in series],
                  error_kw={"elinewidth": 1, "ecolor": "#222222"})  # fmt: skip
        axis.set_yticks(y, [f"{c.framework} ({c.profile}, {c.workers} {unit[:-1] if c.workers == 1 else unit})"
                            for c in series])  # fmt: skip
        for position, c in zip(y, series, strict=True):
            end = (c.high if c.high is not None else c.estimate) or 0
            axis.text(end + top * 0.01, position, _value(c), va="center", fontsize=8)
        axis.set_xlim(0, top * 1.22)
        axis.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        axis.xaxis.set_major_formatter(THOUSANDS)
        axis.set_title(workload, loc="left", fontsize=9, fontweight="bold")
        axis.grid(axis="y", visible=False)
    axes[-1, 0].set_xlabel("requests per second meeting the SLO (each workload on its own scale)")
    figure.suptitle(
        f"Capacity: highest arrival rate with p99 ≤ {slo.get('p99_ms', '?'):g} ms (bar: the fitted estimate; "
        "whiskers: its 90 % interval; ≥: at least this)"
        if isinstance(slo.get("p99_ms"), (int, float))
        else "Capacity: highest arrival rate meeting the SLO",
        fontsize=9,
    )
    figure.tight_layout()
    return figure


def _series(trials: Iterable[Trial]) -> dict[tuple[str, str, int], list[Trial]]:
    series: dict[tuple[str, str, int], list[Trial]] = defaultdict(list)
    for trial in trials:
        series[(trial.framework, trial.profile, trial.workers)].append(trial)
    return series


def load_curves(run: Run, workload: str) -> str:
    """Achieved throughput and latency percentiles against offered load: client (solid, dashed), in-app p99 (□)."""
    trials = [t for t in run.trials if t.workload == workload and t.scenario == "constant" and t.offered_rate]
    fewest: dict[tuple[str, str], int] = {}
    for t in trials:  # one curve per service: at its fewest workers, as in the headline (the others: scaling section)
        fewest[(t.framework, t.profile)] = min(t.workers, fewest.get((t.framework, t.profile), t.workers))
    trials = [t for t in trials if t.workers == fewest[(t.framework, t.profile)]]
    figure, (rate_axis, latency_axis) = plt.subplots(1, 2, figsize=(WIDTH, 3.3))
    top = max((t.offered_rate or 0 for t in trials), default=1)
    rate_axis.plot([0, top], [0, top], color="#bbbbbb", linestyle=":")
    handles = []
    for (framework, profile, workers), series in sorted(_series(trials).items()):
        series.sort(key=lambda t: t.offered_rate or 0)
        x = [t.offered_rate for t in series]
        colour = _colour(framework)
        (line,) = rate_axis.plot(x, [t.achieved_rate for t in series], marker="o", markersize=3, color=colour,
                                 label=f"{framework}/{profile} w{workers}")  # fmt: skip
        handles.append(line)
        invalid = [t for t in series if not t.valid]
        rate_axis.scatter([t.offered_rate for t in invalid], [t.achieved_rate for t in invalid], marker="x",
                          color="red", zorder=3)  # fmt: skip
        valid = [t for t in series if t.valid]  # an invalid trial's latency is not the service's
        at = [t.offered_rate for t in valid]
        for quantile, style in (("p50", "-"), ("p99", "--")):
            client = [getattr(t.client_latency, quantile) for t in valid]
            latency_axis.plot(at, [v * 1000 if v is not None else np.nan for v in client], style, color=colour)
        # Server p99 as bare markers, not a line: it is the time inside the app only (from the services' histogram,
        # within 10 % from 1 to 100 ms), a different population from the client's; the gap is queueing before the
        # app (socket backlog, event loop, worker busy) and k6 itself, not the network.
        server = [t.server_latency.p99 for t in valid]
        latency_axis.plot(at, [v * 1000 if v is not None else np.nan for v in server], "s", markersize=3,
                          markerfacecolor="none", color=colour, alpha=0.8)  # fmt: skip
    latency_axis.axhline(run.slo.get("p99_ms", 100), color="red", linewidth=0.8)
    latency_axis.annotate("SLO", (0.99, run.slo.get("p99_ms", 100)), xycoords=("axes fraction", "data"),
                          ha="right", va="bottom", color="red", fontsize=8)  # fmt: skip
    rate_axis.set(xlabel="offered req/s", ylabel="achieved req/s", title="throughput (× invalid, dotted: ideal)")
    latency_axis.set(
        xlabel="offered req/s",
        ylabel="latency ms (log)",
        title="client p50 solid, p99 dashed; □ time inside the app, p99",
    )
    latency_axis.set_yscale("log")
    latency_axis.yaxis.set_major_formatter(PLAIN)
    latency_axis.yaxis.set_minor_formatter(PLAIN)
    latency_axis.tick_params(axis="y", which="minor", labelsize=7)
    for axis in (rate_axis, latency_axis):
        axis.title.set_fontsize(8.5)
        axis.xaxis.set_major_formatter(THOUSANDS)
        axis.xaxis.set_major_locator(MaxNLocator(5))
    rate_axis.yaxis.set_major_formatter(THOUSANDS)
    figure.suptitle(f"{workload}: throughput and latency against offered load", fontsize=9, fontweight="bold")
    figure.legend(handles=handles, loc="lower center", ncol=min(3, max(1, len(handles))), fontsize=8, frameon=False,
                  bbox_to_anchor=(0.5, -0.02 - 0.05 * math.ceil(len(handles) / 3)))  # fmt: skip
    figure.tight_layout()
    return _svg(figure, f"Throughput and latency against offered load for {workload}")


def cost(run: Run) -> str:
    """CPU seconds per 1,000 requests at capacity and peak memory, per framework, profile, workload and worker count.

    The figures are the capacities' own (observatory.judging.capacity): CPU at each repeat's capacity rate, not a
    median over every load level; peak memory over valid trials of a freshly started service.
    """
    caps = sorted(run.capacity, key=lambda c: (c.framework, c.profile, c.workload, c.workers), reverse=True)
    keys = [(c.framework, c.profile, f"{c.workload} w{c.workers}") for c in caps]
    cpu = [c.cpu_seconds_per_1k if c.cpu_seconds_per_1k is not None else np.nan for c in caps]
    rss = [(c.peak_rss_bytes or 0) / 2**20 for c in caps]
    pss = [(c.peak_pss_bytes or 0) / 2**20 for c in caps]
    labels = [f"{f} ({p}) {w}" for f, p, w in keys]
    figure, (cpu_axis, memory_axis) = plt.subplots(1, 2, figsize=(WIDTH, 0.25 * len(keys) + 1.3), sharey=True)
    positions = np.arange(len(keys))
    cpu_axis.barh(positions, cpu, height=0.6, color=[_colour(k[0]) for k in keys])
    cpu_axis.set_yticks(positions, labels)
    cpu_axis.set(xlabel="CPU s per 1,000 requests", title="CPU cost at capacity (median over repeats)")
    memory_axis.barh(positions + 0.2, rss, 0.4, label="peak RSS (shared pages per process)", color="#7a9cc6")
    memory_axis.barh(positions - 0.2, pss, 0.4, label="peak PSS (shared pages split)", color="#2c5d8a")
    memory_axis.set(
        xlabel="MiB: peak RSS (light, shared pages per process)\nand PSS (dark, shared pages split)",
        title="memory of the whole service",
    )
    for axis in (cpu_axis, memory_axis):
        axis.grid(axis="y", visible=False)
        axis.title.set_fontsize(9)
    figure.tight_layout()
    return _svg(figure, "CPU seconds per 1,000 requests and peak memory")


def scaling(fits: list[Fit]) -> str:
    """Capacity against count per workload: measured medians with min–max, the fitted law and its bounds."""
    workloads = sorted({f.workload for f in fits})
    columns = 1 if len(workloads) == 1 else 2
    rows = math.ceil(len(workloads) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(WIDTH, 3.0 * rows + 0.4), squeeze=False)
    for axis in axes.ravel()[len(workloads) :]:
        axis.set_visible(False)
    for axis, workload in zip(axes.ravel(), workloads, strict=False):
        shown = [f for f in fits if f.workload == workload]
        top = max(max(f.counts) for f in shown)
        grid = np.geomspace(1, top * 2, 120)
        for fit in shown:
            colour = _colour(fit.framework)
            counts = np.array(fit.counts)
            axis.errorbar(counts, fit.capacities, yerr=[np.subtract(fit.capacities, fit.lows), np.subtract(fit.highs, fit.capacities)],
                          fmt="o", markersize=4, capsize=3, color=colour)  # fmt: skip
            inside, beyond = grid[grid <= max(counts)], grid[grid >= max(counts)]
            axis.plot(inside, fit.predict(inside), "-", color=colour, alpha=0.8)
            axis.plot(beyond, fit.predict(beyond), "--", color=colour, alpha=0.6)
            if fit.samples:
                curves = np.array([s.predict(grid) for s in fit.samples])
                axis.fill_between(grid, np.percentile(curves, 5, axis=0), np.percentile(curves, 95, axis=0),
                                  color=colour, alpha=0.12, linewidth=0)  # fmt: skip
            axis.plot(grid, fit.law.c1 * grid, ":", color=colour, alpha=0.35, linewidth=0.8)
            stop = fit.stops_paying_at
            if stop and stop <= top * 2:
                axis.axvline(stop, color=colour, linestyle="-.", linewidth=0.8, alpha=0.7)
        axis.set_xscale("log", base=2)
        axis.set_xlim(0.85, top * 2.1)
        ticks = [2**i for i in range(int(math.log2(top * 2)) + 1)]
        axis.set_xticks(ticks, [str(n) for n in ticks])
        axis.xaxis.set_minor_locator(NullLocator())
        axis.set_ylim(0, max(max(f.highs) for f in shown) * 1.6)
        axis.set(xlabel=f"{shown[0].unit} (log scale)", ylabel="capacity req/s")
        axis.yaxis.set_major_formatter(THOUSANDS)
        axis.set_title(workload, loc="left", fontsize=9, fontweight="bold")
    names = {f"{f.framework} ({f.profile})": _colour(f.framework) for f in fits}
    handles = [Line2D([], [], color=colour, marker="o", label=name) for name, colour in names.items()]
    figure.legend(handles=handles, loc="lower center", ncol=min(3, len(handles)), fontsize=8, frameon=False,
                  bbox_to_anchor=(0.5, -0.03 - 0.05 * math.ceil(len(handles) / 3) / rows))  # fmt: skip
    figure.suptitle(
        f"Scaling: dots measured (whiskers min–max); line the fitted law, dashed beyond the measured range, band 5–95% "
        f"over repeats; dotted: linear; dash-dot: one more adds < {STOP_GAIN:.0%} of one alone",
        fontsize=8,
        wrap=True,
    )
    figure.tight_layout()
    return _svg(figure, "Capacity against worker or replica count with the fitted scaling law")
