"""The host guards: a trial during which a core stalled long enough to decide its p99, or ran markedly off its usual
speed in the run, says nothing about the service.

The bound is half the SLO's p99 (50 ms for 100 ms). A stall of d ms holds back every request in flight or arriving
during it by up to d ms, and near capacity the queue it leaves drains slowly (at 90 % load, ten times as long as
it lasted), so one stall of half the SLO, added to the service's own latency near capacity, is enough to push the
requests of a short trial's last percentile over the SLO. Stalls are measured by `observatory/run/stalls.py`.

The speed bound is SPEED_BOUND times a core's usual time for the meter's reference work, either way. Some hosts
switch between speeds with nothing of ours running, for seconds to minutes at a time (docs/measurements.md records
such a host). Near a capacity the verdict then follows the host's speed, not the
service, and a slower speed raises the service's CPU per request. So a run compares like with like: a trial counts
only when every core ran at its usual speed of the run (stalls.usual_time: the more frequent speed). The bound lies
between two such speeds, clear of the noise within one.

Except where the speed could not have made the verdict: a faster host only helps the service and k6, a slower one
only hurts them. So a trial that missed the SLO while every core off its usual speed ran faster stands as a miss
(it would have missed at the usual speed too), and one that met it while every such core ran slower stands as a
pass; without this, a host that ran fast for a minute could leave a repeat with no capacity at all.
"""

from __future__ import annotations

from typing import Any

from observatory.judging.slo import Slo, slo_misses
from observatory.results import Trial

STALL_SHARE_OF_SLO = 0.5
SPEED_BOUND = 1.25
HOST = "host stalled"
HOST_SPEED = "host speed changed"


def stall_bound_ms(slo: Slo) -> float:
    """The longest stall a trial can take without it deciding the trial's p99."""
    return slo.p99_ms * STALL_SHARE_OF_SLO


def stall_reason(stalls: dict[str, Any] | None, slo: Slo) -> str | None:
    """`host stalled for 180 ms ...` when the window's longest stall reached the bound, else None."""
    if not stalls:
        return None
    worst = float(stalls.get("max_ms") or 0.0)
    bound = stall_bound_ms(slo)
    if worst < bound:
        return None
    core = stalls.get("worst_core")
    where = f" on core {core}" if core is not None else ""
    return f"{HOST} for {worst:.0f} ms{where} (bound {bound:g} ms, half the SLO's p99)"


def within_speed_bound(ratio: float) -> bool:
    """Whether a reference time over the usual one lies within SPEED_BOUND of 1, either way."""
    return 1 / SPEED_BOUND < ratio < SPEED_BOUND


def off_speed_ways(stalls: dict[str, Any]) -> set[str]:
    """Which ways ("faster", "slower") the window's cores ran off their usual speed, beyond the bound (from each
    core's figures, or from the most off-speed core's ratio alone when they are missing)."""
    ratios = [
        figures["work_us"] / figures["usual_work_us"]
        for figures in (stalls.get("per_core") or {}).values()
        if figures.get("work_us") and figures.get("usual_work_us")
    ]
    if not ratios and stalls.get("speed_ratio"):
        ratios.append(stalls["speed_ratio"])
    return {"slower" if r > 1 else "faster" for r in ratios if not within_speed_bound(r)}


def speed_reason(stalls: dict[str, Any] | None, met_slo: bool | None = None) -> str | None:
    """`host speed changed: ...` when a core's reference work took SPEED_BOUND times its usual time or more, or that
    much less; else None. Given the trial's verdict (`met_slo`), None too when the speed could not have made it: a
    miss with every off-speed core faster, a pass with every off-speed core slower."""
    ratio = (stalls or {}).get("speed_ratio")
    if not ratio or within_speed_bound(ratio):
        return None
    assert stalls is not None
    ways = off_speed_ways(stalls)
    if (met_slo is False and ways == {"faster"}) or (met_slo is True and ways == {"slower"}):
        return None
    core = stalls.get("speed_core")
    figures = (stalls.get("per_core") or {}).get(str(core), {})
    times = ""
    if figures.get("work_us") and figures.get("usual_work_us"):
        times = f" ({figures['work_us']:.0f} µs against {figures['usual_work_us']:.0f} µs)"
    way = "slower" if ratio > 1 else "faster"
    return (
        f"{HOST_SPEED}: core {core} ran {max(ratio, 1 / ratio):.2f}× {way} than usual in this run{times}, "
        f"bound {SPEED_BOUND:g}× either way"
    )


def host_stalled(trial: Trial, slo: Slo) -> str | None:
    """The guard: the reason when a stall of the trial's window reached the bound, or a core ran off its usual speed
    in the way that could have made the trial's verdict."""
    stalls = getattr(trial, "host_stalls", None)
    return stall_reason(stalls, slo) or speed_reason(stalls, met_slo=not slo_misses(trial, slo))
