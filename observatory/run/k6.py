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

import psutil

from observatory import k6_summaries, tools
from observatory.errors import ObservatoryError
from observatory.run.processes import OwnedProcess

SCRIPT = tools.ROOT / "loadtests" / "benchmark.js"
PUBLISH_SCRIPT = tools.ROOT / "loadtests" / "publish-capacity.js"
THRESHOLDS_FAILED = 99

# k6's Go garbage collector, left at its default, adds its pauses to the client-side latency: on 2 cores,
# fastapi json at 4,200 req/s (430 VUs) measured p99 104 ms with Go's default collector and 5.5 ms with collection
# deferred to a memory limit, the service unchanged. Trials are short, so k6 collects only if its heap nears the limit.
# A user's own GOGC or GOMEMLIMIT wins; the values used are recorded with the results.
GO_RUNTIME = {
    "GOGC": os.environ.get("GOGC", "off"),
    "GOMEMLIMIT": os.environ.get("GOMEMLIMIT", "4GiB"),
}
# k6's REST API listens on 127.0.0.1:6565 by default: a second k6 at the same time (another run, the calibration
# beside a test) cannot bind it and logs an error. The harness never uses that API, so each k6 takes any free port.
OWN_API_PORT = ("--address", "127.0.0.1:0")


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
    warmup_s: float = 0.0  # `constant` only: unmeasured load at the same rate first, in the same k6 process
    # CHECKS: `sampled` checks status and body of one iteration in 10 (any unexpected status still fails a request):
    # body checks cost k6 3-18 % of its CPU per request (benchmarks/k6_options.py); `body` checks every response.
    checks: str = "sampled"
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
            "WARMUP": f"{self.warmup_s:g}s" if self.warmup_s > 0 and self.scenario == "constant" else None,
            "CHECKS": self.checks,
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
    load_cpu_cores: float | None = None  # cores k6 kept busy while the load ran (its start-up left out)
    load_cpu_wait: float | None = None  # seconds per second k6's threads waited for a CPU while the load ran

    @property
    def busy_cores(self) -> float:
        """Cores k6 kept busy under load; for runs too short to sample, its whole-life average (an underestimate)."""
        if self.load_cpu_cores is not None:
            return self.load_cpu_cores
        return self.cpu_seconds / self.wall_seconds if self.wall_seconds else 0.0

    def metric(self, name: str, key: str, default: float = 0.0, *, window: str | None = None) -> float:
        """A value from the measured window, e.g. metric("http_reqs", "count") (observatory.k6_summaries.metric)."""
        return k6_summaries.metric(self.summary, name, key, default, window=window)

    @property
    def warmup_requests(self) -> int:
        """Requests the unmeasured warm-up sent (the service counts them; the measured window does not)."""
        return int(self.metric("http_reqs", "count", window=k6_summaries.WARMUP_WINDOW))


def run_k6(
    settings: K6Settings,
    summary_path: Path,
    log_path: Path,
    *,
    cores: Sequence[int] | None = None,
    remote_write_url: str | None = None,
    timeout_s: float | None = None,
    extra_env: dict[str, str] | None = None,
    extra_args: Sequence[str] = (),
) -> K6Outcome:
    """Run k6 to completion (bounded by the scenario's own duration plus a margin) and read its summary.

    `extra_env` and `extra_args` (k6 options such as K6_SYSTEM_TAGS or --no-thresholds) come last and win;
    benchmarks/k6_options.py measures what they cost.
    """
    k6 = tools.require("k6")
    if not SCRIPT.is_file():
        raise ObservatoryError(f"k6 script missing: {SCRIPT}")
    summary_path.parent.mkdir(parents=True, exist_ok=True)
    summary_path.unlink(missing_ok=True)
    env = {**os.environ, **GO_RUNTIME, **settings.env(summary_path), "K6_NO_USAGE_REPORT": "true"}
    argv = [k6, "run", "--quiet", "--no-color", *OWN_API_PORT]
    if remote_write_url:
        argv += ["-o", "experimental-prometheus-rw"]
        env.update(
            K6_PROMETHEUS_RW_SERVER_URL=remote_write_url,
            K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM="true",
            K6_PROMETHEUS_RW_PUSH_INTERVAL="1s",
        )
    env.update(extra_env or {})
    argv += [*extra_args, str(SCRIPT)]
    limit = timeout_s if timeout_s is not None else settings.warmup_s + settings.duration_s + 60
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = OwnedProcess("k6", argv, env=env, log_path=log_path, cores=cores, cwd=tools.ROOT)
    samples: list[tuple[float, float]] = []
    waits: list[tuple[float, float]] = []
    with process:
        watched = _watch(process.pid)
        tracker = RunQueueWait(process.pid)
        while process.alive():
            if time.monotonic() - started > limit:
                raise ObservatoryError(f"k6 ran past {limit:.0f}s and was stopped: {process.log_tail()}")
            _sample_cpu(watched, samples, waits, tracker)
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
    return K6Outcome(
        exit_code=code,
        summary=summary,
        wall_seconds=wall,
        cpu_seconds=cpu,
        load_cpu_cores=load_cpu_cores(samples, settings.duration_s),
        load_cpu_wait=load_cpu_cores(waits, settings.duration_s),
    )


def _watch(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None


def _sample_cpu(
    watched: psutil.Process | None,
    samples: list[tuple[float, float]],
    waits: list[tuple[float, float]] | None = None,
    tracker: RunQueueWait | None = None,
) -> None:
    """Append (time, CPU seconds so far) of the k6 process, and (time, run-queue wait so far), every 0.2 s at most."""
    now = time.monotonic()
    if watched is None or (samples and now - samples[-1][0] < 0.2):
        return
    try:
        times = watched.cpu_times()
    except psutil.Error:
        return
    samples.append((now, times.user + times.system))
    if waits is not None and tracker is not None:
        wait = tracker.read()
        if wait is not None:
            waits.append((now, wait))


class RunQueueWait:
    """Seconds a process's threads have spent runnable but waiting for a CPU, summed over threads as they come and go.

    Read from /proc/PID/task/*/schedstat. k6 starved of CPU (another process on its core, a cgroup quota) waits
    here while its own CPU use can stay low, so this, not its utilisation, tells that it could not send on time.
    A thread's wait is counted from its first sample on; an exited thread keeps what it had.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.last: dict[str, int] = {}
        self.total_ns = 0

    def read(self) -> float | None:
        """The cumulative wait so far, in seconds (None when the process is gone)."""
        try:
            tasks = list(Path(f"/proc/{self.pid}/task").iterdir())
        except OSError:
            return None
        for task in tasks:
            try:
                fields = (task / "schedstat").read_text().split()
            except OSError:
                continue
            if len(fields) >= 2:
                wait = int(fields[1])
                self.total_ns += max(0, wait - self.last.get(task.name, wait if self.last else 0))
                self.last[task.name] = wait
        return self.total_ns / 1e9


def load_cpu_cores(samples: list[tuple[float, float]], load_seconds: float) -> float | None:
    """The cores k6 kept busy during its load: CPU over the last `load_seconds` it ran, less the first half-second.

    k6's average over its whole life understates how busy it was under load: starting up, compiling the script
    and the readiness check are a second of mostly idle time, a third of a 3-second trial.
    """
    if len(samples) < 2:
        return None
    end_time = samples[-1][0]
    window = [s for s in samples if s[0] >= end_time - load_seconds + 0.5]
    if len(window) < 2 or window[-1][0] - window[0][0] < 0.5:
        return None
    (t0, cpu0), (t1, cpu1) = window[0], window[-1]
    return (cpu1 - cpu0) / (t1 - t0)


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
        *OWN_API_PORT,
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
