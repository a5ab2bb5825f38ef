"""Host meter: one small process per core sleeps 1 ms at a time and records how late it wakes (jHiccup's idea),
and times a fixed piece of reference work every 100 ms, to see how fast the core runs.

A late wake-up is time the core gave to something else (another process, the kernel, the hypervisor): any
process on that core, k6's or the service's, lost the same time. The reference work's CPU time is the core's speed:
on some hosts it switches between levels with nothing of ours running (docs/measurements.md), and a service's CPU
per request follows it (judging/host.py). Each meter writes one
line every 100 ms to its own file, and one line per stall of 1 ms or more; `StallMeter.window(start, end)` reads
back the statistics of a trial's window (times are `time.monotonic()`, the clock the meters write).

Line format: `I <t_ns> <wake-ups> <max_us> <h0,h1,...> <work_ns>` (histogram of overshoots, bucket k < 32 µs ×
2^k; the reference work's CPU time) and `S <t_ns> <overshoot_us>` (one stall, `t_ns` when the late wake-up came).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any

from observatory.errors import ObservatoryError
from observatory.run.processes import OwnedProcess

SLEEP_NS = 1_000_000
REPORT_NS = 100_000_000
# How long a trial's reading waits for every meter to report past the trial's end (a report is due every REPORT_NS).
WINDOW_WAIT_S = 2.0
STALL_US = 1_000  # stalls at least this long are written one by one, with their time
BUCKETS = 16  # overshoot histogram: bucket k holds overshoots below 32 µs x 2^k, the last one everything above
FIRST_BUCKET_US = 32
# The reference work: this many rounds of integer arithmetic in the interpreter, all in registers and the first-level
# cache, timed in the meter thread's own CPU time (so neither a preemption nor the service's load on the core counts).
# About 105-240 µs here, once per report: 0.1-0.2 % of a core.
REFERENCE_ROUNDS = 3000
# A core's usual speed: this host switches between speeds (see the module's docstring), so the usual one is the
# median of the larger of two groups of the run's reports so far: those within SPEED_STEP of the fastest (its
# REFERENCE_QUANTILE) and those beyond. It needs MIN_REFERENCE_REPORTS of them (2 s) to be known.
REFERENCE_QUANTILE = 0.1
SPEED_STEP = 1.25
MIN_REFERENCE_REPORTS = 20
# The share of a core the host left to us in a window: the median of its reports' wake-ups over the usual count (the
# AVAILABLE_QUANTILE of the run's reports until then). A process that takes the core (the noise injector's real-time
# hog, another tenant) delays every wake-up behind it, so a core with 40 % taken wakes about 40 % less often.
AVAILABLE_QUANTILE = 0.9


def bucket(overshoot_us: int) -> int:
    """The histogram bucket of an overshoot."""
    if overshoot_us < FIRST_BUCKET_US:
        return 0
    return min(BUCKETS - 1, int(math.log2(overshoot_us / FIRST_BUCKET_US)) + 1)


def bucket_upper_us(index: int) -> float:
    """The upper edge of a bucket (infinity for the last)."""
    return math.inf if index >= BUCKETS - 1 else FIRST_BUCKET_US * 2.0**index


def reference_work(rounds: int = REFERENCE_ROUNDS) -> int:
    """Do the fixed reference work; its CPU time in ns (the meter thread's own)."""
    started = time.thread_time_ns()
    total = 0
    for i in range(rounds):
        total += i * i % 7
    return time.thread_time_ns() - started


def meter(out: Path, sleep_ns: int = SLEEP_NS, report_ns: int = REPORT_NS, rounds: int = REFERENCE_ROUNDS) -> None:
    """Sleep, measure the overshoot, write a line per report interval (with one timing of the reference work) and
    per stall; runs until killed."""
    histogram = [0] * BUCKETS
    wakeups = worst = 0
    sleep_s = sleep_ns / 1e9
    with out.open("a", buffering=1, encoding="ascii") as handle:
        next_report = time.monotonic_ns() + report_ns
        while True:
            before = time.monotonic_ns()
            time.sleep(sleep_s)
            after = time.monotonic_ns()
            overshoot = max(0, (after - before - sleep_ns) // 1000)
            wakeups += 1
            histogram[bucket(overshoot)] += 1
            worst = max(worst, overshoot)
            if overshoot >= STALL_US:
                handle.write(f"S {after} {overshoot}\n")
            if after >= next_report:
                work_ns = reference_work(rounds)
                handle.write(f"I {after} {wakeups} {worst} {','.join(map(str, histogram))} {work_ns}\n")
                histogram = [0] * BUCKETS
                wakeups = worst = 0
                next_report = after + report_ns


@dataclass(frozen=True)
class CoreStalls:
    """One core's stalls within a window."""

    core: int
    wakeups: int
    max_ms: float
    p99_ms: float  # upper edge of the histogram bucket holding the 99th percentile overshoot
    stalls_ms: tuple[float, ...]  # every stall of 1 ms or more, in order
    work_us: float | None = None  # the reference work's median CPU time over the window's reports
    usual_work_us: float | None = None  # the core's usual time for it over the run until the window's end
    available: float | None = None  # the share of the core left to us in the window (AVAILABLE_QUANTILE)

    @property
    def speed_ratio(self) -> float | None:
        """The window's reference time over the usual one: above 1 the core ran slower than usual (None: unknown)."""
        if not self.work_us or not self.usual_work_us:
            return None
        return self.work_us / self.usual_work_us

    @property
    def off_speed(self) -> float:
        """How far the window's speed was from the usual, either way, as a factor of at least 1."""
        ratio = self.speed_ratio
        return 1.0 if ratio is None else max(ratio, 1 / ratio)

    @property
    def host_share(self) -> float | None:
        """The share of a usual core the window had: the share left to us, over the reference work's slow-down."""
        if self.available is None:
            return None
        return self.available / (self.speed_ratio or 1.0)

    def over(self, bound_ms: float) -> int:
        """How many stalls reached `bound_ms`."""
        return sum(1 for s in self.stalls_ms if s >= bound_ms)


@dataclass(frozen=True)
class WindowStalls:
    """Every metered core's stalls within one window (a trial's measured load)."""

    start: float
    end: float
    cores: tuple[CoreStalls, ...] = field(default_factory=tuple)

    @property
    def max_ms(self) -> float:
        """The longest stall on any core."""
        return max((c.max_ms for c in self.cores), default=0.0)

    @property
    def worst_core(self) -> int | None:
        """The core with the longest stall."""
        return max(self.cores, key=lambda c: c.max_ms).core if self.cores else None

    @property
    def most_off_speed(self) -> CoreStalls | None:
        """The core whose speed was furthest from its usual one (None: no core knows its usual speed)."""
        known = [c for c in self.cores if c.speed_ratio is not None]
        return max(known, key=lambda c: c.off_speed) if known else None

    @property
    def host_share(self) -> float | None:
        """The least share of a usual core any metered core had in the window (None: unknown)."""
        shares = [s for c in self.cores if (s := c.host_share) is not None]
        return min(shares) if shares else None

    def as_dict(self, bound_ms: float) -> dict[str, Any]:
        """For results.json: the worst figures over cores, the bound, and each core's."""
        off = self.most_off_speed
        share = self.host_share
        return {
            "window_s": round(self.end - self.start, 3),
            "max_ms": round(self.max_ms, 2),
            "p99_ms": max((c.p99_ms for c in self.cores), default=0.0),
            "bound_ms": bound_ms,
            "over_bound": sum(c.over(bound_ms) for c in self.cores),
            "worst_core": self.worst_core,
            "speed_ratio": round(off.speed_ratio, 3) if off and off.speed_ratio else None,
            "speed_core": off.core if off else None,
            "host_share": None if share is None else round(share, 3),
            "per_core": {
                str(c.core): {"max_ms": round(c.max_ms, 2), "p99_ms": c.p99_ms, "wakeups": c.wakeups,
                              "stalls_over_1ms": len(c.stalls_ms), "over_bound": c.over(bound_ms),
                              "work_us": _rounded(c.work_us), "usual_work_us": _rounded(c.usual_work_us),
                              "available": None if c.available is None else round(c.available, 3)}
                for c in self.cores
            },
        }  # fmt: skip


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _interval(parts: list[str]) -> bool:
    """Whether a line's fields are an interval report (5 fields; 6 with the reference work's time)."""
    return len(parts) in (5, 6) and parts[0] == "I" and parts[1].isdigit()


def reported_after(path: Path, t_ns: int) -> bool:
    """Whether the meter file holds an interval line written after `t_ns` (its last lines are enough to tell)."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - 4096))
            tail = handle.read().decode("ascii", errors="replace").splitlines()
    except FileNotFoundError:
        return False
    for line in reversed(tail):
        parts = line.split()
        if _interval(parts):
            return int(parts[1]) > t_ns
    return False


def read_window(path: Path, core: int, start: float, end: float) -> CoreStalls:
    """One meter file's statistics for the window [start, end] (monotonic seconds).

    A stall counts when it overlaps the window: it ended after `start` and began before `end`. Interval lines
    count when their 100 ms ended inside the window (or within one interval after its end); so do their reference
    work times, whose median is the window's, against the core's usual time over every report until then (usual_time).
    """
    start_ns, end_ns = int(start * 1e9), int(end * 1e9)
    histogram = [0] * BUCKETS
    wakeups = 0
    worst_us = 0
    stalls: list[float] = []
    works: list[int] = []
    record: list[int] = []
    wakes: list[int] = []  # the window's reports' wake-ups
    wake_record: list[int] = []  # every report's until the window's end
    try:
        lines = path.read_text(encoding="ascii", errors="replace").splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "S":
            t, overshoot = int(parts[1]), int(parts[2])
            if t >= start_ns and t - overshoot * 1000 <= end_ns:
                stalls.append(overshoot / 1000)
                worst_us = max(worst_us, overshoot)
        elif _interval(parts):
            t = int(parts[1])
            work = int(parts[5]) if len(parts) == 6 else None
            if t <= end_ns + REPORT_NS:
                wake_record.append(int(parts[2]))
                if work is not None:
                    record.append(work)
            if start_ns < t <= end_ns + REPORT_NS:
                if work is not None:
                    works.append(work)
                wakes.append(int(parts[2]))
                wakeups += int(parts[2])
                worst_us = max(worst_us, int(parts[3]))
                for i, count in enumerate(parts[4].split(",")[:BUCKETS]):
                    histogram[i] += int(count)
    work_us = statistics.median(works) / 1000 if works else None
    usual = usual_time(record)
    usual_us = usual / 1000 if usual is not None else None
    usual_wakes = _quantile(wake_record, AVAILABLE_QUANTILE) if len(wake_record) >= MIN_REFERENCE_REPORTS else None
    available = min(1.0, statistics.median(wakes) / usual_wakes) if wakes and usual_wakes else None
    return CoreStalls(core, wakeups, worst_us / 1000, _p99_ms(histogram), tuple(stalls), work_us, usual_us, available)


def _quantile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])


def usual_time(times: list[int]) -> float | None:
    """The usual reference time among a core's reports: the median of the larger group, those within SPEED_STEP of
    the fastest (the REFERENCE_QUANTILE) or those beyond (None with fewer than MIN_REFERENCE_REPORTS)."""
    if len(times) < MIN_REFERENCE_REPORTS:
        return None
    ordered = sorted(times)
    fastest = ordered[max(0, math.ceil(REFERENCE_QUANTILE * len(ordered)) - 1)]
    fast = [t for t in ordered if t < SPEED_STEP * fastest]
    slow = ordered[len(fast) :]
    return float(statistics.median(fast if len(fast) >= len(slow) else slow))


def _p99_ms(histogram: list[int]) -> float:
    total = sum(histogram)
    if not total:
        return 0.0
    seen = 0
    for index, count in enumerate(histogram):
        seen += count
        if seen >= 0.99 * total:
            upper = bucket_upper_us(index)
            return math.inf if math.isinf(upper) else upper / 1000
    return 0.0


class StallMeter:
    """One meter process per core, started for a run; `window()` reads a trial's stalls; leaving stops them."""

    def __init__(self, cores: Sequence[int], directory: Path) -> None:
        self.cores = sorted(set(cores))
        self.directory = directory
        self._processes: list[OwnedProcess] = []

    def path(self, core: int) -> Path:
        """The meter file of `core`."""
        return self.directory / f"core-{core}.stalls"

    def start(self) -> StallMeter:
        """Start the meters and wait until each has written its first interval."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for core in self.cores:
            self.path(core).unlink(missing_ok=True)
            argv = [sys.executable, "-m", "observatory.run.stalls", "--out", str(self.path(core))]
            log = self.directory / f"core-{core}.log"
            self._processes.append(OwnedProcess(f"stall meter (core {core})", argv, log_path=log, cores=[core]).start())
        deadline = time.monotonic() + 10
        while not all(self.path(c).exists() and self.path(c).stat().st_size for c in self.cores):
            self.check_alive()
            if time.monotonic() > deadline:
                raise ObservatoryError("the stall meters wrote nothing within 10 s")
            time.sleep(0.05)
        return self

    def check_alive(self) -> None:
        """Raise when a meter has died (its window would silently read as calm)."""
        for process in self._processes:
            if not process.alive():
                raise ObservatoryError(f"{process.name} exited ({process.exit_code()}): {process.log_tail()}")

    @property
    def pids(self) -> list[int]:
        """The meters' process ids, one per core in `cores` order."""
        return [p.pid for p in self._processes]

    def window(self, start: float, end: float, timeout: float = WINDOW_WAIT_S) -> WindowStalls:
        """Every core's stalls within [start, end] (time.monotonic() seconds), once each meter has reported past `end`.

        Waiting for the meters' own reports rather than a fixed time returns as soon as they are in (half a report
        interval after `end` on average), and still sees a stall that outlasts the window: a stalled meter reports
        only when it wakes. A meter still silent after `timeout` counts as stalled from `end` until then.
        """
        self.check_alive()
        end_ns = int(end * 1e9)
        deadline = time.monotonic() + timeout
        silent = [c for c in self.cores if not reported_after(self.path(c), end_ns)]
        while silent and time.monotonic() < deadline:
            time.sleep(0.01)
            self.check_alive()
            silent = [c for c in silent if not reported_after(self.path(c), end_ns)]
        cores = []
        for core in self.cores:
            stalls = read_window(self.path(core), core, start, end)
            if core in silent:
                silent_ms = (time.monotonic() - end) * 1000
                stalls = replace(stalls, max_ms=max(stalls.max_ms, silent_ms), stalls_ms=(*stalls.stalls_ms, silent_ms))
            cores.append(stalls)
        return WindowStalls(start, end, tuple(cores))

    def stop(self) -> None:
        """Stop every meter."""
        for process in self._processes:
            process.stop(grace=2.0)
        self._processes = []

    def __enter__(self) -> StallMeter:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m observatory.run.stalls --out FILE`: meter the core this process is pinned to until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the file the meter appends to")
    args = parser.parse_args(argv)
    try:
        meter(args.out)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
