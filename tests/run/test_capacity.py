"""The capacity search finds the highest passing rate within its step budget, and the summary states the spread."""

from __future__ import annotations

import pytest

from observatory.run.capacity import search, summarise


@pytest.mark.parametrize("true_capacity", [40.0, 650.0, 1234.0, 5000.0])
def test_search_converges_below_the_true_capacity(true_capacity: float) -> None:
    tried: list[float] = []

    def passes(rate: float) -> bool:
        tried.append(rate)
        return rate <= true_capacity

    found = search(1000.0, 10, passes)
    assert found is not None
    assert found <= true_capacity
    assert found >= true_capacity * 0.9
    assert len(tried) <= 10


def test_search_reports_none_when_nothing_passes() -> None:
    assert search(100.0, 4, lambda rate: False) is None


def test_search_respects_the_step_budget() -> None:
    calls: list[float] = []
    search(1000.0, 3, lambda rate: calls.append(rate) or True)
    assert calls == [700.0, 900.0, 1100.0]


def test_summary_has_median_spread_and_cv() -> None:
    cap = summarise("flask", "gunicorn-sync", "json", 1, [900.0, 1000.0, 1100.0])
    assert (cap.median, cap.low, cap.high) == (1000.0, 900.0, 1100.0)
    assert cap.cv == pytest.approx(0.1)


def test_a_repeat_without_a_passing_rate_counts_as_zero() -> None:
    cap = summarise("flask", "gunicorn-sync", "io", 1, [None, 100.0])
    assert cap.low == 0.0 and cap.high == 100.0


def test_a_capacity_where_every_rate_passed_is_a_lower_bound() -> None:
    from observatory.run.capacity import from_trials, is_lower_bound
    from tests.report.factories import trial

    climbing = [trial("fastapi", "uvicorn", "io", rate, rate, 0.015) for rate in (1000, 1300, 1600)]
    (cap,) = from_trials(climbing)
    assert cap.median == 1600 and is_lower_bound(cap, climbing)
    with_a_failure = [*climbing, trial("fastapi", "uvicorn", "io", 2000, 1900, 0.4)]
    (cap,) = from_trials(with_a_failure)
    assert cap.median == 1600 and not is_lower_bound(cap, with_a_failure)
    # an invalid trial above (the generator gave out) does not say where the service stops: still a lower bound
    saturated = [*climbing, trial("fastapi", "uvicorn", "io", 2000, 1500, 0.01, valid=False, reasons=["saturated"])]
    (cap,) = from_trials(saturated)
    assert is_lower_bound(cap, saturated)
