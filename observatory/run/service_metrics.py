"""The service's own /metrics, read by the harness just before and just after a trial.

The difference of two snapshots is exact: every request the trial sent is counted once the load has ended, with no
wait for Prometheus's next scrape. Prometheus keeps scraping for the dashboards and the run's history, at an
interval that does not disturb a trial: each scrape is served by the service's own workers (4.5 ms, up to 16 ms,
for Flask's 34 KB of metrics), and on a single sync worker near its capacity two scrapes a second were enough to
push p99 over the SLO now and then (README "What a run does").

The latency quantiles interpolate inside the histogram's buckets as Prometheus's `histogram_quantile` does
(tests/run/test_service_metrics.py checks both on the same buckets).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

from observatory.errors import ObservatoryError
from service_common import metric_names as names

Labels = Mapping[str, str]


@dataclass(frozen=True)
class Sample:
    """One line of the exposition: name, labels, value."""

    name: str
    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class Snapshot:
    """Every sample of one read of /metrics."""

    samples: tuple[Sample, ...]

    @classmethod
    def parse(cls, text: str) -> Snapshot:
        """A snapshot from the Prometheus text format."""
        return cls(
            tuple(
                Sample(s.name, dict(s.labels), float(s.value))
                for f in text_string_to_metric_families(text)
                for s in f.samples
            )
        )

    def total(self, name: str, labels: Labels) -> float:
        """The sum of `name` over every series whose labels include `labels`."""
        return sum(s.value for s in self.samples if s.name == name and _matches(s.labels, labels))

    def served(self, labels: Labels) -> float:
        """Requests served (names.REQUESTS_TOTAL) for the matching series."""
        return self.total(names.REQUESTS_TOTAL, labels)

    def cpu_seconds(self, labels: Labels) -> float | None:
        """CPU seconds of the service's whole process tree, or None when the collector is not there."""
        return self.collector_total(names.CPU_SECONDS, labels)

    def collector_total(self, name: str, labels: Labels) -> float | None:
        """A series of the process-tree collector (CPU seconds, memory) summed over the processes; None if absent."""
        found = [s for s in self.samples if s.name == name and _matches(s.labels, labels)]
        return sum(s.value for s in found) if found else None

    def buckets(self, labels: Labels) -> dict[float, float]:
        """The request-duration histogram's cumulative counts per upper bound, summed over the matching series."""
        counts: dict[float, float] = {}
        for s in self.samples:
            if s.name == f"{names.REQUEST_DURATION}_bucket" and _matches(s.labels, labels):
                le = float(s.labels["le"])
                counts[le] = counts.get(le, 0.0) + s.value
        return counts


def _matches(have: Mapping[str, str], want: Labels) -> bool:
    return all(have.get(k) == v for k, v in want.items())


_client: httpx.Client | None = None


def _http() -> httpx.Client:
    """One client for every read (a new one builds a TLS context: 24 ms here); no kept-alive connection, since the
    next service of a run listens on the same port."""
    global _client
    if _client is None:
        _client = httpx.Client(timeout=5, limits=httpx.Limits(max_keepalive_connections=0))
    return _client


def read(base_url: str) -> Snapshot:
    """GET the service's /metrics and parse it."""
    try:
        response = _http().get(f"{base_url}/metrics")
    except httpx.HTTPError as error:
        raise ObservatoryError(f"could not read {base_url}/metrics: {error}") from None
    if response.status_code != 200:
        raise ObservatoryError(f"{base_url}/metrics answered {response.status_code}")
    return Snapshot.parse(response.text)


def read_after(base_url: str, labels: Labels, at_least: float, settle_s: float = 1.0) -> Snapshot:
    """The snapshot after a trial: read again for up to `settle_s` until the served count reaches `at_least`.

    A server counts a request when its handler returns, which can be a moment after the client has the response;
    the count stops short of `at_least` for good only when requests were really lost (the count guard's business).
    """
    deadline = time.monotonic() + settle_s
    snapshot = read(base_url)
    while snapshot.served(labels) < at_least and time.monotonic() < deadline:
        time.sleep(0.02)
        snapshot = read(base_url)
    return snapshot


def quantile(q: float, before: Mapping[float, float], after: Mapping[float, float]) -> float | None:
    """The q-quantile of the requests observed between two snapshots of a cumulative histogram, interpolated
    linearly inside its bucket as Prometheus's histogram_quantile does; None when there were none."""
    bounds = sorted(after)
    if not bounds or not math.isinf(bounds[-1]):
        return None
    counts = [after[le] - before.get(le, 0.0) for le in bounds]
    total = counts[-1]
    if total <= 0:
        return None
    rank = q * total
    index = next(i for i, count in enumerate(counts) if count >= rank)
    if index == len(bounds) - 1:  # in the +Inf bucket: the highest finite bound, as Prometheus answers
        return bounds[-2] if len(bounds) > 1 else None
    upper = bounds[index]
    lower = bounds[index - 1] if index > 0 else 0.0
    below = counts[index - 1] if index > 0 else 0.0
    if upper <= 0 or counts[index] == below:
        return upper
    return lower + (upper - lower) * (rank - below) / (counts[index] - below)
