"""Server-side latency quantiles read from the services' histogram are within 10 % of the truth from 1 to 100 ms.

`histogram_quantile` is reproduced as Prometheus computes it (linear interpolation inside the bucket holding the
rank), then fed samples whose true quantile is known.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random

import pytest

from service_common import metric_names as names

TOLERANCE = 0.10


def histogram_quantile(q: float, buckets: tuple[float, ...], samples: list[float]) -> float:
    """Prometheus's estimate from cumulative bucket counts (lower edge 0 for the first bucket)."""
    counts = [0] * (len(buckets) + 1)
    for value in samples:
        counts[bisect.bisect_left(buckets, value)] += 1
    cumulative = list(itertools.accumulate(counts))
    rank = q * cumulative[-1]
    index = bisect.bisect_left(cumulative, rank)
    if index == len(buckets):
        return buckets[-1]
    lower = buckets[index - 1] if index > 0 else 0.0
    below = cumulative[index - 1] if index > 0 else 0
    inside = cumulative[index] - below
    return lower + (buckets[index] - lower) * (rank - below) / inside


def exact_quantile(q: float, samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def test_buckets_are_close_enough_everywhere_from_1_to_100_ms() -> None:
    """The worst case: the truth at a bucket's lower edge and the estimate at its upper edge."""
    buckets = names.LATENCY_BUCKETS
    assert list(buckets) == sorted(set(buckets))
    fine = [(lo, hi) for lo, hi in itertools.pairwise(buckets) if lo < names.LATENCY_FINE_RANGE[1]]
    fine = [(lo, hi) for lo, hi in fine if hi > names.LATENCY_FINE_RANGE[0]]
    assert fine[0][0] <= 0.001 and fine[-1][1] >= 0.1
    worst = max((hi - lo) / lo for lo, hi in fine)
    assert worst <= TOLERANCE, f"a bucket from 1 to 100 ms is {worst:.1%} wide"


@pytest.mark.parametrize("p99_ms", [1.2, 3.0, 7.5, 14.0, 24.0, 40.0, 66.0, 95.0])
@pytest.mark.parametrize("shape", ["lognormal", "bimodal", "uniform"])
def test_p99_estimates_are_within_10_percent(p99_ms: float, shape: str) -> None:
    rng = random.Random(f"{shape}{p99_ms}")
    if shape == "lognormal":
        sigma = 0.6
        median = p99_ms / math.exp(2.326 * sigma)
        samples = [median * math.exp(rng.gauss(0, sigma)) / 1000 for _ in range(20_000)]
    elif shape == "bimodal":  # mostly fast, a slow tail (a GC pause, a cold cache)
        samples = [rng.uniform(0.3, 0.6) * p99_ms / 1000 if rng.random() < 0.97 else rng.uniform(0.9, 1.2) * p99_ms / 1000
                   for _ in range(20_000)]  # fmt: skip
    else:
        samples = [rng.uniform(0.1, 1.01) * p99_ms / 1000 for _ in range(20_000)]
    true = exact_quantile(0.99, samples)
    estimate = histogram_quantile(0.99, names.LATENCY_BUCKETS, samples)
    assert abs(estimate - true) / true <= TOLERANCE, (estimate, true)


def test_seeded_fault_the_former_buckets_miss_by_far_more() -> None:
    """The former buckets (…10, 25, 50 ms…) put a 14 ms p99 near 24 ms: the test above would fail on them."""
    former = (0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0)
    rng = random.Random(1)
    samples = [rng.uniform(0.0134, 0.0141) if rng.random() < 0.05 else rng.uniform(0.001, 0.003) for _ in range(20_000)]
    true = exact_quantile(0.99, samples)
    assert abs(histogram_quantile(0.99, former, samples) - true) / true > 0.3
    assert abs(histogram_quantile(0.99, names.LATENCY_BUCKETS, samples) - true) / true <= TOLERANCE
