"""Every threshold that decides a verdict is pinned: moving one, either way, breaks a boundary case of the tables in
test_trial.py and test_capacity.py (the same seeded-fault idea as tests/cluster's typo checks)."""

from __future__ import annotations

from types import ModuleType

import pytest

from observatory.judging import Slo, estimate, generator, host, judge, trial
from observatory.judging.capacity import severity
from tests.judging import test_capacity as fits
from tests.judging import test_trial as cases

# (module, constant, its value, moved values that a boundary case must catch)
PINNED: list[tuple[ModuleType, str, float, tuple[float, ...]]] = [
    (trial, "SATURATED_K6_UTILISATION", 0.9, (0.85, 0.95)),
    (host, "STALL_SHARE_OF_SLO", 0.5, (0.45, 0.55)),
    (generator, "STARVED_WAIT", 0.5, (0.45, 0.55)),
    (estimate, "BAND", 4.0, (3.0, 5.0)),
]


def _tables_hold() -> bool:
    """Every boundary table of the trial verdict and of the fit's inputs, as the tests state them."""
    slo = Slo()
    for _, fault, _guard, words in cases.GUARD_CASES:
        judged = judge(cases.clean(**fault), slo)
        if judged.valid or not any(words in r for r in judged.invalid_reasons):
            return False
    for _, changes, valid, met, _ in cases.VERDICT_CASES:
        judged = judge(cases.clean(**changes), slo)
        if (judged.valid, judged.slo_met) != (valid, met):
            return False
    for _, max_ms, left_out in fits.STALL_CASES:
        if (host.stalled(fits.at(700, host_stalls={"max_ms": max_ms}), slo) is not None) is not left_out:
            return False
    for _, changes, expected in fits.SEVERITY_CASES:
        made = fits.at(500)
        for name, value in changes.items():
            if name == "p99":
                made.client_latency.p99 = value  # type: ignore[assignment]
            else:
                setattr(made, name, value)
        if abs(severity(made, slo) - expected) > 1e-9:
            return False
    return True


def test_the_tables_hold_as_written() -> None:
    assert _tables_hold()
    for module, name, value, _ in PINNED:
        assert getattr(module, name) == value, f"{module.__name__}.{name} moved"


@pytest.mark.parametrize(
    ("module", "name", "moved"),
    [(m, n, v) for m, n, _, moved in PINNED for v in moved],
    ids=[f"{n}={v}" for _, n, _, moved in PINNED for v in moved],
)
def test_moving_a_threshold_breaks_a_boundary_case(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str, moved: float
) -> None:
    monkeypatch.setattr(module, name, moved)
    assert not _tables_hold(), f"{module.__name__}.{name} = {moved} broke no boundary case"


def test_the_slo_defaults_are_pinned() -> None:
    assert Slo() == Slo(p99_ms=100.0, error_rate=0.01)
