"""Run sizes: how many rounds of how many constant-rate trials each block gets, and how long each trial measures.

Sizes differ in trials and windows only: every size places its rates the same way (observatory/run/rates.py) and
can reach any capacity, so a larger size narrows the interval, it never searches further.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# A p99 rests on the slowest 1 % of the measured requests. With 1,000 of them, 10 lie above it and the rank-based
# 95 % interval of the estimate spans about the 98.4th to the 99.6th percentile; fewer, and one slow request moves
# it. The quick size measures at least MIN_QUICK_P99_SAMPLES (its windows stay short on io's sync workers: the fit
# over nine trials averages the p99's own noise), the others MIN_P99_SAMPLES (loadtests/README.md).
MIN_P99_SAMPLES = 1000
MIN_QUICK_P99_SAMPLES = 500
MAX_WINDOW_S = 30.0  # below 34 req/s even 30 s has fewer samples: the trial says how many it had
# Every constant-rate trial first runs this long unmeasured at its rate, in the same k6 scenario, so connections
# are open and pools full when the measured window starts (loadtests/README.md, "Warm, steady trials"). The
# generator's calibration warms up as long.
TRIAL_WARMUP_S = 0.5
# The closed-model probe's concurrency, whose throughput places the first round's rates. An async server waiting on
# a downstream call serves far more than 16 requests at once (FastAPI io's capacity was 2 to 2.75 times a 16-VU
# probe); a sync worker only queues the extra VUs.
PROBE_VUS = 64


@dataclass(frozen=True)
class RunSize:
    """The rounds, trials and durations of one size of run."""

    name: str
    rounds: int  # rounds of every block, each on a fresh service process
    per_round: int  # constant-rate trials per block and round
    window_s: float  # each trial's measured window, at least (longer for its minimum of requests)
    summary: str
    p99_samples: int = MIN_P99_SAMPLES  # measured requests each trial needs at least (0: no minimum)
    warmup_s: float = TRIAL_WARMUP_S  # each constant-rate trial's unmeasured warm-up at its rate
    probe_s: float = 2.0
    probe_vus: int = PROBE_VUS
    sweep_vus: tuple[int, ...] = ()  # closed-model sweeps after the last round's trials
    sweep_s: float = 0.0

    @property
    def trials(self) -> int:
        """Constant-rate trials per block."""
        return self.rounds * self.per_round


SIZES = {
    s.name: s
    for s in (
        RunSize("tiny", 1, 2, 1.0, "seconds per workload; for tests and smoke checks (p99s on few samples)", 0,
                probe_s=1.0, probe_vus=8),
        RunSize("quick", 3, 3, 2.0, "the default: 3 rounds of 3 trials per block; about 6 minutes on 2 cores",
                MIN_QUICK_P99_SAMPLES),
        RunSize("standard", 4, 4, 5.0, "4 rounds of 4 trials of 5 s, and closed-model sweeps; about 10 minutes per "
                "framework", warmup_s=3.0, probe_s=5.0, sweep_vus=(1, 8, 32, 128), sweep_s=5.0),
        RunSize("large", 5, 5, 15.0, "5 rounds of 5 trials of 15 s: publication quality; an hour or more",
                warmup_s=5.0, probe_s=10.0, sweep_vus=(1, 4, 16, 64, 256), sweep_s=15.0),
    )
}  # fmt: skip
DEFAULT_SIZE = "quick"  # what `observatory run` uses unless --size says otherwise


def measured_window_s(size: RunSize, rate: float) -> float:
    """How long a constant-rate trial at `rate` measures: the size's window, or longer for its minimum of requests."""
    if rate <= 0 or size.p99_samples <= 0:
        return size.window_s
    return max(size.window_s, min(MAX_WINDOW_S, math.ceil(size.p99_samples / rate)))


def enough_for_p99(requests: int) -> bool:
    """Whether a measured window holds enough requests for its p99 to mean what it says."""
    return requests >= MIN_P99_SAMPLES
