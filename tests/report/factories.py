"""Synthetic runs for report and compare tests: realistic shapes, chosen numbers."""

from __future__ import annotations

from observatory.judging import Slo, from_trials, judge
from observatory.results import Capacity, Latency, Run, Trial


def trial(framework: str, profile: str, workload: str, rate: float, achieved: float, p99: float, *, workers: int = 1,
          repeat: int = 1, valid: bool = True, reasons: list[str] | None = None) -> Trial:  # fmt: skip
    """A constant-rate trial judged by the real rules; latency in seconds. Invalid ones: k6 saturated its core."""
    made = Trial(
        trial_id=f"{framework}.{profile}.{workload}.w{workers}.constant.r{rate:g}.n{repeat}",
        framework=framework, profile=profile, workload=workload, workers=workers, repeat=repeat, scenario="constant",
        offered_rate=rate, vus=None, duration_s=10, started_at="2026-11-24T00:00:00+00:00", ended_at="2026-11-24T00:00:10+00:00",
        achieved_rate=achieved, client_requests=int(achieved * 10), server_requests=int(achieved * 10),
        client_latency=Latency(p50=p99 / 4, p90=p99 / 2, p95=p99 / 1.5, p99=p99, max=p99 * 2),
        server_latency=Latency(p50=p99 / 5, p90=p99 / 2.5, p95=p99 / 2, p99=p99 / 1.2),
        cpu_seconds=5.0, cpu_seconds_per_1k=1000 / max(achieved, 1), peak_rss_bytes=80 * 2**20, peak_pss_bytes=60 * 2**20,
        k6_cpu_utilisation=0.3 if valid else 0.95,
    )  # fmt: skip
    judge(made, Slo())
    if reasons:
        made.invalid_reasons, made.valid, made.slo_met = reasons, False, False
    return made


def run(capacities: dict[tuple[str, str, str, int], list[float]], run_id: str = "synthetic") -> Run:
    """A run with the given capacities per (framework, profile, workload, workers) and repeat, and trials around them."""
    trials = []
    for (framework, profile, workload, workers), per_repeat in capacities.items():
        for repeat, capacity in enumerate(per_repeat, start=1):
            for fraction in (0.6, 0.8, 0.9, 0.95, 1.0):
                rate = capacity * fraction
                trials.append(
                    trial(
                        framework, profile, workload, rate, rate, 0.02 + 0.08 * fraction, workers=workers, repeat=repeat
                    )
                )
            # just above the capacity: valid SLO misses, and higher still a rate the generator could not send
            for fraction, p99 in ((1.04, 0.4), (1.1, 0.8)):
                trials.append(trial(framework, profile, workload, capacity * fraction, capacity * fraction * 0.98, p99,
                                    workers=workers, repeat=repeat))  # fmt: skip
            trials.append(trial(framework, profile, workload, capacity * 2, capacity * 1.1, 0.05, workers=workers, repeat=repeat,
                                valid=False, reasons=["load generator saturated: k6 could not start 12 iterations on time"]))  # fmt: skip
    caps = from_trials(trials)
    environment = {"python": "3.11.7", "cpu_model": "Test CPU", "cores": 2, "k6": "k6 v1.8.1",
                   "pinning": {"service_cores": [0], "k6_and_prometheus_cores": [1]}}  # fmt: skip
    return Run(run_id, "2026-11-24T00:00:00+00:00", "2026-11-24T00:10:00+00:00", "complete", None, environment,
               {"database": "sqlite", "instrumentation": "full"}, {"p99_ms": 100.0, "error_rate": 0.01}, trials, caps)  # fmt: skip


def typical() -> Run:
    """Three frameworks on json, io and cpu, three repeats, and a scaling series."""
    return run({
        ("fastapi", "uvicorn", "json", 1): [2900, 3000, 3100],
        ("flask", "gunicorn-sync", "json", 1): [850, 900, 950],
        ("django", "gunicorn-sync", "json", 1): [900, 980, 1000],
        ("fastapi", "uvicorn", "io", 1): [460, 470, 480],
        ("flask", "gunicorn-sync", "io", 1): [82, 84, 86],
        ("django", "gunicorn-sync", "io", 1): [80, 81, 82],
        ("fastapi", "uvicorn", "cpu", 1): [400, 416, 420],
        ("flask", "gunicorn-sync", "cpu", 1): [330, 342, 350],
        ("fastapi", "uvicorn", "json", 2): [5600, 5700, 5800],
        ("fastapi", "uvicorn", "json", 4): [7400, 7600, 7700],
    })  # fmt: skip


def capacity(run: Run, framework: str, workload: str) -> Capacity:
    return next(c for c in run.capacity if c.framework == framework and c.workload == workload and c.workers == 1)
