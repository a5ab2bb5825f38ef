"""The harness's reads of a service's /metrics: exact differences, and quantiles as Prometheus computes them."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from observatory.run import service_metrics
from observatory.run.prometheus import LocalPrometheus, ScrapeTarget
from observatory.run.service_metrics import Snapshot, quantile
from service_common import metric_names as names
from tests.loopback import answer, serving

INF = float("inf")
BOUNDS = (0.001, 0.002, 0.005, 0.01, 0.1, INF)


def exposition(counts: dict[str, tuple[int, ...]]) -> str:
    """A request-duration histogram per route (cumulative counts per bound in BOUNDS), its request counter, and
    one CPU series, in the text format the services expose."""
    lines = [f"# TYPE {names.REQUEST_DURATION} histogram", f"# TYPE {names.REQUESTS_TOTAL} counter"]
    for route, cumulative in counts.items():
        labels = f'framework="flask",profile="gunicorn-sync",route="{route}"'
        for le, count in zip(BOUNDS, cumulative, strict=True):
            bound = "+Inf" if le == INF else f"{le:g}"
            lines.append(f'{names.REQUEST_DURATION}_bucket{{{labels},le="{bound}"}} {count}')
        lines.append(f"{names.REQUEST_DURATION}_count{{{labels}}} {cumulative[-1]}")
        lines.append(f"{names.REQUEST_DURATION}_sum{{{labels}}} 0")
        lines.append(f'{names.REQUESTS_TOTAL}{{{labels},method="GET",status="200"}} {cumulative[-1]}')
    lines.append(f"# TYPE {names.CPU_SECONDS} counter")
    lines.append(f'{names.CPU_SECONDS}{{framework="flask",profile="gunicorn-sync"}} 12.5')
    return "\n".join(lines) + "\n"


BEFORE = {"/json": (10, 20, 30, 40, 50, 50), "/db": (0, 0, 0, 5, 5, 5)}
AFTER = {"/json": (110, 520, 930, 1030, 1049, 1050), "/db": (0, 0, 0, 9, 9, 9)}
JSON = {"framework": "flask", "profile": "gunicorn-sync", "route": "/json"}


def test_the_difference_of_two_snapshots_counts_the_trials_requests_of_its_route_only() -> None:
    before, after = Snapshot.parse(exposition(BEFORE)), Snapshot.parse(exposition(AFTER))
    assert after.served(JSON) - before.served(JSON) == 1000
    assert after.served({"framework": "flask", "profile": "gunicorn-sync"}) == 1059  # every route
    assert after.cpu_seconds({"framework": "flask", "profile": "gunicorn-sync"}) == 12.5
    assert after.cpu_seconds({"framework": "django", "profile": "gunicorn-sync"}) is None


# Between BEFORE and AFTER, /json served 1,000 requests: 100 up to 1 ms, 400 more up to 2 ms, 400 up to 5 ms, 90 up
# to 10 ms, 9 up to 100 ms and 1 above.
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (0.05, 0.001 * 50 / 100),  # rank 50, in the first bucket: from 0 to 1 ms
        (0.5, 0.002),  # rank 500: the top of the 2 ms bucket
        (0.7, 0.002 + 0.003 * 200 / 400),  # rank 700: 200 of the 400 between 2 and 5 ms
        (0.95, 0.005 + 0.005 * 50 / 90),  # rank 950: 50 of the 90 between 5 and 10 ms
        (0.995, 0.01 + 0.09 * 5 / 9),  # rank 995: 5 of the 9 between 10 and 100 ms
        (0.9999, 0.1),  # rank 999.9, in +Inf: the highest finite bound, as Prometheus answers
    ],
)
def test_quantiles_interpolate_inside_their_bucket(q: float, expected: float) -> None:
    before, after = Snapshot.parse(exposition(BEFORE)), Snapshot.parse(exposition(AFTER))
    assert quantile(q, before.buckets(JSON), after.buckets(JSON)) == pytest.approx(expected)


def test_no_request_between_the_snapshots_has_no_quantile() -> None:
    same = Snapshot.parse(exposition(BEFORE)).buckets(JSON)
    assert quantile(0.99, same, same) is None


class Exposition(BaseHTTPRequestHandler):
    text = ""

    def do_GET(self) -> None:
        answer(self, self.text.encode(), "text/plain; version=0.0.4")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def exporter() -> Iterator[str]:
    Exposition.text = exposition(AFTER)
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Exposition)) as url:
        yield url.removeprefix("http://")


@pytest.mark.slow
def test_the_quantiles_are_prometheus_own_on_the_same_buckets(exporter: str, tmp_path: Path) -> None:
    """The same cumulative buckets, scraped by the real Prometheus: histogram_quantile answers what ours does."""
    ours = {
        q: quantile(q, {}, service_metrics.read(f"http://{exporter}").buckets(JSON))
        for q in (0.05, 0.5, 0.7, 0.95, 0.995, 0.9999)
    }
    with LocalPrometheus(tmp_path / "prometheus") as prom:
        prom.set_targets([ScrapeTarget(exporter, {})])
        prom.wait_for_targets(1, timeout=15)
        for q, value in ours.items():
            expr = f'histogram_quantile({q}, sum by (le) ({names.REQUEST_DURATION}_bucket{{route="/json"}}))'
            assert prom.query_value(expr) == pytest.approx(value), q
