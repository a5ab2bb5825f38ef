"""Runs rebuilt from k6 summaries alone: how the cluster's benchmarks become results that `compare` can read.

The cluster's k6 pods write one summary per benchmark (loadtests/lib/summary.js), each carrying what was asked
(`observatory`: framework, profile, workload, scenario, rate, SLO, run) beside what k6 measured. A summary becomes
a trial judged by the same rules as a local one, and a run's capacity is, per configuration, the highest constant
rate that met the SLO. What only the service side knows (server-side latency, CPU, memory, the client/server count
check) is not in a summary: it is in the cluster's Prometheus, under the same `testid`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from observatory.errors import ObservatoryError
from observatory.results import Run, Trial
from observatory.run import capacity
from observatory.run.k6 import K6Outcome
from observatory.run.trial import Slo, judge, record_client_side

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _seconds(duration: str) -> float:
    match = _DURATION.match(duration)
    if not match:
        raise ValueError(f"unreadable duration {duration!r}")
    return float(match.group(1)) * _SECONDS[match.group(2)]


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
        workers=int(asked.get("workers") or 1),
        repeat=1,
        scenario=asked["scenario"],
        offered_rate=asked.get("rate"),
        vus=asked.get("vus"),
        duration_s=duration,
        started_at="",
        ended_at=ended.isoformat(timespec="seconds"),
    )
    outcome = K6Outcome(exit_code=0, summary=data, wall_seconds=duration, cpu_seconds=0.0)
    record_client_side(trial, outcome, duration, k6_cores=None)  # k6's CPU is not in its summary
    slo = Slo(p99_ms=float(asked["sloP99Ms"]), error_rate=float(asked["sloErrorRate"]))
    judge(trial, slo, asked.get("maxVus"))
    return trial, slo


def runs_from_summaries(folder: Path) -> list[Run]:
    """One run per `run` id found in the folder's summaries, trials in file order, capacities derived."""
    grouped: dict[str, list[tuple[Trial, Slo]]] = {}
    targets: dict[str, set[str]] = {}
    for path, data in read_summaries(folder):
        try:
            run_id = str(data["observatory"]["run"])
            grouped.setdefault(run_id, []).append(trial_from_summary(path, data))
        except (KeyError, TypeError, ValueError) as error:
            raise ObservatoryError(f"{path}: not a summary this version can read ({error})") from None
        targets.setdefault(run_id, set()).add(str(data["observatory"].get("baseUrl")))
    runs = []
    for run_id, judged in sorted(grouped.items()):
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
                },
                settings={"imported_from": str(folder.resolve())},
                slo={"p99_ms": p99_ms, "error_rate": error_rate},
                trials=trials,
                capacity=capacity.from_trials(trials),
            )
        )
    return runs
