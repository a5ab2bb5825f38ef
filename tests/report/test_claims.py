"""Claims judged with the capacities' uncertainty: 90 % intervals and within-run ratios decide, and every threshold
sits exactly where the module says (boundary cases fail when one is moved)."""

from __future__ import annotations

import math

import pytest

from observatory.judging.capacity import ALL_PASSED
from observatory.judging.generator import GENERATOR
from observatory.report import claims
from observatory.report.claims import CANNOT_TELL, DEPENDS, FAILS, HOLDS, judge_advantage, judge_narrows, judge_range
from observatory.results import Capacity
from tests.report.factories import run as synthetic_run


def cap(low: float, high: float | None = None, *, lower_bound: str | None = None) -> Capacity:
    """A capacity with the 90 % interval [low, high]; a lower bound at `low` when `lower_bound` says why."""
    if lower_bound is not None:
        return Capacity("fastapi", "uvicorn", "json", 1, [low], low, low, None, None, lower_bound=True,
                        lower_bound_reason=lower_bound)  # fmt: skip
    high = low if high is None else high
    return Capacity("fastapi", "uvicorn", "json", 1, [low, high], (low + high) / 2, low, high, None)


# (case, capacity, claimed low, claimed high, verdict, words)
RANGE_CASES = [
    ("inside", cap(3_200, 3_600), 3_000, 5_000, HOLDS, "within the claim"),
    ("wholly below", cap(900, 1_000), 3_000, 5_000, DEPENDS, "below the claim on this machine"),
    ("wholly above", cap(6_000, 6_200), 3_000, 5_000, DEPENDS, "above the claim on this machine"),
    ("the interval reaches over the top", cap(4_900, 5_050), 3_000, 5_000, CANNOT_TELL, "straddles"),
    ("the interval straddles the bottom", cap(2_900, 3_100), 3_000, 5_000, CANNOT_TELL, "straddles"),
    ("≥ below an open-ended claim: the generator ran out", cap(5_244, lower_bound=GENERATOR), 10_000, None,
     CANNOT_TELL, "cannot tell on this machine: the load generator ran out at 5,244 req/s"),
    ("≥ below a claim: every rate passed", cap(1_500, lower_bound=ALL_PASSED), 2_000, 4_000, CANNOT_TELL,
     "every rate tried up to 1,500 req/s met the SLO"),
    ("≥ above an open-ended claim's floor holds", cap(12_000, lower_bound=GENERATOR), 10_000, None, HOLDS, "within"),
    ("≥ inside a closed range cannot tell the top", cap(3_500, lower_bound=GENERATOR), 3_000, 5_000, CANNOT_TELL,
     "ran out at 3,500"),
    ("≥ above a closed range is above", cap(5_500, lower_bound=GENERATOR), 3_000, 5_000, DEPENDS, "above the claim"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("capacity", "low", "high", "verdict", "words"), [c[1:] for c in RANGE_CASES], ids=[c[0] for c in RANGE_CASES]
)
def test_range_claims(capacity: Capacity, low: float, high: float | None, verdict: str, words: str) -> None:
    got, said = judge_range(capacity, low, high)
    assert (got, words in said) == (verdict, True), said


def test_ranges_are_symmetric() -> None:
    """Equally far below and above a range give the same verdict."""
    below, _ = judge_range(cap(2_000, 2_100), 3_000, 5_000)
    above, _ = judge_range(cap(5_900, 6_000), 3_000, 5_000)
    assert below == above == DEPENDS


# (ratio interval, verdict): the boundaries pin SIGNIFICANT at 1.5 and "no advantage" at 1
ADVANTAGE_CASES = [
    ((1.5, 1.9), HOLDS), ((1.49, 1.9), CANNOT_TELL), ((5.1, math.inf), HOLDS), ((0.8, 1.0), FAILS),
    ((0.8, 1.01), CANNOT_TELL), ((1.1, 1.4), DEPENDS), ((1.1, 1.5), CANNOT_TELL), ((0.0, math.inf), CANNOT_TELL),
]  # fmt: skip


@pytest.mark.parametrize(("ratio", "verdict"), ADVANTAGE_CASES)
def test_advantage(ratio: tuple[float, float], verdict: str) -> None:
    assert judge_advantage(ratio) == verdict


# (cpu ratio, io ratio, verdict): NARROWS_BY pinned at 0.1
NARROWS_CASES = [
    ((1.1, 1.3), (5.1, 6.1), HOLDS),
    ((1.25, 1.375), (1.5, 1.75), HOLDS),  # at most 0.375 from 1 against at least 0.5: 0.125 closer
    ((1.25, 1.41), (1.5, 1.75), CANNOT_TELL),  # 0.09 closer: within the tolerance
    ((1.45, 1.5), (1.2, 1.4), FAILS),  # the cpu ratio is further from 1
    ((1.0, 1.2), (1.1, 1.2), CANNOT_TELL),
]


@pytest.mark.parametrize(("cpu", "io", "verdict"), NARROWS_CASES)
def test_narrows_with_a_tolerance(cpu: tuple[float, float], io: tuple[float, float], verdict: str) -> None:
    assert judge_narrows(cpu, io) == verdict


def test_point_ratios_within_the_tolerance_are_not_a_verdict() -> None:
    """The former rule compared two noisy ratios directly: 1.30 vs 1.32 "narrowed"."""
    assert judge_narrows((1.30, 1.30), (1.32, 1.32)) == CANNOT_TELL


@pytest.mark.parametrize(
    ("name", "moved"), [("SIGNIFICANT", 1.4), ("SIGNIFICANT", 1.6), ("NARROWS_BY", 0.05), ("NARROWS_BY", 0.2)]
)
def test_seeded_fault_moving_a_threshold_breaks_a_boundary_case(
    monkeypatch: pytest.MonkeyPatch, name: str, moved: float
) -> None:
    monkeypatch.setattr(claims, name, moved)
    advantage = [judge_advantage(ratio) == verdict for ratio, verdict in ADVANTAGE_CASES]
    narrows = [judge_narrows(cpu, io) == verdict for cpu, io, verdict in NARROWS_CASES]
    assert not all(advantage + narrows), f"moving {name} to {moved} broke no boundary case"


# (gunicorn version recorded with the run, profile, whether the conditions explain the lingering close)
LINGERING_CASES = [
    ("27.0.1", "gunicorn-sync", True),
    ("26.0.0", "gunicorn-sync", True),  # the first version that lingers
    ("25.3.0", "gunicorn-sync", False),
    ("27.0.1", "gunicorn-gthread", False),  # keeps connections alive: one close per connection, not per request
    ("unknown", "gunicorn-sync", False),
]


@pytest.mark.parametrize(("version", "profile", "explained"), LINGERING_CASES)
def test_a_sync_capacity_says_it_includes_the_clients_close_when_gunicorn_lingers(
    version: str, profile: str, explained: bool
) -> None:
    run = synthetic_run({("flask", profile, "json", 1): [1_800.0, 1_850.0]})
    run.environment["packages"] = {"gunicorn": version}
    flask = next(v for v in claims.judge_claims(run) if v.claim.startswith("Flask"))
    assert ("until the client closes the connection" in flask.conditions) is explained, flask.conditions


@pytest.mark.parametrize("moved", [(25, 3), (26, 1)])
def test_seeded_fault_moving_the_lingering_close_version_breaks_a_case(
    monkeypatch: pytest.MonkeyPatch, moved: tuple[int, int]
) -> None:
    monkeypatch.setattr(claims, "LINGERING_CLOSE_SINCE", moved)
    outcomes = []
    for version, profile, explained in LINGERING_CASES:
        run = synthetic_run({("flask", profile, "json", 1): [1_800.0]})
        run.environment["packages"] = {"gunicorn": version}
        flask = next(v for v in claims.judge_claims(run) if v.claim.startswith("Flask"))
        outcomes.append(("until the client closes the connection" in flask.conditions) is explained)
    assert not all(outcomes), f"moving LINGERING_CLOSE_SINCE to {moved} broke no case"
