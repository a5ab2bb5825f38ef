"""Run sizes: how long each phase lasts and how many capacity steps are tried."""

from __future__ import annotations

import math
from dataclasses import dataclass

# A p99 rests on the slowest 1 % of the measured requests. With 1,000 of them, 10 lie above it and the rank-based
# 95 % interval of the estimate spans about the 98.4th to the 99.6th percentile; fewer, and one slow request moves
# it. So a constant-rate trial's measured window lasts at least MIN_P99_SAMPLES / rate seconds (loadtests/README.md).
MIN_P99_SAMPLES = 1000
MAX_WINDOW_S = 30.0  # below 34 req/s even 30 s has fewer samples: the trial says how many it had
# Every constant-rate trial first runs this long unmeasured at its rate, in the same k6 scenario, so connections
# are open and pools full when the measured window starts (loadtests/README.md, "Warm, steady trials").
TRIAL_WARMUP_S = 1.0


@dataclass(frozen=True)
class RunSize:
    """The durations and step counts of one size of run."""

    name: str
    warmup_s: float  # each constant-rate trial's unmeasured warm-up (at least TRIAL_WARMUP_S: trial_warmup_s)
    probe_s: float
    probe_vus: int
    step_s: float
    steps: int
    sweep_vus: tuple[int, ...]
    sweep_s: float
    summary: str
    p99_samples: int = MIN_P99_SAMPLES  # measured requests a constant-rate trial needs at least (0: no minimum)


SIZES = {
    s.name: s
    for s in (
        RunSize(
            "tiny", 1, 2, 8, 2, 1, (), 0, "seconds per workload; for tests and smoke checks (p99s on few samples)", 0
        ),
        RunSize("quick", 1, 2, 16, 2, 8, (), 0, "the default: 5 % resolution, confirmed; about 11 minutes on 2 cores"),
        RunSize("standard", 3, 5, 32, 10, 6, (1, 8, 32, 128), 5, "about 10 minutes per framework"),
        RunSize("large", 5, 10, 64, 30, 8, (1, 4, 16, 64, 256), 15, "publication quality; an hour or more"),
    )
}


def measured_window_s(size: RunSize, rate: float) -> float:
    """How long a constant-rate trial at `rate` measures: the size's step, or longer for MIN_P99_SAMPLES requests."""
    if rate <= 0 or size.p99_samples <= 0:
        return size.step_s
    return max(size.step_s, min(MAX_WINDOW_S, math.ceil(size.p99_samples / rate)))


def enough_for_p99(requests: int) -> bool:
    """Whether a measured window holds enough requests for its p99 to mean what it says."""
    return requests >= MIN_P99_SAMPLES


def trial_warmup_s(size: RunSize) -> float:
    """How long a constant-rate trial of this size warms up at its rate before its measured window."""
    return max(TRIAL_WARMUP_S, size.warmup_s)
