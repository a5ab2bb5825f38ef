"""What the host meters say about a trial, as covariates of the capacity fit (observatory/run/stalls.py measures).

A stall of d ms holds back every request in flight or arriving during it by up to d ms, and near capacity the queue
it leaves drains slowly (at 90 % load, ten times as long as it lasted). So a trial whose window held a stall of half
the SLO's p99 or more (50 ms for 100 ms) measured the host, not the service: the fit leaves it out (`stalled`), and
the capacity counts it (Capacity.trials_left_out). No trial is invalid for the host's sake, and none is run again:
the fit over every round's trials needs no retry, and a trial left out only removes one of its points.

The host's speed is no rule any more. The meters measure, per window, the share of each core the host left to us
and the core's speed (the reference work's time against its usual one in the run); their quotient is the share of
a usual core the service had (`service_share`), and the host-normalised capacity divides each rate by it.
"""

from __future__ import annotations

from typing import Any

from observatory.judging.slo import Slo
from observatory.results import Trial

STALL_SHARE_OF_SLO = 0.5
HOST = "host stalled"
MIN_SHARE = 0.2  # a measured share below this is a meter's misreading (one report in the window), not the host


def stall_bound_ms(slo: Slo) -> float:
    """The longest stall a trial can take without it deciding the trial's p99."""
    return slo.p99_ms * STALL_SHARE_OF_SLO


def stall_reason(stalls: dict[str, Any] | None, slo: Slo) -> str | None:
    """`host stalled for 180 ms ...` when the window's longest stall reached the bound, else None."""
    worst = float((stalls or {}).get("max_ms") or 0.0)
    bound = stall_bound_ms(slo)
    if worst < bound:
        return None
    assert stalls is not None
    core = stalls.get("worst_core")
    where = f" on core {core}" if core is not None else ""
    return f"{HOST} for {worst:.0f} ms{where} (bound {bound:g} ms, half the SLO's p99)"


def stalled(trial: Trial, slo: Slo) -> str | None:
    """Why the fit leaves the trial out (a stall reached the bound in its window), or None."""
    return stall_reason(getattr(trial, "host_stalls", None), slo)


def service_share(trial: Trial) -> float | None:
    """The share of a usual core the service's cores had in the trial's window (None: not measured)."""
    share = (getattr(trial, "host_stalls", None) or {}).get("service_share")
    return None if share is None else max(MIN_SHARE, float(share))
