"""A reproducible noisy host: a real-time (SCHED_FIFO) hog on the service cores, on a schedule drawn from a seed.

The hog steals a share of each core that switches between levels (0 % and 40 % by default) at random intervals of
2-30 s, and a few times a minute takes the whole core for 50-300 ms: the host this project's machine turned out to
be on bad days (a speed switching 1.6-1.8× every few seconds, stalls of 50-300 ms). It runs in periods of
PERIOD_S: spinning for the phase's share of each period, sleeping for the rest. Under SCHED_FIFO nothing of ours
on that core runs while it spins; the kernel's real-time throttling (95 % of each second by default) bounds it.

The same seed gives the same schedule (`schedule`); each hog stops at the end of its schedule, when its parent
goes, on SIGTERM or SIGINT, and `Noise` stops them all when it is left (Ctrl-C included).

    python -m observatory.noise --schedule FILE --epoch-ns NS   # one hog, pinned by its caller (Noise does)
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType

from observatory.errors import ObservatoryError
from observatory.run.processes import OwnedProcess

PERIOD_S = 0.01  # one spin-and-sleep cycle: a 40 % share spins 4 ms of every 10 ms
LEVELS = (0.0, 0.4)
SWITCH_S = (2.0, 30.0)  # how long a level lasts, uniform
STALLS_PER_MINUTE = 3.0  # a Poisson process
STALL_MS = (50.0, 300.0)  # how long a stall lasts, uniform
MAX_DURATION_S = 4 * 3600.0  # no hog outlives this, whatever it is asked


@dataclass(frozen=True)
class Schedule:
    """What the hog does, in seconds from its epoch: share levels from each phase's start, and stalls."""

    seed: int | None
    duration_s: float
    phases: tuple[tuple[float, float], ...]  # (start_s, share of the core stolen from then on), starts ascending
    stalls: tuple[tuple[float, float], ...] = field(default_factory=tuple)  # (at_s, milliseconds)

    def share_at(self, t: float) -> float:
        """The stolen share at `t` seconds after the epoch (0 outside the schedule)."""
        if t < 0 or t >= self.duration_s or not self.phases:
            return 0.0
        index = bisect.bisect_right([start for start, _ in self.phases], t) - 1
        return self.phases[index][1] if index >= 0 else 0.0

    def mean_share(self, start: float, end: float, step: float = PERIOD_S) -> float:
        """The mean stolen share over [start, end] (seconds after the epoch), stalls left out."""
        if end <= start:
            return self.share_at(start)
        count = max(1, int((end - start) / step))
        return sum(self.share_at(start + (i + 0.5) * (end - start) / count) for i in range(count)) / count

    def as_dict(self) -> dict[str, object]:
        """For results.json and the schedule file."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Schedule:
        """The schedule `as_dict` wrote."""
        phases = tuple((float(s), float(v)) for s, v in data["phases"])  # type: ignore[attr-defined]
        stalls = tuple((float(a), float(m)) for a, m in data.get("stalls", ()))  # type: ignore[attr-defined]
        return cls(data.get("seed"), float(data["duration_s"]), phases, stalls)  # type: ignore[arg-type]


def schedule(
    seed: int,
    duration_s: float,
    *,
    levels: Sequence[float] = LEVELS,
    switch_s: tuple[float, float] = SWITCH_S,
    stalls_per_minute: float = STALLS_PER_MINUTE,
    stall_ms: tuple[float, float] = STALL_MS,
) -> Schedule:
    """The schedule a seed draws: the first level at random, then the next other level after 2-30 s, and so on;
    stalls as a Poisson process. Same seed and arguments, same schedule."""
    if any(not 0 <= level < 0.95 for level in levels) or not levels:
        raise ValueError(f"levels must lie in [0, 0.95), got {list(levels)}")
    duration_s = min(duration_s, MAX_DURATION_S)
    rng = random.Random(seed)
    phases: list[tuple[float, float]] = []
    t, level = 0.0, rng.choice(list(levels))
    while t < duration_s:
        phases.append((round(t, 3), level))
        t += rng.uniform(*switch_s)
        others = [v for v in levels if v != level] or [level]
        level = rng.choice(others)
    stalls: list[tuple[float, float]] = []
    t = 0.0
    while stalls_per_minute > 0:
        t += rng.expovariate(stalls_per_minute / 60)
        if t >= duration_s:
            break
        stalls.append((round(t, 3), round(rng.uniform(*stall_ms), 1)))
    return Schedule(seed, duration_s, tuple(phases), tuple(stalls))


def _spin_until(deadline_ns: int) -> None:
    while time.monotonic_ns() < deadline_ns:
        pass


def hog(plan: Schedule, epoch_ns: int, parent: int | None = None) -> None:
    """Follow the schedule on this process's core from `epoch_ns` (CLOCK_MONOTONIC) until its end, or until the
    parent `parent` is gone. Real-time (SCHED_FIFO) when permitted; raises PermissionError when not."""
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    period_ns = int(PERIOD_S * 1e9)
    end_ns = epoch_ns + int(plan.duration_s * 1e9)
    stalls = list(plan.stalls)
    while (now := time.monotonic_ns()) < end_ns:
        if parent is not None and os.getppid() != parent:
            return  # the parent went: a hog never outlives the run that started it
        t = (now - epoch_ns) / 1e9
        while stalls and stalls[0][0] + stalls[0][1] / 1000 < t:
            stalls.pop(0)
        if stalls and stalls[0][0] <= t:
            at, ms = stalls.pop(0)
            _spin_until(min(end_ns, epoch_ns + int((at + ms / 1000) * 1e9)))
            continue
        share = plan.share_at(t)
        if share > 0:
            _spin_until(now + int(share * period_ns))
        time.sleep(max(0.0, (now + period_ns - time.monotonic_ns()) / 1e9))


class Noise:
    """One hog per core, all on one schedule from one epoch; leaving stops them."""

    def __init__(self, plan: Schedule, cores: Sequence[int], directory: Path) -> None:
        self.plan = plan
        self.cores = sorted(set(cores))
        self.directory = directory
        self.epoch: float | None = None  # time.monotonic() of the schedule's 0
        self._processes: list[OwnedProcess] = []

    def start(self) -> Noise:
        """Write the schedule, start the hogs, and raise a clear error when real-time scheduling is refused."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / "schedule.json"
        path.write_text(json.dumps(self.plan.as_dict()) + "\n", encoding="utf-8")
        try:
            epoch_ns = time.monotonic_ns() + 200_000_000  # every hog starts on the same 0, shortly after
            self.epoch = epoch_ns / 1e9
            for core in self.cores:
                argv = [sys.executable, "-m", "observatory.noise", "--schedule", str(path), "--epoch-ns", str(epoch_ns),
                        "--parent", str(os.getpid())]  # fmt: skip
                log = self.directory / f"hog-core-{core}.log"
                self._processes.append(
                    OwnedProcess(f"noise hog (core {core})", argv, log_path=log, cores=[core]).start()
                )
            time.sleep(0.3)
            for process in self._processes:
                if not process.alive() and process.exit_code() != 0:
                    raise ObservatoryError(f"{process.name} failed ({process.exit_code()}): {process.log_tail()}")
        except BaseException:  # Ctrl-C while starting: stop what has started
            self.stop()
            raise
        return self

    def stolen_share(self, start: float, end: float) -> float | None:
        """The share the schedule stole over [start, end] (time.monotonic() seconds)."""
        if self.epoch is None:
            return None
        return self.plan.mean_share(start - self.epoch, end - self.epoch)

    def stop(self) -> None:
        """Stop every hog."""
        for process in self._processes:
            process.stop(grace=2.0)
        self._processes = []

    def __enter__(self) -> Noise:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """One hog: follow the schedule file from the epoch (its caller pins it to its core)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedule", type=Path, required=True)
    parser.add_argument("--epoch-ns", type=int, required=True)
    parser.add_argument("--parent", type=int, default=None)
    args = parser.parse_args(argv)
    plan = Schedule.from_dict(json.loads(args.schedule.read_text(encoding="utf-8")))
    try:
        hog(plan, args.epoch_ns, args.parent)
    except PermissionError:
        print("noise: SCHED_FIFO refused: the injector needs root or CAP_SYS_NICE", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
