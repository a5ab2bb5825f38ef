"""The runners of one TestRun merged into one trial (observatory/k6_runners.py): counts add up, latency percentiles
are the highest runner's (an upper bound), the merged trial is judged again, and runners of different tests are
refused."""

from __future__ import annotations

import pytest

from observatory.errors import ObservatoryError
from observatory.judging import Slo, judge
from observatory.k6_runners import merge, merge_runners
from observatory.results import Latency, Trial

SLO = Slo(p99_ms=100.0, error_rate=0.01)


def runner(requests: int, errors: int = 0, p99: float = 0.02, testid: str = "tr-1", rate: float = 200.0) -> Trial:
    trial = Trial(
        trial_id=testid,
        framework="fastapi",
        profile="uvicorn",
        workload="json",
        workers=1,
        repeat=1,
        scenario="constant",
        offered_rate=rate,
        vus=None,
        duration_s=10.0,
        started_at="",
        ended_at="2026-12-04T01:00:00+00:00",
        client_requests=requests,
        achieved_rate=requests / 10.0,
        errors=errors,
        error_rate=errors / requests,
        client_latency=Latency(p50=0.005, p90=0.01, p95=0.015, p99=p99, max=p99 * 2),
        check_failures={"status": errors},
    )
    return judge(trial, SLO)


def test_counts_add_up_and_the_rate_is_the_whole_tests() -> None:
    merged, slo = merge([(runner(1000), SLO), (runner(1001), SLO)])
    assert slo == SLO
    assert merged.client_requests == 2001
    assert merged.achieved_rate == pytest.approx(200.1)
    assert merged.offered_rate == 200.0
    assert merged.slo_met


def test_latency_is_the_highest_runners_and_the_merged_trial_is_judged_again() -> None:
    """One runner's p99 above the SLO: the merged test misses it, though the other runner alone would pass."""
    merged, _ = merge([(runner(1000, p99=0.02), SLO), (runner(1000, p99=0.3), SLO)])
    assert merged.client_latency.p99 == 0.3
    assert not merged.slo_met and merged.slo_misses


def test_errors_are_counted_over_all_runners() -> None:
    """0.8 % and 1.6 % failed: 1.2 % of the whole, above the 1 % SLO (the first runner alone passes)."""
    merged, _ = merge([(runner(1000, errors=8), SLO), (runner(1000, errors=16), SLO)])
    assert merged.errors == 24 and merged.error_rate == pytest.approx(0.012)
    assert merged.check_failures == {"status": 24}
    assert not merged.slo_met


def test_each_test_is_merged_alone_and_keeps_its_place() -> None:
    judged = [(runner(10, testid="a"), SLO), (runner(20, testid="b"), SLO), (runner(30, testid="a"), SLO)]
    merged = merge_runners(judged)
    assert [(t.trial_id, t.client_requests) for t, _ in merged] == [("a", 40), ("b", 20)]


def test_one_runner_is_left_as_it_is() -> None:
    alone = (runner(10), SLO)
    assert merge([alone]) is alone


def test_runners_asked_different_things_are_refused() -> None:
    with pytest.raises(ObservatoryError, match="offered_rate"):
        merge([(runner(10, rate=200), SLO), (runner(10, rate=400), SLO)])
    with pytest.raises(ObservatoryError, match="slo"):
        merge([(runner(10), SLO), (runner(10), Slo(p99_ms=50.0, error_rate=0.01))])
