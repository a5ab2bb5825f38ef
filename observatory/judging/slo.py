"""The service-level objective every load level is judged against, and whether a trial met it."""

from __future__ import annotations

from dataclasses import dataclass

from observatory.results import Trial

DEFAULT_P99_MS = 100.0
DEFAULT_ERROR_RATE = 0.01


@dataclass(frozen=True)
class Slo:
    """Client-side p99 at most `p99_ms` and failed requests at most `error_rate` of those sent."""

    p99_ms: float = DEFAULT_P99_MS
    error_rate: float = DEFAULT_ERROR_RATE


def p99_met(trial: Trial, slo: Slo) -> bool:
    """Whether the trial's client-side p99 is known and within the bound."""
    p99 = trial.client_latency.p99
    return p99 is not None and p99 * 1000 <= slo.p99_ms


def errors_met(trial: Trial, slo: Slo) -> bool:
    """Whether the trial's failed requests are within the bound."""
    return trial.error_rate <= slo.error_rate


def slo_misses(trial: Trial, slo: Slo) -> list[str]:
    """Why the trial missed the SLO (empty when it met it), valid or not."""
    misses = []
    p99 = trial.client_latency.p99
    if p99 is None:
        misses.append("no client-side p99")
    elif p99 * 1000 > slo.p99_ms:
        misses.append(f"p99 {p99 * 1000:.1f} ms > {slo.p99_ms:g} ms")
    if not errors_met(trial, slo):
        misses.append(f"errors {trial.error_rate:.2%} > {slo.error_rate:.2%}")
    if trial.dropped_iterations and not (p99_met(trial, slo) and errors_met(trial, slo)):
        misses.append(f"the service fell behind: k6 dropped {trial.dropped_iterations} iterations")
    return misses
