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

SCHEMA_VERSION = 1
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
    slo_met: bool = False
    valid: bool = True
    invalid_reasons: list[str] = field(default_factory=list)


@dataclass
class Capacity:
    """The highest arrival rate that met the SLO, per repeat, with its median and spread."""

    framework: str
    profile: str
    workload: str
    workers: int
    per_repeat: list[float | None]
    median: float | None
    low: float | None
    high: float | None
    cv: float | None  # coefficient of variation over repeats (stdev / mean)


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
        capacity = [Capacity(**c) for c in data.get("capacity", [])]
        fields = {k: v for k, v in data.items() if k not in ("trials", "capacity")}
        return cls(**fields, trials=trials, capacity=capacity)


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
