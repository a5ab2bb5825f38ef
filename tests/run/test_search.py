"""The capacity search finds the highest passing rate within its step budget."""

from __future__ import annotations

import pytest

from observatory.run.search import search


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
