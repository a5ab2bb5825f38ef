"""The verdict on one trial: valid or not (every guard that fired, with its reason), and whether it met the SLO.

A guard decides that a trial says nothing about the service (the load generator, the host or the measurement
failed); reasons that start with GENERATOR ("load generator") mean the service's capacity is at least the rate it
sustained. The host and generator rules live in host.py and generator.py; GUARDS lists every guard. A valid trial then meets the SLO or misses it: slow responses, errors above the bound, or a service so
far behind that k6 dropped iterations are all misses, never invalid trials.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from observatory.judging.generator import GENERATOR, above_ceiling, starved
from observatory.judging.host import HOST, HOST_SPEED, host_stalled
from observatory.judging.slo import Slo, errors_met, p99_met, slo_misses
from observatory.results import Trial

# k6 using this share of its cores or more cannot send on time: its latencies include its own queueing.
SATURATED_K6_UTILISATION = 0.9

PASS, MISS, INVALID = "pass", "miss", "invalid"
# An invalid trial is run this many times more before the search counts its rate as a failure; a trial the host
# stalled, this many (a stall is brief and independent of the service: another try usually runs clean).
INVALID_RETRIES = 1
STALL_RETRIES = 2


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
    Guard("host stall or speed", host_stalled),
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


def generator_decided(trial: Trial) -> bool:
    """True when a guard blamed the load generator."""
    return any(reason.startswith(GENERATOR) for reason in trial.invalid_reasons)


def rate_verdict(trials: Iterable[Trial]) -> str:
    """One rate's verdict from its trials in one repeat (first tries, retries, confirmations).

    Any valid miss makes it a miss; otherwise any valid pass makes it a pass; with no valid trial it is invalid.
    """
    valid = [t for t in trials if t.valid]
    if any(not t.slo_met for t in valid):
        return MISS
    return PASS if valid else INVALID


def host_decided(trial: Trial) -> bool:
    """True when the host guard fired (a stall, or a core off its usual speed)."""
    return any(reason.startswith((HOST, HOST_SPEED)) for reason in trial.invalid_reasons)


def needs_retry(attempts: list[Trial]) -> bool:
    """True when the last attempt at a rate was invalid and its retry budget is not spent: STALL_RETRIES more
    attempts after a host stall, INVALID_RETRIES after any other guard."""
    if not attempts or attempts[-1].valid:
        return False
    budget = STALL_RETRIES if host_decided(attempts[-1]) else INVALID_RETRIES
    return len(attempts) <= budget


def search_verdict(at_rate: list[Trial], fresh: list[Trial]) -> bool | None:
    """What the capacity search learns from its latest try at a rate (`fresh`: that try's attempts, the last of
    `at_rate`, which holds every trial at the rate in the repeat).

    None when the host left the try undecided: none of its attempts was valid and the last was the host's (so a
    confirmation the host left undecided does not confirm through the earlier pass). Otherwise True when the rate
    passes over all its trials (`rate_verdict`): a rate with only invalid trials for another reason is a failure.
    """
    if fresh and not any(t.valid for t in fresh) and host_decided(fresh[-1]):
        return None
    return rate_verdict(at_rate) == PASS
