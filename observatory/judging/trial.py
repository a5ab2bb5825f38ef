"""The verdict on one trial: valid or not (every guard that fired, with its reason), and whether it met the SLO.

A guard decides that a trial says nothing about the service (the load generator, the host or the measurement
failed); reasons that start with GENERATOR ("load generator") mean the service's capacity is at least the rate it
sustained. Every guard reads what an instrument says about itself: k6 (dropped iterations while the SLO was met,
its CPU saturated or starved, a rate above its clean ceiling: generator.py), the two request counts, the response
checks, a trial with no request. The host is no guard: its stalls and speed are covariates of the fit (host.py).
A valid trial then meets the SLO or misses it: slow responses, errors above the bound, or a service so far behind
that k6 dropped iterations are all misses, never invalid trials. GUARDS lists every guard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from observatory.judging.generator import GENERATOR, above_ceiling, starved
from observatory.judging.slo import Slo, errors_met, p99_met, slo_misses
from observatory.results import Trial

# k6 using this share of its cores or more cannot send on time: its latencies include its own queueing.
SATURATED_K6_UTILISATION = 0.9


def _generator_dropped(trial: Trial, slo: Slo) -> str | None:
    # Responses were fast and correct, yet k6 could not start iterations on time: the generator, not the service.
    if trial.dropped_iterations and p99_met(trial, slo) and errors_met(trial, slo):
        vus = f" (at most {trial.max_vus} VUs)" if trial.max_vus else ""
        return (
            f"{GENERATOR} saturated: k6 could not start {trial.dropped_iterations} iterations on time{vus} "
            "while p99 met the SLO"
        )
    return None


def _generator_cpu(trial: Trial, slo: Slo) -> str | None:
    if trial.k6_cpu_utilisation is not None and trial.k6_cpu_utilisation >= SATURATED_K6_UTILISATION:
        return f"{GENERATOR} saturated: k6 used {trial.k6_cpu_utilisation:.0%} of its cores"
    return None


def _counts_disagree(trial: Trial, slo: Slo) -> str | None:
    # A request that failed in transport (refused, reset, timed out) may never reach the service's counter.
    # The service also counted the unmeasured warm-up's requests, sent by the same k6 process just before.
    if trial.server_requests is None:
        return None
    sent = trial.client_requests + trial.warmup_requests
    gap = abs(sent - trial.server_requests)
    if gap > trial.errors:
        warmup = f" ({trial.warmup_requests} in the warm-up)" if trial.warmup_requests else ""
        return (
            f"client and server counts disagree: k6 sent {sent}{warmup}, the service counted "
            f"{trial.server_requests} ({gap} apart, {trial.errors} failed request(s) explain at most {trial.errors})"
        )
    return None


def _checks_failed(trial: Trial, slo: Slo) -> str | None:
    # A failed request fails its checks too; checks failing on requests that succeeded mean wrong answers.
    wrong = {name: fails - trial.errors for name, fails in trial.check_failures.items() if fails > trial.errors}
    if not wrong:
        return None
    name, count = max(wrong.items(), key=lambda item: item[1])
    others = f" (and {len(wrong) - 1} more check(s))" if len(wrong) > 1 else ""
    return f"response check failed: '{name}' failed on {count} response(s) that were not errors{others}"


def _nothing_completed(trial: Trial, slo: Slo) -> str | None:
    return "no request completed" if trial.client_requests == 0 else None


@dataclass(frozen=True)
class Guard:
    """One rule that can make a trial invalid: its name and the check returning a reason, or None."""

    name: str
    check: Callable[[Trial, Slo], str | None]


GUARDS: tuple[Guard, ...] = (
    Guard("generator dropped iterations", _generator_dropped),
    Guard("generator CPU", _generator_cpu),
    Guard("generator starved", starved),
    Guard("generator ceiling", above_ceiling),
    Guard("client/server counts", _counts_disagree),
    Guard("response checks", _checks_failed),
    Guard("no request", _nothing_completed),
)


def judge(trial: Trial, slo: Slo, guards: Iterable[Guard] = GUARDS) -> Trial:
    """Set the trial's validity (with every guard's reason) and whether it met the SLO; return it."""
    reasons = [reason for guard in guards if (reason := guard.check(trial, slo)) is not None]
    trial.invalid_reasons = reasons
    trial.valid = not reasons
    trial.slo_misses = slo_misses(trial, slo)
    trial.slo_met = trial.valid and not trial.slo_misses
    return trial
