"""The runners of one distributed k6 test (k6-operator's TestRun) as one trial.

A TestRun's `parallelism` runner pods split one arrival rate between them (k6's execution segments), all under one
testid (the TestRun's name), and each writes the summary of its own share (charts/observatory-load's testrun.yaml:
`<testid>-<pod>.json`). Summaries that share a run and a testid are therefore one test: their counts add up
(requests, failures, dropped iterations, check failures, the achieved rate), and the test is judged once, on the
merged figures, by the same rules as any trial.

Latency cannot be merged exactly from summaries (each holds only its own percentiles): a merged percentile is the
highest of the runners' (the whole's q-quantile is never above the highest part's q-quantile), so the merged p99 is
an upper bound, and the maximum is exact. A test whose runners disagree on what was asked (framework, rate, SLO...)
is not one test, and is refused.
"""

from __future__ import annotations

from dataclasses import replace

from observatory.errors import ObservatoryError
from observatory.judging import Slo, judge
from observatory.results import Latency, Trial

# what every runner of one test must have been asked alike
ASKED = ("framework", "profile", "workload", "workers", "scenario", "offered_rate", "vus", "duration_s", "max_vus")


def _highest(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def merge(runners: list[tuple[Trial, Slo]]) -> tuple[Trial, Slo]:
    """One judged trial from the judged trials of one test's runners (one runner: itself, unchanged)."""
    if len(runners) == 1:
        return runners[0]
    trials = [t for t, _ in runners]
    first, slo = runners[0]
    for trial, other_slo in runners[1:]:
        differing = [k for k in ASKED if getattr(trial, k) != getattr(first, k)]
        if other_slo != slo:
            differing.append("slo")
        if differing:
            raise ObservatoryError(
                f"testid {first.trial_id}: its {len(runners)} summaries differ in {', '.join(differing)}; "
                "they are not the runners of one test"
            )
    requests = sum(t.client_requests for t in trials)
    errors = sum(t.errors for t in trials)
    checks: dict[str, int] = {}
    for trial in trials:
        for name, failures in trial.check_failures.items():
            checks[name] = checks.get(name, 0) + failures
    merged = replace(
        first,
        client_requests=requests,
        achieved_rate=sum(t.achieved_rate for t in trials),
        errors=errors,
        error_rate=errors / requests if requests else 0.0,
        dropped_iterations=sum(t.dropped_iterations for t in trials),
        warmup_requests=sum(t.warmup_requests for t in trials),
        check_failures=checks,
        client_latency=Latency(
            p50=_highest([t.client_latency.p50 for t in trials]),
            p90=_highest([t.client_latency.p90 for t in trials]),
            p95=_highest([t.client_latency.p95 for t in trials]),
            p99=_highest([t.client_latency.p99 for t in trials]),
            max=_highest([t.client_latency.max for t in trials]),
        ),
        started_at=min(t.started_at for t in trials),
        ended_at=max(t.ended_at for t in trials),
        slo_misses=[],
        invalid_reasons=[],
    )
    judge(merged, slo)
    return merged, slo


def merge_runners(judged: list[tuple[Trial, Slo]]) -> list[tuple[Trial, Slo]]:
    """The judged trials of one run with each test's runners merged (by testid), in the order tests first appear."""
    by_test: dict[str, list[tuple[Trial, Slo]]] = {}
    for trial, slo in judged:
        by_test.setdefault(trial.trial_id, []).append((trial, slo))
    return [merge(runners) for runners in by_test.values()]
