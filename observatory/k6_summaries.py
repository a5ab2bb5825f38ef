"""k6 summaries read as data: the client-side figures of a trial, and whole runs rebuilt from summaries alone.

`record_client_side` is the one reader of a summary's figures, for local trials and imported ones alike.
Runs rebuilt from summaries are how the cluster's benchmarks become results that `compare` can read.

The cluster's k6 pods write one summary per benchmark (loadtests/lib/summary.js), each carrying what was asked
(`observatory`: framework, profile, workload, scenario, rate, SLO, run) beside what k6 measured. A summary becomes
a trial judged by the same rules as a local one, and a run's capacity is, per configuration, the highest constant
rate that met the SLO. What only the service side knows (server-side latency, CPU, memory, the client/server count
check) is not in a summary: it is in the cluster's Prometheus, under the same `testid`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from observatory.errors import ObservatoryError
from observatory.judging import Slo, from_trials, judge
from observatory.k6_runners import merge_runners
from observatory.results import Latency, Run, Trial

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _seconds(duration: str) -> float:
    match = _DURATION.match(duration)
    if not match:
        raise ValueError(f"unreadable duration {duration!r}")
    return float(match.group(1)) * _SECONDS[match.group(2)]


WARMUP_WINDOW = "phase:warmup"  # benchmark.js's selector of the warm-up's samples


def metric(summary: dict[str, Any], name: str, key: str, default: float = 0.0, *, window: str | None = None) -> float:
    """A value from a summary's measured window, e.g. metric(s, "http_reqs", "count").

    benchmark.js sets thresholds on the measured window's sub-metrics (`name{phase:measured}` after a warm-up,
    else `name{scenario:...}`), which keeps setup()'s readiness request and the warm-up out; the summary's
    `observatory.measured` names the selector. `window` asks for another selector's (e.g. WARMUP_WINDOW; `default`
    when absent). A summary without sub-metrics (another script) gives the whole metric.
    """
    metrics = summary.get("metrics", {})
    asked = summary.get("observatory") or {}
    measured = asked.get("measured") or (f"scenario:{asked['scenario']}" if asked.get("scenario") else None)
    wanted = window or measured
    if wanted is not None and f"{name}{{{wanted}}}" in metrics:
        chosen = f"{name}{{{wanted}}}"
    elif window is not None:
        return default
    elif f"{name}{{{measured}}}" in metrics:
        chosen = f"{name}{{{measured}}}"
    else:
        chosen = next((k for k in metrics if k.startswith(f"{name}{{scenario:")), name)
    values = metrics.get(chosen, {}).get("values", {})
    value = values.get(key, default)
    return default if value is None else float(value)


def _groups(group: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield group
    children = group.get("groups") or []
    for child in children.values() if isinstance(children, dict) else children:
        yield from _groups(child)


def check_failures(summary: dict[str, Any]) -> dict[str, int]:
    """Failures per check name over every group (k6 lists checks under root_group, as a list or a mapping)."""
    failures: dict[str, int] = {}
    for group in _groups(summary.get("root_group") or {}):
        checks = group.get("checks") or []
        for check in checks.values() if isinstance(checks, dict) else checks:
            name = str(check.get("name", "?"))
            failures[name] = failures.get(name, 0) + int(check.get("fails") or 0)
    return failures


def _ms(summary: dict[str, Any], key: str) -> float | None:
    value = metric(summary, "http_req_duration", key, default=float("nan"))
    return None if math.isnan(value) else value / 1000.0


def completed_in_window(requests: int, scenario: str, vus: int | None) -> int:
    """The requests that completed within the window. In a closed-model sweep every VU still has a request in flight
    when the window ends, and k6 lets it finish and counts it: `vus` more than the window served. A 2 s probe with
    64 VUs of a sync worker on io (10 ms a request) counted 247 requests, 64 of them finished after the window:
    124 req/s read as 92 (tests/run/test_probe.py)."""
    if scenario == "sweep" and vus:
        return max(0, requests - vus)
    return requests


def record_client_side(trial: Trial, summary: dict[str, Any], duration_s: float, k6_utilisation: float | None) -> None:
    """Fill the trial's client-side figures from k6's summary, and k6's CPU share of its cores when known."""
    trial.client_requests = int(metric(summary, "http_reqs", "count"))
    trial.achieved_rate = completed_in_window(trial.client_requests, trial.scenario, trial.vus) / duration_s
    trial.errors = int(metric(summary, "http_req_failed", "passes"))
    trial.error_rate = trial.errors / trial.client_requests if trial.client_requests else 0.0
    trial.dropped_iterations = int(metric(summary, "dropped_iterations", "count"))
    trial.check_failures = check_failures(summary)
    trial.client_latency = Latency(
        p50=_ms(summary, "p(50)") or _ms(summary, "med"),
        p90=_ms(summary, "p(90)"),
        p95=_ms(summary, "p(95)"),
        p99=_ms(summary, "p(99)"),
        max=_ms(summary, "max"),
    )
    if k6_utilisation is not None:
        trial.k6_cpu_utilisation = k6_utilisation


def read_summaries(folder: Path) -> list[tuple[Path, dict]]:
    """Every k6 summary in `folder` (recursively) that says what it measured, sorted by path."""
    if not folder.is_dir():
        raise ObservatoryError(f"{folder} is not a folder of k6 summaries")
    found = []
    for path in sorted(folder.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("observatory"), dict) and "metrics" in data:
            found.append((path, data))
    if not found:
        raise ObservatoryError(
            f"no k6 summary with observatory metadata under {folder} (written by loadtests/benchmark.js)"
        )
    return found


def trial_from_summary(path: Path, data: dict) -> tuple[Trial, Slo]:
    """One trial, judged like a local one, from one summary (each scheduled run is one repeat)."""
    asked = data["observatory"]
    duration = _seconds(asked["duration"])
    ended = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    trial = Trial(
        trial_id=asked["testid"],
        framework=asked["framework"],
        profile=asked["profile"],
        workload=asked["workload"],
        # the cluster's replica sweep records its replica count (loadtests/publish-capacity.js): there, replicas are
        # the scaling unit, so they stand where a local run's worker count stands
        workers=int(asked.get("replicas") or asked.get("workers") or 1),
        repeat=1,
        scenario=asked["scenario"],
        offered_rate=asked.get("rate"),
        vus=asked.get("vus"),
        duration_s=duration,
        started_at="",
        ended_at=ended.isoformat(timespec="seconds"),
        max_vus=asked.get("maxVus"),
    )
    record_client_side(trial, data, duration, k6_utilisation=None)  # k6's CPU is not in its summary
    slo = Slo(p99_ms=float(asked["sloP99Ms"]), error_rate=float(asked["sloErrorRate"]))
    judge(trial, slo)
    return trial, slo


def runs_from_summaries(folder: Path) -> list[Run]:
    """One run per `run` id found in the folder's summaries, trials in file order, capacities derived."""
    grouped: dict[str, list[tuple[Trial, Slo]]] = {}
    targets: dict[str, set[str]] = {}
    units: dict[str, set[str]] = {}
    host_cpus: dict[str, set[int]] = {}  # what the publish steps' pods saw (nproc)
    for path, data in read_summaries(folder):
        try:
            run_id = str(data["observatory"]["run"])
            grouped.setdefault(run_id, []).append(trial_from_summary(path, data))
        except (KeyError, TypeError, ValueError) as error:
            raise ObservatoryError(f"{path}: not a summary this version can read ({error})") from None
        targets.setdefault(run_id, set()).add(str(data["observatory"].get("baseUrl")))
        units.setdefault(run_id, set()).add("replicas" if data["observatory"].get("replicas") else "workers")
        if data["observatory"].get("hostCpus"):
            host_cpus.setdefault(run_id, set()).add(int(data["observatory"]["hostCpus"]))
    runs = []
    for run_id, judged_runners in sorted(grouped.items()):
        judged = merge_runners(judged_runners)  # a TestRun's runners share a testid: one trial (k6_runners.py)
        trials = [trial for trial, _ in judged]
        slos = {(slo.p99_ms, slo.error_rate) for _, slo in judged}
        if len(slos) > 1:
            raise ObservatoryError(f"run {run_id} mixes SLOs {sorted(slos)}: its capacities would not compare")
        p99_ms, error_rate = slos.pop()
        ends = sorted(t.ended_at for t in trials)
        runs.append(
            Run(
                run_id=run_id,
                created_at=ends[0],
                finished_at=ends[-1],
                status="complete",
                error=None,
                environment={
                    "source": "k6 summaries (cluster mode): client side only; the service side is in the "
                    "cluster's Prometheus under the same testid",
                    "summaries": str(folder.resolve()),
                    "targets": sorted(targets[run_id]),
                    **({"host_cpus": max(host_cpus[run_id])} if run_id in host_cpus else {}),
                },
                settings={"imported_from": str(folder.resolve()), "scaling_unit": "+".join(sorted(units[run_id]))},
                slo={"p99_ms": p99_ms, "error_rate": error_rate},
                trials=trials,
                capacity=from_trials(trials),
            )
        )
    return runs
