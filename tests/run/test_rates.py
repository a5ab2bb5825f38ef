"""Where each round's rates go: the probe's range first, then around the fit, climbing or dropping when the trials
do not bracket the capacity, never above k6's clean ceiling."""

from __future__ import annotations

import pytest

from observatory.judging.estimate import Estimate, Point
from observatory.run.rates import CLIMB, FIRST_ROUND, MAX_SPREAD, MIN_SPREAD, next_rates

KNEE = [Point(800, 0.5), Point(1000, 0.9), Point(1100, 3.0)]

# (case, the trials so far, their estimate, the probe, the ceiling, the rates expected)
CASES = [
    ("first round: 0.6-1.0 of the probe, evenly on a log scale", [], None, 1000.0, None, [600.0, 775.0, 1000.0]),
    ("around the estimate, as wide as its interval", KNEE, Estimate(1020, 950, 1090), 1000.0, None,
     [950.0, 1018.0, 1090.0]),
    ("a narrow interval: at least 5 % either way", KNEE, Estimate(1000, 995, 1005), 1000.0, None,
     [950.0, 999.0, 1050.0]),
    ("a wide interval: at most 20 % either way", KNEE, Estimate(1000, 500, 1600), 1000.0, None,
     [800.0, 980.0, 1200.0]),
    ("every trial passed: climb past the highest", [Point(600, 0.2), Point(800, 0.3)], Estimate(800, 800, None, "above"),
     1000.0, None, [880.0, 1028.0, 1200.0]),
    ("every trial missed: drop below the lowest", [Point(600, 3.0)], Estimate(None, None, 600, "below"), 1000.0, None,
     [400.0, 467.0, 545.0]),
    ("never above k6's ceiling", [], None, 1000.0, 700.0, [600.0, 700.0]),
    ("a ceiling of 0 caps nothing", [], None, 1000.0, 0.0, [600.0, 775.0, 1000.0]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("points", "known", "probe", "ceiling", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_next_rates(
    points: list[Point], known: Estimate | None, probe: float, ceiling: float | None, expected: list[float]
) -> None:
    assert next_rates(points, known, probe, 3, ceiling) == expected


def test_the_placement_constants_are_pinned() -> None:
    """Seeded fault: the table above breaks when any of these moves."""
    assert (FIRST_ROUND, MIN_SPREAD, MAX_SPREAD, CLIMB) == ((0.6, 1.0), 0.05, 0.2, 1.5)
