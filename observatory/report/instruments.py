"""The report's account of its own instruments: where this machine's load generator runs out, and how the host stalled.

Reads what the run recorded: `run.calibration` (observatory/run/calibration.py: k6 against a null target, per
workload and connection mode) and each trial's `host_stalls` (observatory/run/stalls.py). Both are optional: a run
without them gets a sentence saying so, never a guess.
"""

from __future__ import annotations

import statistics
from html import escape
from typing import Any

from matplotlib.ticker import MaxNLocator

from observatory.report.figures import WIDTH, _svg, plt
from observatory.results import Run

MODE_STYLE = {"keep-alive": "-", "close": "--"}


# The speed figure marks a window whose reference work took this many times its usual time or more, or as much
# less: this machine's host switches between two speeds 1.6-1.8x apart, each within about 8 % (judging/host.py).
SPEED_BOUND = 1.25


def within_speed_bound(ratio: float) -> bool:
    """Whether a reference time over the usual one lies within SPEED_BOUND of 1, either way."""
    return 1 / SPEED_BOUND < ratio < SPEED_BOUND


def _ladders(run: Run) -> list[dict[str, Any]]:
    return list((run.calibration or {}).get("ladders") or [])


def generator_words(run: Run) -> str:
    """One paragraph: the clean bound, and each workload's clean ceiling per connection mode."""
    calibration = run.calibration
    ladders = _ladders(run)
    if not calibration or not ladders:
        return "The load generator was not calibrated in this run: its own limits on this machine are unknown."
    parts = []
    for ladder in ladders:
        ceiling = ladder.get("ceiling_rps")
        where = f"{ceiling:,.0f} req/s" if ceiling else "below the lowest rate tried"
        parts.append(f"{ladder['workload']} ({ladder['mode']}): {where}")
    return (
        f"The load generator's clean ceiling on this machine, measured against a null target (nginx, never the "
        f"bottleneck), is the highest rate at which k6's own p99 stays within {calibration['clean_p99_ms']:g} ms "
        f"({calibration['share_of_slo']:.0%} of the SLO's p99) with nothing dropped: "
        + "; ".join(parts)
        + '. A capacity at or above its ceiling is published as ≥, with the reason "load generator".'
        + calibrated_speed_words(run)
    )


def calibrated_speed_words(run: Run) -> str:
    """How fast the host ran when k6 was calibrated, against this run's usual speed on k6's cores ("" when either
    is unknown): a ceiling measured on a faster host is too high for a slower one."""
    calibrated = [w for ladder in _ladders(run) if (w := ladder.get("work_us"))]
    k6_cores = (run.environment.get("pinning") or {}).get("k6_and_prometheus_cores") or []
    if not calibrated or not k6_cores:
        return ""
    usual_by_core = _usual_times(_speeds(run))
    usual = [usual_by_core[str(core)] for core in k6_cores if str(core) in usual_by_core]
    if not usual:
        return ""
    then, now = statistics.median(calibrated), statistics.median(usual)
    figures = f"{then:.0f} µs of the stall meter's reference work on k6's core, against {now:.0f} µs usual in this run"
    if within_speed_bound(now / then):
        return f" The host ran at this run's usual speed when k6 was calibrated ({figures})."
    if now > then:
        return (
            f" k6 was calibrated on a host {now / then:.2f}× faster than this run's usual speed ({figures}): the "
            f"ceilings above may be too high for this run; `observatory calibrate --refresh` measures them again."
        )
    return (
        f" k6 was calibrated on a host {then / now:.2f}× slower than this run's usual speed ({figures}): the "
        f"ceilings above are on the safe side (lower than this run's)."
    )


def generator_figure(run: Run) -> str | None:
    """k6's own p99 against the offered rate, per workload and mode, with the clean bound; None when not calibrated."""
    ladders = _ladders(run)
    if not ladders:
        return None
    calibration = run.calibration or {}
    figure, axes = plt.subplots(figsize=(WIDTH, 3.2))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    workloads = sorted({ladder["workload"] for ladder in ladders})
    for ladder in ladders:
        points = [p for p in ladder["points"] if p.get("p99_ms") is not None]
        if not points:
            continue
        colour = colours[workloads.index(ladder["workload"]) % len(colours)]
        axes.plot([p["rate"] for p in points], [p["p99_ms"] for p in points], MODE_STYLE.get(ladder["mode"], ":"),
                  marker="o", color=colour, label=f"{ladder['workload']} {ladder['mode']}")  # fmt: skip
        if ladder.get("ceiling_rps"):
            axes.axvline(ladder["ceiling_rps"], color=colour, linestyle=MODE_STYLE.get(ladder["mode"], ":"), alpha=0.4)
    bound = calibration.get("clean_p99_ms")
    if bound:
        axes.axhline(bound, color="#a40000", linewidth=1)
        axes.annotate(f"clean bound {bound:g} ms", (0.01, bound), xycoords=("axes fraction", "data"),
                      color="#a40000", va="bottom")  # fmt: skip
    axes.set_yscale("log")
    axes.set_xlabel("offered rate (req/s)")
    axes.set_ylabel("k6's own p99 (ms)")
    axes.legend(fontsize=8, ncol=2)
    return _svg(figure, "The load generator's own p99 against the offered rate, on this machine")


def generator_rows(run: Run) -> list[list[str]]:
    """The calibration table: one row per workload, mode and rate."""
    rows = []
    for ladder in _ladders(run):
        for p in ladder["points"]:
            rows.append([
                ladder["workload"], ladder["mode"], f"{p['rate']:,.0f}", _num(p.get("p50_ms"), 2), _num(p.get("p99_ms"), 1),
                str(p.get("dropped", 0)), _pct(p.get("cpu")), _num(p.get("cpu_wait"), 2), _num(p.get("stall_ms"), 0),
                "✓" if ladder.get("ceiling_rps") is not None and p["rate"] <= ladder["ceiling_rps"] else "",
            ])  # fmt: skip
    return rows


GENERATOR_HEADERS = [
    "workload",
    "mode",
    "rate",
    "p50 ms",
    "p99 ms",
    "dropped",
    "k6 CPU",
    "CPU wait",
    "stall ms",
    "clean",
]


def _stalls(run: Run) -> list[tuple[str, dict[str, Any]]]:
    """(trial id, its stall figures) for every trial the meter watched, in run order."""
    return [(t.trial_id, t.host_stalls) for t in run.trials if t.host_stalls]


def stall_words(run: Run) -> str:
    """How often the host stalled during the trials, against the bound."""
    measured = _stalls(run)
    if not measured:
        return "Host stalls were not measured in this run."
    bound = measured[0][1]["bound_ms"]
    hit = [trial for trial, stalls in measured if stalls["max_ms"] >= bound]
    worst_id, worst = max(measured, key=lambda item: item[1]["max_ms"])
    return (
        f"A meter on each core (sleep 1 ms, record the overshoot) watched {len(measured)} trials: {len(hit)} saw a stall "
        f"of {bound:g} ms or more (half the SLO's p99) and were left out of the capacity fits; the longest was "
        f"{worst['max_ms']:.0f} ms, in {worst_id}."
    )


def _speeds(run: Run) -> list[tuple[str, dict[str, Any]]]:
    """(trial id, its stall figures) for every trial whose window knew a core's usual speed, in run order."""
    return [(trial, stalls) for trial, stalls in _stalls(run) if stalls.get("speed_ratio")]


def _usual_times(measured: list[tuple[str, dict[str, Any]]]) -> dict[str, float]:
    """Each core's usual reference time in the run, as its last measured trial knew it (core as a string)."""
    if not measured:
        return {}
    per_core = measured[-1][1]["per_core"]
    return {core: f["usual_work_us"] for core, f in sorted(per_core.items()) if f.get("usual_work_us")}


def speed_words(run: Run) -> str:
    """The host's usual speed in the run, and how many trials ran off it (judging/host.py)."""
    measured = _speeds(run)
    if not measured:
        return "The host's speed was not measured in this run."
    usual = ", ".join(f"{time_us:.0f} µs on core {core}" for core, time_us in _usual_times(measured).items())
    off = [trial for trial, stalls in measured if not within_speed_bound(stalls["speed_ratio"])]
    shares = [s for _, stalls in measured if (s := stalls.get("service_share")) is not None]
    share = f" The service's cores had {min(shares):.0%}-{max(shares):.0%} of a usual core per trial." if shares else ""
    furthest_id, furthest = max(measured, key=lambda item: max(item[1]["speed_ratio"], 1 / item[1]["speed_ratio"]))
    ratio = furthest["speed_ratio"]
    way = f"{ratio:.2f}× slower" if ratio >= 1 else f"{1 / ratio:.2f}× faster"
    return (
        f"The same meters timed a fixed piece of reference work every 100 ms, to see how fast each core ran: its usual "
        f"time in this run was {usual} (compare it between runs: this host's speed can switch, judging/host.py). "
        f"{len(off)} of {len(measured)} trials ran {SPEED_BOUND:g}× or more off that speed, either way (no trial is "
        f"invalid for it: the normalised capacity divides each rate by the share of a usual core the service had). "
        f"The furthest ran "
        f"{way} than usual, in {furthest_id}.{share}"
    )


def speed_figure(run: Run) -> str | None:
    """Each trial's reference time over the usual one, in run order, with the bounds; None when not measured."""
    measured = _speeds(run)
    if not measured:
        return None
    values = [stalls["speed_ratio"] for _, stalls in measured]
    figure, axes = plt.subplots(figsize=(WIDTH, 2.6))
    colours = ["#3366aa" if within_speed_bound(v) else "#a40000" for v in values]
    axes.scatter(range(1, len(values) + 1), values, color=colours, s=12)
    for bound in (SPEED_BOUND, 1 / SPEED_BOUND):
        axes.axhline(bound, color="#a40000", linewidth=1)
    axes.axhline(1.0, color="#888888", linewidth=0.5)
    axes.set_ylim(min(0.5, min(values) * 0.9), max(2.0, max(values) * 1.1))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("trial, in run order")
    axes.set_ylabel("reference work time / usual")
    return _svg(figure, "How far each trial's slowest-or-fastest core ran from its usual speed")


def stall_figure(run: Run) -> str | None:
    """Each trial's longest stall in run order, with the bound; None when stalls were not measured."""
    measured = _stalls(run)
    if not measured:
        return None
    bound = measured[0][1]["bound_ms"]
    values = [max(0.1, stalls["max_ms"]) for _, stalls in measured]
    figure, axes = plt.subplots(figsize=(WIDTH, 2.6))
    colours = ["#a40000" if v >= bound else "#3366aa" for v in values]
    axes.bar(range(1, len(values) + 1), values, color=colours, width=0.8)
    axes.axhline(bound, color="#a40000", linewidth=1)
    axes.annotate(f"bound {bound:g} ms", (1.0, bound), xycoords=("axes fraction", "data"), color="#a40000",
                  va="bottom", ha="right")  # fmt: skip
    axes.set_yscale("log")
    axes.set_ylim(bottom=0.5, top=max(max(values), bound) * 2)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("trial, in run order")
    axes.set_ylabel("longest host stall (ms)")
    return _svg(figure, "The longest host stall in each trial's measured window")


def html_section(run: Run) -> str:
    """The report's "Instruments" section: generator calibration and host stalls, in words, figures and a table."""
    parts = ["<h2>Instruments: the load generator and the host</h2>", f"<p>{escape(generator_words(run))}</p>"]
    svg = generator_figure(run)
    if svg:
        parts.append(f"<figure>{svg}<figcaption>k6 against a null target: its own p99 per offered rate (log scale); "
                     "vertical lines mark each clean ceiling.</figcaption></figure>")  # fmt: skip
        head = "".join(f"<th scope='col'>{escape(h)}</th>" for h in GENERATOR_HEADERS)
        body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in generator_rows(run))
        parts.append(f"<details><summary>The calibration, rate by rate</summary><table><thead><tr>{head}</tr></thead>"
                     f"<tbody>{body}</tbody></table></details>")  # fmt: skip
    parts.append(f"<p>{escape(stall_words(run))}</p>")
    svg = stall_figure(run)
    if svg:
        parts.append(f"<figure>{svg}<figcaption>Trials over the bound are red.</figcaption></figure>")
    parts.append(f"<p>{escape(speed_words(run))}</p>")
    svg = speed_figure(run)
    if svg:
        parts.append(f"<figure>{svg}<figcaption>Trials outside the bounds ({SPEED_BOUND:g}× either way) are red."
                     "</figcaption></figure>")  # fmt: skip
    return "".join(parts)


def markdown_section(run: Run) -> str:
    """The same in Markdown, for summary.md."""
    lines = ["## Instruments", "", generator_words(run), ""]
    rows = generator_rows(run)
    if rows:
        lines += ["| " + " | ".join(GENERATOR_HEADERS) + " |", "|" + "---|" * len(GENERATOR_HEADERS)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        lines.append("")
    lines += [stall_words(run), "", speed_words(run), ""]
    return "\n".join(lines)


def _num(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"
