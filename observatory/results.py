"""The results file: what one run measured, written atomically as `results/<run-id>/results.json`.

Every number a report or comparison shows comes from here; the schema version changes when a
field changes meaning.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 3  # 3: capacities are fitted estimates with a 90 % interval; rounds of slots replace searches
RESULTS_FILE = "results.json"


@dataclass
class Latency:
    """Latency percentiles in seconds (None where nothing was measured)."""

    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None


@dataclass
class Trial:
    """One load level against one service configuration, and what it showed."""

    trial_id: str
    framework: str
    profile: str
    workload: str
    workers: int
    repeat: int
    scenario: str  # "constant" (open model), "step" (capacity search) or "sweep" (closed model)
    offered_rate: float | None  # requests per second offered (open model)
    vus: int | None  # concurrent virtual users (closed model)
    duration_s: float
    started_at: str
    ended_at: str
    achieved_rate: float = 0.0
    client_requests: int = 0
    server_requests: int | None = None
    errors: int = 0
    error_rate: float = 0.0
    dropped_iterations: int = 0
    client_latency: Latency = field(default_factory=Latency)
    server_latency: Latency = field(default_factory=Latency)
    cpu_seconds: float | None = None
    cpu_seconds_per_1k: float | None = None
    peak_rss_bytes: float | None = None
    peak_pss_bytes: float | None = None
    k6_cpu_utilisation: float | None = None  # k6's CPU seconds per second over its cores' capacity, 0..1
    max_vus: int | None = None  # the VUs k6 could use (open model)
    k6_cpu_wait: float | None = None  # seconds per second k6's threads waited for a CPU while the load ran
    warmup_requests: int = 0  # sent by the unmeasured warm-up before the measured window (the service counts them)
    generator_ceiling_rps: float | None = None  # k6's calibrated clean ceiling for this workload and connection mode
    host_stalls: dict[str, Any] | None = None  # the stall meter's figures over the measured window (run/stalls.py)
    check_failures: dict[str, int] = field(default_factory=dict)  # k6 check name -> failures
    attempt: int = 1  # 2 and more: a retry of an invalid trial, or a confirmation of a pass
    slo_met: bool = False
    slo_misses: list[str] = field(default_factory=list)  # why it missed the SLO (observatory.judging.trial)
    valid: bool = True
    invalid_reasons: list[str] = field(default_factory=list)


@dataclass
class Capacity:
    """The fitted rate at which the service meets the SLO, with its 90 % interval, its spread over rounds and a
    host-normalised figure.

    Judged by observatory.judging.capacity (docs/judging.md); the report, the table, compare and the trends dashboard
    read these fields rather than recomputing them.
    """

    framework: str
    profile: str
    workload: str
    workers: int
    per_repeat: list[float]  # each round's own estimate (req/s), in round order
    estimate: float | None  # req/s, fitted over every round's valid trials (None: every rate tried missed)
    low: float | None  # the 90 % interval (bootstrap over the trials)
    high: float | None  # None: open above (a lower bound, or an interval reaching the load generator's ceiling)
    cv: float | None  # coefficient of variation of the rounds' estimates (stdev / mean)
    lower_bound: bool = False  # "≥": no valid trial missed the SLO
    lower_bound_reason: str | None = None  # "load generator", "every rate tried met the SLO", or why it is open
    normalised: float | None = None  # req/s on cores left to the service at the run's usual speed (docs/judging.md)
    normalised_low: float | None = None
    normalised_high: float | None = None
    trials_fitted: int = 0
    trials_left_out: int = 0  # valid trials a host stall spoiled (judging.host.stalled)
    p99_at_capacity: float | None = None  # seconds, client side: median over the passing trials just below it
    cpu_seconds_per_1k: float | None = None  # service CPU seconds per 1,000 requests near capacity (median)
    peak_rss_bytes: float | None = None  # the service's peak resident memory over its valid trials of this workload
    peak_pss_bytes: float | None = None  # the same for proportional memory (shared pages split between processes)


@dataclass
class Slot:
    """One round of one block: a fresh service process (its own hash seed) and the rates it ran."""

    framework: str
    profile: str
    workload: str
    workers: int
    round: int
    hash_seed: int
    probe_rps: float | None = None  # the closed-model probe's throughput (the first round only)
    rates: list[float] = field(default_factory=list)
    finished: bool = False


@dataclass
class Run:
    """A whole run: its conditions, every trial in the order run, and the capacities derived."""

    run_id: str
    created_at: str
    finished_at: str | None
    status: str  # "complete", "partial" (stopped early: see `error`) or "running"
    error: str | None
    environment: dict[str, Any]
    settings: dict[str, Any]
    slo: dict[str, float]
    trials: list[Trial] = field(default_factory=list)
    capacity: list[Capacity] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    calibration: dict[str, Any] | None = None  # the load generator's calibration (run/calibration.py)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        """The run a dictionary describes (as written by `to_dict`)."""
        trials = [
            Trial(
                **{
                    **t,
                    "client_latency": Latency(**t["client_latency"]),
                    "server_latency": Latency(**t["server_latency"]),
                }
            )
            for t in data.get("trials", [])
        ]
        # an older file's capacities were judged by rules since replaced: report.read_run judges its trials again
        old = data.get("schema_version", 1) < 3
        capacity = [] if old else [Capacity(**c) for c in data.get("capacity", [])]
        slots = [Slot(**s) for s in data.get("slots", [])]
        fields = {k: v for k, v in data.items() if k not in ("trials", "capacity", "searches", "slots")}
        return cls(**fields, trials=trials, capacity=capacity, slots=slots)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(run: Run, run_dir: Path) -> Path:
    """Write the run's results.json into `run_dir`."""
    path = run_dir / RESULTS_FILE
    write_atomically(path, json.dumps(run.to_dict(), indent=2, ensure_ascii=False) + "\n")
    return path


def load(run_dir: Path) -> Run:
    """Read `run_dir/results.json` (or a results.json path)."""
    path = run_dir if run_dir.is_file() else run_dir / RESULTS_FILE
    return Run.from_dict(json.loads(path.read_text(encoding="utf-8")))
