"""The load generator's rules: a rate k6 could not send cleanly, or a k6 starved of CPU, decides nothing.

Both read what the harness measured about k6 itself: the clean ceiling from the calibration against a null target
(observatory/run/calibration.py) and the time k6's threads waited for a CPU while the load ran
(observatory/run/k6.py). Their reasons start with "load generator", so a capacity they bound is published as ≥.
"""

from __future__ import annotations

from observatory.judging.slo import Slo
from observatory.results import Trial

GENERATOR = "load generator"  # reasons starting with it mean the service's capacity is at least the rate sustained
# k6's threads waiting for a CPU this many seconds per second (half the time, summed over its threads) means it was
# starved. Measured on a quiet 2-core host, where Prometheus and the harness share k6's core by design: 0.2-0.4 in
# constant-rate trials that k6 sent cleanly, so a fifth of the time (the first bound) invalidated nearly every trial.
STARVED_WAIT = 0.5


def _missed(trial: Trial, slo: Slo) -> bool:
    p99 = trial.client_latency.p99
    return p99 is None or p99 * 1000 > slo.p99_ms or trial.error_rate > slo.error_rate or trial.dropped_iterations > 0


def above_ceiling(trial: Trial, slo: Slo) -> str | None:
    """A miss at a rate above the generator's clean ceiling: k6's own latency may be what missed the SLO."""
    ceiling = getattr(trial, "generator_ceiling_rps", None)
    rate = trial.offered_rate
    if ceiling is None or rate is None or rate <= ceiling or not _missed(trial, slo):
        return None
    return (
        f"{GENERATOR}: {rate:,.0f} req/s is above k6's clean ceiling on this machine ({ceiling:,.0f} req/s, "
        "calibrated against a null target); the miss may be k6's own latency"
    )


def starved(trial: Trial, slo: Slo) -> str | None:
    """A miss while k6's threads waited for a CPU half the time or more: the miss may be the generator's.

    A pass stands: a starved generator only sends late or not at all, which can make a service look slower, never
    faster (the same reasoning as `above_ceiling`).
    """
    wait = getattr(trial, "k6_cpu_wait", None)
    if wait is None or wait < STARVED_WAIT or not _missed(trial, slo):
        return None
    return f"{GENERATOR} starved: k6's threads waited for a CPU {wait:.0%} of the time (another process on its cores)"


def generator_bound(best_pass: float | None, lowest_failure: float | None, ceiling: float | None) -> str | None:
    """Why a capacity is only a lower bound because of the generator, or None.

    A capacity at or above the clean ceiling, or one whose next rate up (the lowest failure) lies above it, was
    decided by how fast k6 sends, not by the service: it is published as ≥ the best rate that passed.
    """
    if ceiling is None or best_pass is None:
        return None
    if best_pass >= ceiling or (lowest_failure is not None and lowest_failure > ceiling):
        return f"{GENERATOR}: k6's clean ceiling on this machine is {ceiling:,.0f} req/s"
    return None
