"""Run sizes: how long each phase lasts and how many capacity steps are tried."""

from __future__ import annotations

import math
from dataclasses import dataclass

# A p99 rests on the slowest 1 % of the measured requests. With 1,000 of them, 10 lie above it and the rank-based
# 95 % interval of the estimate spans about the 98.4th to the 99.6th percentile; fewer, and one slow request moves
# it. So the trial that confirms a capacity (a rate's second trial) measures at least MIN_P99_SAMPLES requests:
# its window lasts at least MIN_P99_SAMPLES / rate seconds (loadtests/README.md).
MIN_P99_SAMPLES = 1000
# A rate's first trial only steers the search, and the misses that bound it are seldom close (p99 two to three
# times the SLO): the quick size measures it on at least this many, which halves io's windows on sync workers.
MIN_SEARCH_P99_SAMPLES = 500
MAX_WINDOW_S = 30.0  # below 34 req/s even 30 s has fewer samples: the trial says how many it had
# Every constant-rate trial first runs this long unmeasured at its rate, in the same k6 scenario, so connections
# are open and pools full when the measured window starts (loadtests/README.md, "Warm, steady trials"). The
# generator's calibration warms up as long.
TRIAL_WARMUP_S = 0.5
# The closed-model probe's concurrency, from which the search starts. An async server waiting on a downstream call
# serves far more than 16 requests at once: FastAPI io's capacity was 2 to 2.75 times a 16-VU probe, past the
# search's bracket, so its searches ran out of steps at 10 % resolution. A sync worker only queues the extra VUs.
PROBE_VUS = 64
# The quick size's budget of constant-rate trials per search. Without noise, 9 reach 5 % and a confirmation for
# capacities from 0.55 to 1.39 times the probe. But near a sync worker's soft knee a rate passes one trial and misses
# the next: 24 of 143 default-size searches measured here (flask json and db) spent 9 trials and ended with their
# best pass unconfirmed or their gap over 5 %. A model with that knee (pass probability falling over ±3.5 % of the
# capacity, 4,000 searches) gives 21.6 % such searches with 9 steps, 6.2 % with 11 and 2.9 % with 12, at 0.37 more
# trials per search on average; searches that finish earlier do not use the rest. Tests: tests/run/test_search.py.
QUICK_STEPS = 12


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
    p99_samples: int = MIN_P99_SAMPLES  # measured requests a confirming trial needs at least (0: no minimum)
    search_p99_samples: int = MIN_P99_SAMPLES  # the same for a rate's first trial


SIZES = {
    s.name: s
    for s in (
        RunSize(
            "tiny", 1, 2, 8, 2, 1, (), 0, "seconds per workload; for tests and smoke checks (p99s on few samples)", 0, 0
        ),
        RunSize(
            "quick",
            warmup_s=TRIAL_WARMUP_S,
            probe_s=2,
            probe_vus=PROBE_VUS,
            step_s=2,
            steps=QUICK_STEPS,
            sweep_vus=(),
            sweep_s=0,
            summary="the default: every capacity to 5 % resolution and confirmed; minutes per framework, more on a "
            "host whose speed changes (docs/measurements.md)",
            search_p99_samples=MIN_SEARCH_P99_SAMPLES,
        ),
        RunSize("standard", 3, 5, PROBE_VUS, 10, 6, (1, 8, 32, 128), 5, "about 10 minutes per framework"),
        RunSize("large", 5, 10, 64, 30, 8, (1, 4, 16, 64, 256), 15, "publication quality; an hour or more"),
    )
}
DEFAULT_SIZE = "quick"  # what `observatory run` uses unless --size says otherwise


def measured_window_s(size: RunSize, rate: float, *, confirming: bool = True) -> float:
    """How long a constant-rate trial at `rate` measures: the size's step, or longer for its minimum of requests
    (`p99_samples` when it confirms a rate already tried, `search_p99_samples` for a rate's first trial)."""
    samples = size.p99_samples if confirming else size.search_p99_samples
    if rate <= 0 or samples <= 0:
        return size.step_s
    return max(size.step_s, min(MAX_WINDOW_S, math.ceil(samples / rate)))


def enough_for_p99(requests: int) -> bool:
    """Whether a measured window holds enough requests for its p99 to mean what it says."""
    return requests >= MIN_P99_SAMPLES


def trial_warmup_s(size: RunSize) -> float:
    """How long a constant-rate trial of this size warms up at its rate before its measured window."""
    return max(TRIAL_WARMUP_S, size.warmup_s)
