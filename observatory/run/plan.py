"""What a run will do: its options, the pinning of cores, and its slots: rounds of every block in shuffled order."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

from observatory.judging import Slo
from observatory.run.run_sizes import RunSize
from observatory.workload_catalog import Workload
from service_common.profiles import Profile
from service_common.settings import DEFAULT_INSTRUMENTATION


@dataclass(frozen=True)
class RunOptions:
    """Everything `observatory run` was asked to do."""

    profiles: list[Profile]
    workloads: list[Workload]
    size: RunSize
    repeats: int
    workers: list[int]
    slo: Slo
    output: Path
    instrumentation: str = DEFAULT_INSTRUMENTATION
    seed: int | None = None
    database_url: str | None = None
    noise_seed: int | None = None  # run the noise injector (observatory/noise.py) on the service cores


@dataclass(frozen=True)
class Block:
    """One slot: a block (service configuration and workload) in one round, on a fresh service process started with
    its own hash seed (PYTHONHASHSEED): the spread between fresh processes is real, so it is averaged over rounds."""

    profile: Profile
    workers: int
    workload: Workload
    repeat: int  # the round
    hash_seed: int = 0

    @property
    def key(self) -> tuple[str, str, str, int]:
        """What a capacity is measured for, the same in every round (judging.capacity.key_of)."""
        return (self.profile.framework, self.profile.name, self.workload.name, self.workers)


@dataclass(frozen=True)
class Pinning:
    """Which cores the services use and which the load generator (and Prometheus) use."""

    service: list[int]
    load: list[int]

    def as_dict(self) -> dict[str, list[int]]:
        """For results.json."""
        return {"service_cores": self.service, "k6_and_prometheus_cores": self.load}


def pin_cores(available: list[int] | None = None) -> Pinning:
    """Half the cores (at least one) for the service, the rest for k6; one core means they share it."""
    cores = sorted(available if available is not None else os.sched_getaffinity(0))
    if len(cores) == 1:
        return Pinning(cores, cores)
    half = max(1, len(cores) // 2)
    return Pinning(cores[:half], cores[half:])


def blocks(options: RunOptions, rng: random.Random) -> list[Block]:
    """Every slot: `options.repeats` rounds, each of every block in a fresh random order, each slot with its own
    hash seed; a slow spell of the host so falls on every framework alike, not on one block's rounds together."""
    ordered: list[Block] = []
    for round_ in range(1, options.repeats + 1):
        planned = [
            (p, n, w) for p in options.profiles for n in options.workers for w in options.workloads
            if p.needs_database or not w.needs_database
        ]  # fmt: skip
        rng.shuffle(planned)
        ordered.extend(Block(p, n, w, round_, rng.randrange(2**32)) for p, n, w in planned)
    return ordered


def trials_in(slots: list[Block], size: RunSize) -> int:
    """How many measured trials the slots will record at most (for the progress bar)."""
    first = sum(1 for b in slots if b.repeat == 1)
    last = sum(1 for b in slots if b.repeat == max(s.repeat for s in slots))
    return len(slots) * size.per_round + first + last * len(size.sweep_vus)


# The profile each framework runs under unless --profiles says otherwise: what the article compares.
DEFAULT_PROFILES = {"fastapi": "uvicorn", "flask": "gunicorn-sync", "django": "gunicorn-sync"}
BASELINE_PROFILES = {"baseline-asgi": "uvicorn", "baseline-wsgi": "gunicorn-sync"}


def worker_counts(requested: list[int] | str, service_cores: int, total_cores: int) -> list[int]:
    """The worker counts to run: `auto` is 1, 2, 4... up to the services' pinned cores; more than those is refused.

    A worker beyond the service's cores only shares a core with another, so the curve would measure the machine, not
    the framework; and it may not take the load generator's cores, which would make k6 compete with the service.
    """
    if isinstance(requested, str):  # "auto"
        return [2**i for i in range(service_cores.bit_length()) if 2**i <= service_cores]
    counts = sorted(set(requested))
    over = [n for n in counts if n > service_cores]
    if over:
        larger = 2 * max(over)
        raise ValueError(
            f"--workers {','.join(map(str, over))} exceeds the {service_cores} core(s) pinned to the services on this "
            f"{total_cores}-core machine (the rest run k6 and Prometheus); use --workers "
            f"{','.join(str(n) for n in counts if n <= service_cores) or '1'} here, or run on a machine with "
            f"{larger} or more cores"
        )
    return counts
