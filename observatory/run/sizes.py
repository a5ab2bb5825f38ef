"""Run sizes: how long each phase lasts and how many capacity steps are tried."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunSize:
    """The durations and step counts of one size of run."""

    name: str
    warmup_s: float
    probe_s: float
    probe_vus: int
    step_s: float
    steps: int
    sweep_vus: tuple[int, ...]
    sweep_s: float
    summary: str


SIZES = {
    s.name: s
    for s in (
        RunSize("tiny", 1, 2, 8, 2, 1, (), 0, "seconds per workload; for tests and smoke checks"),
        RunSize("quick", 1, 2, 16, 3, 8, (), 0, "the default: about 4 minutes for 3 frameworks x 4 workloads"),
        RunSize("standard", 3, 5, 32, 10, 6, (1, 8, 32, 128), 5, "about 10 minutes per framework"),
        RunSize("large", 5, 10, 64, 30, 8, (1, 4, 16, 64, 256), 15, "publication quality; an hour or more"),
    )
}
