"""Capacity as a fitted estimate: the fit finds a known knee, its interval holds it, censoring says why, a stalled
trial is left out and counted, the normalised figure removes a slow host, and a within-run ratio has its interval."""

from __future__ import annotations

import math

import pytest

from observatory.judging import Slo, bounds, capacity_ratio, from_trials, judge
from observatory.judging.capacity import ALL_MISSED, ALL_PASSED, severity, summarise
from observatory.judging.estimate import Point, estimate, point_estimate
from observatory.judging.generator import GENERATOR
from observatory.judging.host import stalled
from observatory.results import Latency, Trial

KEY = ("flask", "gunicorn-sync", "json", 1)
SLO = Slo()


def p99_of(rate: float, capacity: float) -> float:
    """A queue's p99 (seconds) that meets 100 ms exactly at `capacity`: 5 ms + a / (1 - rho), rho 0.9 there."""
    saturation = capacity / 0.9
    return 0.005 + 0.0095 / (1 - rate / saturation) if rate < saturation else 5.0


def at(rate: float, *, capacity: float = 1000.0, repeat: int = 1, p99: float | None = None, **changes: object) -> Trial:
    """A constant-rate trial of KEY against a service of `capacity`, judged."""
    requests = int(rate * 10)
    trial = Trial(
        trial_id=f"r{rate:g}.n{repeat}", framework="flask", profile="gunicorn-sync", workload="json", workers=1,
        repeat=repeat, scenario="constant", offered_rate=rate, vus=None, duration_s=10, started_at="", ended_at="",
        achieved_rate=rate, client_requests=requests, server_requests=requests,
        client_latency=Latency(p99=p99 if p99 is not None else p99_of(rate, capacity)), k6_cpu_utilisation=0.3,
        cpu_seconds_per_1k=1.0, peak_rss_bytes=50e6 + rate,
    )  # fmt: skip
    for name, value in changes.items():
        setattr(trial, name, value)
    return judge(trial, SLO)


def rounds(capacity: float = 1000.0, **changes: object) -> list[Trial]:
    """Three rounds of three trials around the knee, as a run places them."""
    return [at(r * capacity, capacity=capacity, repeat=n, **changes)
            for n, spread in enumerate(((0.6, 0.8, 1.0), (0.9, 1.0, 1.1), (0.95, 1.0, 1.05)), 1) for r in spread]  # fmt: skip


def test_the_fit_finds_a_known_knee_and_its_interval_holds_it() -> None:
    (cap,) = from_trials(rounds())
    assert cap.estimate == pytest.approx(1000, rel=0.03)
    assert cap.low is not None and cap.high is not None and cap.low <= 1000.01 and cap.high >= 999.99
    assert (cap.high - cap.low) / cap.estimate < 0.15
    assert len(cap.per_repeat) == 3 and cap.cv is not None and cap.trials_fitted == 9 and not cap.lower_bound


# (case, severity of a trial as the fit sees it)
SEVERITY_CASES = [
    ("p99 at the SLO", {"p99": 0.1}, 1.0),
    ("p99 twice the SLO", {"p99": 0.2}, 2.0),
    ("errors above the bound decide, though p99 is fast", {"p99": 0.01, "error_rate": 0.03}, 3.0),
    ("a service that fell behind is far past the knee", {"p99": 0.15, "dropped_iterations": 40}, 4.0),
    ("no client-side p99 is a miss", {"p99": None}, 4.0),
]


@pytest.mark.parametrize(("changes", "expected"), [c[1:] for c in SEVERITY_CASES], ids=[c[0] for c in SEVERITY_CASES])
def test_severity(changes: dict[str, object], expected: float) -> None:
    trial = at(500)
    for name, value in changes.items():
        if name == "p99":
            trial.client_latency = Latency(p99=value)  # type: ignore[arg-type]
        else:
            setattr(trial, name, value)
    assert severity(trial, SLO) == pytest.approx(expected)


def test_errors_above_the_bound_end_the_capacity_it_is_not_a_lower_bound() -> None:
    """900 passes, 1,100 returns 9 % 5xx: the capacity lies between them, not "≥ 900"."""
    (cap,) = from_trials([at(700, p99=0.02), at(900, p99=0.03), at(1100, p99=0.03, errors=99, error_rate=0.09)])
    assert cap.estimate is not None and 900 <= cap.estimate <= 1100 and not cap.lower_bound


# (case, the trials, lower bound?, reason)
CENSORING_CASES = [
    ("every rate passed", [at(500), at(600), at(700)], True, ALL_PASSED),
    ("every rate passed up to k6's ceiling",
     [at(500, generator_ceiling_rps=700.0), at(700, generator_ceiling_rps=700.0)], True, GENERATOR),
    ("every rate missed", [at(1200), at(1300)], False, ALL_MISSED),
    ("a knee", rounds(), False, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("trials", "lower", "reason"), [c[1:] for c in CENSORING_CASES], ids=[c[0] for c in CENSORING_CASES]
)
def test_censoring(trials: list[Trial], lower: bool, reason: str | None) -> None:
    (cap,) = from_trials(trials)
    assert (cap.lower_bound, cap.lower_bound_reason) == (lower, reason)
    low, high = bounds(cap)
    if lower:
        assert math.isinf(high) and cap.estimate == max(t.offered_rate or 0 for t in trials)
    elif reason == ALL_MISSED:
        assert cap.estimate is None and (low, high) == (0.0, 1200.0)
    else:
        assert math.isfinite(high)


# (case, the window's longest stall, left out of the fit?)
STALL_CASES = [("no stall", 3.0, False), ("just under half the SLO", 49.9, False), ("half the SLO", 50.0, True)]


@pytest.mark.parametrize(("max_ms", "left_out"), [c[1:] for c in STALL_CASES], ids=[c[0] for c in STALL_CASES])
def test_a_trial_a_host_stall_spoiled_is_left_out_and_counted(max_ms: float, left_out: bool) -> None:
    """Seeded fault: three trials at 650-750 req/s whose p99 a stall pushed to 400 ms stretch the interval down
    to about 720; left out, it stays above 900."""
    spoiled = [at(r, p99=0.4, host_stalls={"max_ms": max_ms, "worst_core": 0}) for r in (650, 700, 750)]
    assert all(t.valid for t in spoiled)  # the host is no guard
    assert all((stalled(t, SLO) is not None) is left_out for t in spoiled)
    (cap,) = from_trials([*rounds(), *spoiled])
    assert cap.trials_left_out == 3 * int(left_out)
    assert cap.low is not None and (cap.low > 900) is left_out


def test_invalid_trials_are_no_points() -> None:
    (cap,) = from_trials([*rounds(), at(600, p99=0.5, k6_cpu_utilisation=0.99)])
    assert cap.trials_fitted == 9 and cap.estimate == pytest.approx(1000, rel=0.03)


def test_the_normalised_capacity_removes_a_host_that_left_the_service_part_of_its_core() -> None:
    """Rounds on a host switching between the whole core and 60 % of it: the raw capacity falls between, the
    normalised one (each rate over the share the meters measured) is the service's own."""
    trials = []
    for trial in rounds():
        share = 0.6 if trial.repeat == 2 else 1.0
        rate = (trial.offered_rate or 0) * share
        trials.append(at(rate, p99=p99_of(rate / share, 1000), repeat=trial.repeat,
                         host_stalls={"max_ms": 2.0, "service_share": share}))  # fmt: skip
    (cap,) = from_trials(trials)
    assert cap.normalised == pytest.approx(1000, rel=0.03)
    assert cap.normalised_low is not None and cap.normalised_high is not None
    assert cap.normalised_low <= 1000.01 and cap.normalised_high >= 999.99
    assert cap.per_repeat[1] == pytest.approx(600, rel=0.05)


def test_figures_at_capacity_come_from_the_trials_just_below_it() -> None:
    trials = rounds()
    trials[4].cpu_seconds_per_1k = 3.0  # 1,000 req/s in round 2: within 15 % below the estimate
    cap = summarise(KEY, trials, SLO)
    assert cap.p99_at_capacity is not None and cap.p99_at_capacity <= 0.1
    assert cap.cpu_seconds_per_1k == 1.0 and cap.peak_rss_bytes == 50e6 + 1100


def test_a_within_run_ratio_has_its_own_interval() -> None:
    fast, slow = rounds(2000.0), rounds(1000.0)
    for trial in fast:
        trial.framework = "fastapi"
    found = capacity_ratio(fast, slow)
    assert found.value == pytest.approx(2.0, rel=0.05)
    assert found.low is not None and found.high is not None and found.low <= 2.0001 and found.high >= 1.9999
    assert capacity_ratio(fast, [at(500), at(600), at(700)]).value is None  # a censored side: no ratio


def test_the_bootstrap_is_seeded_the_same_trials_give_the_same_interval() -> None:
    points = [Point(t.offered_rate or 0, severity(t, SLO)) for t in rounds()]
    assert estimate(points) == estimate(points)
    assert point_estimate(points) == estimate(points).value
