"""Generator calibration: how fast k6 itself can send, on this machine, before it decides any trial.

The same script (loadtests/benchmark.js) and executor (constant arrival rate, the trials' VUs and warm-up) run
against the null target (nginx, observatory/run/null_target.py) pinned to the service cores, over a ladder of
rates, in keep-alive and connection-close modes. Per rate: k6's own p50 and p99, dropped iterations, errors, the
CPU k6 used and the time its threads waited for one. The **clean ceiling** is the highest rate at which, at it
and every rate below, k6's own p99 stays within `SHARE_OF_SLO` of the SLO's p99, nothing is dropped or failed
and k6 used less than `MAX_CPU` of its cores. Above it, a trial's latency is partly k6's own.

Calibrations are cached under .tools/cache/calibration/, one file per machine (CPU model, cores, pinning), k6
version, script (hash of loadtests/benchmark.js and lib/), workload (its body), connection mode, ladder and
clean bound; anything changed is a new key. `observatory calibrate --refresh` measures again.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from observatory import tools
from observatory.errors import ObservatoryError
from observatory.judging.generator import STARVED_WAIT
from observatory.judging.trial import SATURATED_K6_UTILISATION
from observatory.results import write_atomically
from observatory.run.environment import cpu_model
from observatory.run.k6 import GO_RUNTIME, K6Settings, run_k6
from observatory.run.null_target import CLOSE, KEEP_ALIVE, MODES, NullTarget, answers
from observatory.run.stalls import StallMeter

SHARE_OF_SLO = 0.10  # k6's own p99 at most 10 % of the SLO's p99 (10 ms for 100 ms): the rest is the service's
MAX_CPU = SATURATED_K6_UTILISATION  # the trials' guard: k6 at 90 % of its cores or more cannot send on time
RATES = (1000, 2000, 3000, 4000, 6000, 8000, 12000)
BELOW = (500, 250, 100)  # tried, downwards, only when the first rate is not clean
# A trial's warm-up, and a shorter window than a trial's 2 s or more, so a run's first calibration stays short: 1.5 s
# at 1,000 req/s is 1,500 samples for k6's own p99.
WARMUP_S = 0.5
MEASURE_S = 1.5
ATTEMPTS = 2  # an unclean rate is measured again once: a host stall should not lower the ceiling
# k6 waiting for a CPU this many seconds per second at the rate that ended the climb: the ending was the host's. On
# a quiet host the ending rates waited 0.04-0.10 (k6 itself saturated); ladders measured beside a busy build
# waited 0.26-1.17 there and set ceilings a half to a quarter of the machine's.
ENDING_WAIT = 0.25
MAX_VUS = 1000
SCRIPT_DIR = tools.ROOT / "loadtests"
CACHE_DIR = Path(os.environ.get("OBSERVATORY_CALIBRATION_CACHE", tools.ROOT / ".tools" / "cache" / "calibration"))

Progress = Callable[[str], None]


def vus_for(rate: float, slo_p99_ms: float) -> int:
    """The trials' VU pool for a rate: enough for the rate at twice the SLO's latency (run/trial.py's rule)."""
    return min(MAX_VUS, max(20, math.ceil(rate * 2 * slo_p99_ms / 1000) + 10))


def connection_mode(server: str, config: str | None) -> str:
    """How a service profile treats connections: gunicorn's sync worker closes each after its response."""
    return CLOSE if server == "gunicorn" and config is not None and "sync" in config else KEEP_ALIVE


def script_hash(directory: Path | None = None) -> str:
    """sha256 of the benchmark script and its library (loadtests/ unless told), in path order."""
    directory = directory or SCRIPT_DIR
    digest = hashlib.sha256()
    for path in sorted([directory / "benchmark.js", *(directory / "lib").glob("*.js")]):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Point:
    """k6 against the null target at one rate."""

    rate: float
    requests: int
    p50_ms: float | None
    p99_ms: float | None
    dropped: int
    errors: int
    cpu: float | None  # share of k6's cores it used while the load ran, 0..1
    cpu_wait: float | None  # seconds per second its threads waited for a CPU
    stall_ms: float | None  # the host's longest stall meanwhile (observatory/run/stalls.py)
    attempts: int = 1
    # the median time of the stall meter's reference work on k6's cores meanwhile: how fast the host ran (stalls.py)
    work_us: float | None = None

    def problems(self, clean_p99_ms: float) -> list[str]:
        """Why this rate is not clean (empty when it is)."""
        found = []
        if self.p99_ms is None or self.p99_ms > clean_p99_ms:
            found.append(
                f"k6's p99 {self.p99_ms if self.p99_ms is not None else float('nan'):.1f} ms > {clean_p99_ms:g} ms"
            )
        if self.dropped:
            found.append(f"{self.dropped} dropped")
        if self.errors:
            found.append(f"{self.errors} failed")
        if self.cpu is not None and self.cpu >= MAX_CPU:
            found.append(f"k6 at {self.cpu:.0%} CPU")
        return found


def clean_p99_ms(slo_p99_ms: float) -> float:
    """The highest p99 of k6's own that leaves the SLO to the service."""
    return slo_p99_ms * SHARE_OF_SLO


@dataclass
class Ladder:
    """One workload and connection mode, calibrated: every rate measured, the key it is valid for."""

    workload: str
    mode: str
    key: dict[str, Any]
    created_at: str
    points: list[Point] = field(default_factory=list)
    cached: bool = False

    @property
    def clean_p99_ms(self) -> float:
        """The bound this ladder was measured against."""
        return float(self.key["clean_p99_ms"])

    @property
    def ceiling_rps(self) -> float | None:
        """The clean ceiling: the highest rate that, with every rate below it, was clean; 0 when not even the lowest
        rate tried was (no miss can then be told from k6's own latency); None before any rate was measured."""
        if not self.points:
            return None
        return clean_ceiling(self.points, self.clean_p99_ms) or 0.0

    @property
    def host_busy(self) -> str | None:
        """Why this ladder measured a busy host rather than k6 (then it is used once, never cached), or None.

        k6's threads waiting for a CPU half the time or more (judging/generator.STARVED_WAIT), over the ladder's
        rates, means other work shared its core: the ceiling found is that moment's, not the machine's. So does
        a wait of ENDING_WAIT or more at the one rate that ended the climb, since the ceiling rests on that rate
        alone: a ladder cached from a busy minute would bound every later run of the machine.
        """
        waits = sorted(p.cpu_wait for p in self.points if p.cpu_wait is not None)
        if waits and waits[len(waits) // 2] >= STARVED_WAIT:
            return (
                f"k6 waited for a CPU {waits[len(waits) // 2]:.0%} of the time (median over rates): the host was busy"
            )
        ending = next((p for p in sorted(self.points, key=lambda p: p.rate) if p.problems(self.clean_p99_ms)), None)
        if ending is not None and ending.cpu_wait is not None and ending.cpu_wait >= ENDING_WAIT:
            return (
                f"k6 waited for a CPU {ending.cpu_wait:.0%} of the time at {ending.rate:,.0f} req/s, the rate that "
                "ended the ladder: the host, not k6, may have ended it"
            )
        return None

    @property
    def work_us(self) -> float | None:
        """How fast the host ran while this ladder was measured: the median of its rates' reference work times on
        k6's cores (None for ladders measured before it was recorded)."""
        works = [p.work_us for p in self.points if p.work_us]
        return statistics.median(works) if works else None

    def as_dict(self) -> dict[str, Any]:
        """For the cache and results.json."""
        return {**asdict(self), "ceiling_rps": self.ceiling_rps, "host_busy": self.host_busy, "work_us": self.work_us}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ladder:
        """The ladder a dictionary describes (as written by `as_dict`)."""
        points = [Point(**p) for p in data["points"]]
        return cls(data["workload"], data["mode"], data["key"], data["created_at"], points, bool(data.get("cached")))


def clean_ceiling(points: Iterable[Point], clean_p99: float) -> float | None:
    """The highest rate such that it and every lower rate measured were clean."""
    ceiling = None
    for point in sorted(points, key=lambda p: p.rate):
        if point.problems(clean_p99):
            break
        ceiling = point.rate
    return ceiling


def ladder_key(workload: str, mode: str, slo_p99_ms: float, k6_cores: Sequence[int], service_cores: Sequence[int],
               rates: Sequence[float] = RATES) -> dict[str, Any]:  # fmt: skip
    """Everything a calibration depends on; a change in any of it is a new calibration."""
    body = answers()[workload]
    return {
        "cpu_model": cpu_model(),
        "cores": len(os.sched_getaffinity(0)),
        "k6_cores": len(k6_cores),
        "service_cores": len(service_cores),
        "k6": tools.version("k6"),
        "go_runtime": dict(GO_RUNTIME),
        "script": script_hash(),
        "workload": workload,
        "body": hashlib.sha256(f"{body.status} {body.content_type} {body.body}".encode()).hexdigest()[:12],
        "mode": mode,
        "checks": K6Settings.__dataclass_fields__["checks"].default,
        "rates": [float(r) for r in rates],
        "below": [float(r) for r in BELOW if r < min(rates)],
        "warmup_s": WARMUP_S,
        "measure_s": MEASURE_S,
        "clean_p99_ms": clean_p99_ms(slo_p99_ms),
    }


def cache_path(key: dict[str, Any], directory: Path | None = None) -> Path:
    """Where the ladder of `key` is cached."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
    return (directory or CACHE_DIR) / f"{key['workload']}.{key['mode']}.{digest}.json"


def load_cached(key: dict[str, Any], directory: Path | None = None) -> Ladder | None:
    """The cached ladder for exactly this key, or None."""
    path = cache_path(key, directory)
    try:
        ladder = Ladder.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if ladder.key != key:
        return None
    ladder.cached = True
    return ladder


def save_cached(ladder: Ladder, directory: Path | None = None) -> Path:
    """Write the ladder to the cache."""
    path = cache_path(ladder.key, directory)
    write_atomically(path, json.dumps({**ladder.as_dict(), "cached": False}, indent=2) + "\n")
    return path


def measure_rate(
    target: NullTarget, workload: str, rate: float, slo_p99_ms: float, k6_cores: Sequence[int], work_dir: Path,
    meter: StallMeter | None = None,
) -> Point:  # fmt: skip
    """k6 against the null target at one rate, as a trial would run it."""
    vus = vus_for(rate, slo_p99_ms)
    settings = K6Settings(
        base_url=target.url,
        workload=workload,
        scenario="constant",
        testid=f"calibration.{workload}.{target.mode}.r{rate:g}",
        run_id="calibration",
        framework="null-target",
        profile=f"nginx-{target.mode}",
        duration_s=MEASURE_S,
        rate=rate,
        pre_vus=vus,
        max_vus=vus,
        slo_p99_ms=slo_p99_ms,
        warmup_s=WARMUP_S,
    )
    started = time.monotonic()
    outcome = run_k6(
        settings, work_dir / f"{workload}.{target.mode}.r{rate:g}.json", work_dir / "k6.log", cores=k6_cores
    )
    ended = time.monotonic()
    duration = outcome.metric("http_req_duration", "p(99)", default=math.nan)
    p50 = outcome.metric("http_req_duration", "p(50)", default=math.nan)
    window = meter.window(max(started, ended - MEASURE_S - 0.5), ended) if meter else None
    stall = window.max_ms if window else None
    works = [c.work_us for c in (window.cores if window else ()) if c.core in k6_cores and c.work_us]
    return Point(
        rate=rate,
        requests=int(outcome.metric("http_reqs", "count")),
        p50_ms=None if math.isnan(p50) else round(p50, 3),
        p99_ms=None if math.isnan(duration) else round(duration, 3),
        dropped=int(outcome.metric("dropped_iterations", "count")),
        errors=int(outcome.metric("http_req_failed", "passes")),
        cpu=None if outcome.load_cpu_cores is None else round(outcome.load_cpu_cores / max(1, len(k6_cores)), 3),
        cpu_wait=None if outcome.load_cpu_wait is None else round(outcome.load_cpu_wait, 3),
        stall_ms=None if stall is None else round(stall, 1),
        work_us=round(statistics.median(works), 1) if works else None,
    )


def run_ladder(
    target: NullTarget, workload: str, key: dict[str, Any], slo_p99_ms: float, k6_cores: Sequence[int],
    work_dir: Path, meter: StallMeter | None = None, progress: Progress | None = None,
) -> Ladder:  # fmt: skip
    """Climb the rates until one is not clean (measured twice): the ceiling is the rate below. When the first rate
    is not clean, step down (`key["below"]`) until one is, so the ceiling is known even on a slow or busy host."""
    ladder = Ladder(workload, target.mode, key, datetime.now(UTC).isoformat(timespec="seconds"))

    def clean(rate: float) -> bool:
        point = None
        for attempt in range(1, ATTEMPTS + 1):
            point = measure_rate(target, workload, rate, slo_p99_ms, k6_cores, work_dir, meter)
            point = Point(**{**asdict(point), "attempts": attempt})
            if not point.problems(ladder.clean_p99_ms):
                break
        assert point is not None
        ladder.points.append(point)
        problems = point.problems(ladder.clean_p99_ms)
        if progress:
            progress(f"{workload} {target.mode} {rate:>6,.0f} req/s: k6 p99 {_ms(point.p99_ms)}, "
                     f"CPU {_pct(point.cpu)}" + (f" — not clean: {'; '.join(problems)}" if problems else ""))  # fmt: skip
        return not problems

    for rate in key["rates"]:
        if not clean(rate):
            break
    if ladder.ceiling_rps == 0.0:
        for rate in key.get("below", ()):
            if clean(rate):
                break
    ladder.points.sort(key=lambda p: p.rate)
    return ladder


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


@dataclass
class Calibration:
    """Every ladder a run needs, and how to read the ceiling that applies to a trial."""

    share_of_slo: float
    clean_p99_ms: float
    ladders: list[Ladder]

    def ladder(self, workload: str, mode: str) -> Ladder | None:
        """The ladder of a workload and connection mode."""
        return next((x for x in self.ladders if x.workload == workload and x.mode == mode), None)

    def ceiling(self, workload: str, mode: str) -> float | None:
        """The clean ceiling that applies to a trial of `workload` against a service in `mode` (None: unknown)."""
        found = self.ladder(workload, mode)
        return None if found is None else found.ceiling_rps

    def as_dict(self) -> dict[str, Any]:
        """For results.json."""
        return {
            "share_of_slo": self.share_of_slo,
            "clean_p99_ms": self.clean_p99_ms,
            "max_cpu": MAX_CPU,
            "ladders": [ladder.as_dict() for ladder in self.ladders],
        }


def calibrate(
    needs: Iterable[tuple[str, str]],
    slo_p99_ms: float,
    *,
    k6_cores: Sequence[int],
    service_cores: Sequence[int],
    work_dir: Path,
    refresh: bool = False,
    rates: Sequence[float] = RATES,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    keep_busy: bool = False,
) -> Calibration:
    """The ladders of every (workload, mode) in `needs`: from the cache, or measured (and cached) when missing.

    A ladder measured while the host was busy (`Ladder.host_busy`) is used for this run only, unless `keep_busy`.
    """
    wanted = sorted(set(needs), key=lambda pair: (MODES.index(pair[1]), pair[0]))
    for workload, mode in wanted:
        if workload not in answers() or mode not in MODES:
            raise ObservatoryError(f"cannot calibrate {workload!r} in mode {mode!r}")
    ladders: list[Ladder] = []
    missing: list[tuple[str, str, dict[str, Any]]] = []
    for workload, mode in wanted:
        key = ladder_key(workload, mode, slo_p99_ms, k6_cores, service_cores, rates)
        cached = None if refresh else load_cached(key, cache_dir)
        if cached is not None:
            ladders.append(cached)
        else:
            missing.append((workload, mode, key))
    if missing:
        with StallMeter(sorted({*k6_cores, *service_cores}), work_dir / "stalls") as meter:
            for mode in MODES:
                todo = [(w, k) for w, m, k in missing if m == mode]
                if not todo:
                    continue
                with NullTarget(work_dir / f"nginx-{mode}", mode, cores=service_cores) as target:
                    for workload, key in todo:
                        ladder = run_ladder(target, workload, key, slo_p99_ms, k6_cores, work_dir, meter, progress)
                        if keep_busy or not ladder.host_busy:
                            save_cached(ladder, cache_dir)
                        elif progress:
                            progress(f"{workload} {mode}: not cached: {ladder.host_busy}")
                        ladders.append(ladder)
    ladders.sort(key=lambda x: (MODES.index(x.mode), x.workload))
    return Calibration(SHARE_OF_SLO, clean_p99_ms(slo_p99_ms), ladders)
