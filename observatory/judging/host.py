"""The host guard: a trial during which a core stalled long enough to decide its p99 says nothing about the service.

The bound is half the SLO's p99 (50 ms for 100 ms). A stall of d ms holds back every request in flight or arriving
during it by up to d ms, and near capacity the queue it leaves drains slowly (at 90 % load, ten times as long as
it lasted), so one stall of half the SLO, added to the service's own latency near capacity, is enough to push the
requests of a short trial's last percentile over the SLO. Stalls are measured by `observatory/run/stalls.py`.
"""

from __future__ import annotations

from typing import Any

from observatory.judging.slo import Slo
from observatory.results import Trial

STALL_SHARE_OF_SLO = 0.5
HOST = "host stalled"


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


def host_stalled(trial: Trial, slo: Slo) -> str | None:
    """The guard: the reason when a stall of the trial's window reached the bound."""
    return stall_reason(getattr(trial, "host_stalls", None), slo)
