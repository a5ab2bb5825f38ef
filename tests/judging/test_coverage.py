"""How often the 90 % interval holds a simulated service's true capacity, over 30 seeded blocks each: on a quiet
host, under the injector's noise, and for the normalised capacity of a CPU-bound service under it
(tests/judging/simulated.py). The issue's bar: 85 % or more."""

from __future__ import annotations

import pytest

from tests.judging.simulated import INJECTED, QUIET, Host, covers, run_block

RUNS = 30
TRUE_CAPACITY = 1000.0
CPU_BOUND_INJECTED = Host(jitter=INJECTED.jitter, stall_chance=INJECTED.stall_chance, steal_share=0.4,
                          loud_chance=0.5, cpu_bound=True)  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    ("host", "normalised"),
    [(QUIET, False), (INJECTED, False), (CPU_BOUND_INJECTED, True)],
    ids=["quiet, raw", "injected, raw", "injected CPU-bound, normalised"],
)
def test_the_90_percent_interval_covers_the_true_capacity(host: Host, normalised: bool) -> None:
    hits = 0
    for seed in range(RUNS):
        raw, normal = run_block(TRUE_CAPACITY, host, seed)
        hits += covers(normal if normalised else raw, TRUE_CAPACITY)
    print(f"coverage {hits}/{RUNS}")
    assert hits / RUNS >= 0.85


def test_a_cpu_bound_services_raw_interval_does_not_claim_the_quiet_capacity_under_the_injector() -> None:
    """The raw figure measures the host it ran on: under a 40 % hog half the time it lies below the quiet capacity,
    which is what the normalised figure is for."""
    raw, normal = run_block(TRUE_CAPACITY, CPU_BOUND_INJECTED, 3)
    assert raw.value is not None and normal.value is not None and raw.value < 0.9 * TRUE_CAPACITY <= normal.value
