"""One k6 run of loadtests/benchmark.js: its settings as environment, its summary and its own CPU use."""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from observatory import tools
from observatory.errors import ObservatoryError
from observatory.run.processes import OwnedProcess

SCRIPT = tools.ROOT / "loadtests" / "benchmark.js"
PUBLISH_SCRIPT = tools.ROOT / "loadtests" / "publish-capacity.js"
THRESHOLDS_FAILED = 99


@dataclass(frozen=True)
class K6Settings:
    """Everything one k6 run needs; `env()` is the script's interface (loadtests/README.md)."""

    base_url: str
    workload: str
    scenario: str
    testid: str
    run_id: str
    framework: str
    profile: str
    duration_s: float
    workers: int = 1
    rate: float | None = None
    vus: int | None = None
    pre_vus: int | None = None
    max_vus: int | None = None
    slo_p99_ms: float = 100.0
    slo_error_rate: float = 0.01
    workload_env: dict[str, str] = field(default_factory=dict)

    def env(self, summary_path: Path) -> dict[str, str]:
        """The environment variables that configure benchmark.js."""
        values: dict[str, Any] = {
            "BASE_URL": self.base_url,
            "WORKLOAD": self.workload,
            "SCENARIO": self.scenario,
            "TESTID": self.testid,
            "RUN_ID": self.run_id,
            "FRAMEWORK": self.framework,
            "PROFILE": self.profile,
            "WORKERS": self.workers,
            "DURATION": f"{self.duration_s:g}s",
            "RATE": None if self.rate is None else f"{self.rate:g}",
            "VUS": self.vus,
            "PRE_VUS": self.pre_vus,
            "MAX_VUS": self.max_vus,
            "SLO_P99_MS": f"{self.slo_p99_ms:g}",
            "SLO_ERROR_RATE": f"{self.slo_error_rate:g}",
            "SUMMARY_PATH": str(summary_path),
            **self.workload_env,
        }
        return {k: str(v) for k, v in values.items() if v is not None}


@dataclass(frozen=True)
class K6Outcome:
    """What k6 reported: its summary's metrics, how long it ran and the CPU it used."""

    exit_code: int
    summary: dict[str, Any]
    wall_seconds: float
    cpu_seconds: float

    def metric(self, name: str, key: str, default: float = 0.0) -> float:
        """A value from the summary, e.g. metric("http_reqs", "count"), from the scenario's sub-metric when there is one.

        benchmark.js sets thresholds on `name{scenario:...}`, which keeps setup()'s readiness request out.
        """
        metrics = self.summary.get("metrics", {})
        scenario = next((k for k in metrics if k.startswith(f"{name}{{scenario:")), name)
        values = metrics.get(scenario, {}).get("values", {})
        value = values.get(key, default)
        return default if value is None else float(value)


def run_k6(
    settings: K6Settings,
    summary_path: Path,
    log_path: Path,
    *,
    cores: Sequence[int] | None = None,
    remote_write_url: str | None = None,
    timeout_s: float | None = None,
) -> K6Outcome:
    """Run k6 to completion (bounded by the scenario's own duration plus a margin) and read its summary."""
    k6 = tools.require("k6")
    if not SCRIPT.is_file():
        raise ObservatoryError(f"k6 script missing: {SCRIPT}")
    summary_path.parent.mkdir(parents=True, exist_ok=True)
    summary_path.unlink(missing_ok=True)
    env = {**os.environ, **settings.env(summary_path), "K6_NO_USAGE_REPORT": "true"}
    argv = [k6, "run", "--quiet", "--no-color"]
    if remote_write_url:
        argv += ["-o", "experimental-prometheus-rw"]
        env.update(
            K6_PROMETHEUS_RW_SERVER_URL=remote_write_url,
            K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM="true",
            K6_PROMETHEUS_RW_PUSH_INTERVAL="1s",
        )
    argv.append(str(SCRIPT))
    limit = timeout_s if timeout_s is not None else settings.duration_s + 60
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = OwnedProcess("k6", argv, env=env, log_path=log_path, cores=cores, cwd=tools.ROOT)
    with process:
        while process.alive():
            if time.monotonic() - started > limit:
                raise ObservatoryError(f"k6 ran past {limit:.0f}s and was stopped: {process.log_tail()}")
            time.sleep(0.05)
        code = process.exit_code() or 0
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if code not in (0, THRESHOLDS_FAILED):
        raise ObservatoryError(f"k6 failed with exit code {code}: {process.log_tail(3)}")
    try:
        summary = json.loads(summary_path.read_text())
    except (OSError, ValueError):
        raise ObservatoryError(f"k6 wrote no readable summary at {summary_path}: {process.log_tail(3)}") from None
    return K6Outcome(exit_code=code, summary=summary, wall_seconds=wall, cpu_seconds=cpu)


def publish_capacity(rows: list[dict[str, object]], run_id: str, remote_write_url: str, log_path: Path) -> None:
    """Send a run's capacities to Prometheus as k6 gauges (the trends dashboard reads them)."""
    env = {
        **os.environ,
        "CAPACITY_JSON": json.dumps(rows),
        "RUN_ID": run_id,
        "K6_NO_USAGE_REPORT": "true",
        "K6_PROMETHEUS_RW_SERVER_URL": remote_write_url,
    }
    argv = [
        tools.require("k6"),
        "run",
        "--quiet",
        "--no-color",
        "-o",
        "experimental-prometheus-rw",
        str(PUBLISH_SCRIPT),
    ]
    with OwnedProcess("k6 publish", argv, env=env, log_path=log_path, cwd=tools.ROOT) as process:
        deadline = time.monotonic() + 60
        while process.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if process.exit_code() != 0:
            raise ObservatoryError(f"publishing capacities failed: {process.log_tail(3)}")
