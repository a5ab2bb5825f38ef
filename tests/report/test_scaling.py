"""The scaling verdict on curves whose answer is known: linear never stops paying, Amdahl stops where the law says, flat at once."""

from __future__ import annotations

import pytest

from observatory.report.scaling import STOP_GAIN, Law, fit, scaling_fits, what_bounds_replicas, why_not_measured
from tests.report.factories import run

COUNTS = [1, 2, 4, 8]


def curve(law: Law, counts: list[int] = COUNTS) -> list[float]:
    return [float(law.predict(n)) for n in counts]


def sweep(capacities: list[float], counts: list[int] = COUNTS, noise: float = 0.0) -> dict:
    spread = [1 - noise, 1.0, 1 + noise] if noise else [1.0]
    return {
        ("flask", "gunicorn-sync", "json", n): [c * s for s in spread] for n, c in zip(counts, capacities, strict=True)
    }


def test_perfectly_linear_scaling_never_stops_paying() -> None:
    """The old rule (one more worker adds < 10% of the current total) fired at 10 workers even here."""
    counts = [*COUNTS, 16]
    law = fit(counts, [1000.0 * n for n in counts])
    assert law.serial == 0 and law.crosstalk == 0
    assert law.stops_paying_at() is None
    [result] = scaling_fits(run(sweep([1000.0 * n for n in COUNTS])))
    assert result.stops_paying_at is None
    assert "scales near-linearly" in result.verdict() and "extrapolated" in result.verdict()


@pytest.mark.parametrize(("serial", "stops"), [(0.5, 4), (0.2, 10), (0.05, 43)])
def test_amdahl_stops_where_one_more_adds_less_than_a_tenth_of_one_alone(serial: float, stops: int) -> None:
    law = fit(COUNTS, curve(Law(1000.0, serial)))
    assert law.serial == pytest.approx(serial, abs=0.002)
    assert law.stops_paying_at() == stops
    gain = law.predict(stops + 1) - law.predict(stops)
    assert gain < STOP_GAIN * law.c1 <= law.predict(stops) - law.predict(stops - 1)


def test_flat_curve_does_not_pay_at_all() -> None:
    [result] = scaling_fits(run(sweep([1000.0, 1010.0, 990.0, 1000.0])))
    assert result.stops_paying_at == 1
    assert result.verdict().startswith("adding workers does not pay")


def test_a_stop_inside_the_measured_range_is_not_called_extrapolated() -> None:
    [inside] = scaling_fits(run(sweep(curve(Law(1000.0, 0.5)))))
    assert "inside the measured range" in inside.verdict() and "after 4" in inside.verdict()
    [beyond] = scaling_fits(run(sweep(curve(Law(1000.0, 0.2)))))
    assert "extrapolated beyond the measured 8" in beyond.verdict()


def test_a_curve_that_turns_down_is_fitted_with_crosstalk() -> None:
    truth = Law(1000.0, 0.05, 0.02)
    [result] = scaling_fits(run(sweep(curve(truth, [1, 2, 4, 8, 16]), [1, 2, 4, 8, 16])))
    assert result.name == "USL" and result.law.crosstalk > 0
    assert result.law.ceiling() == pytest.approx(truth.ceiling(), rel=0.02)
    rising = fit(COUNTS, curve(Law(1000.0, 0.2)))
    assert rising.crosstalk == 0  # no downturn measured: Amdahl, no invented peak


def test_bounds_come_from_the_repeats_and_are_reproducible() -> None:
    data = run(sweep(curve(Law(1000.0, 0.2)), noise=0.1))
    [first], [second] = scaling_fits(data), scaling_fits(data)
    low, high = first.stops_paying_bounds()
    assert low is not None and low < first.stops_paying_at < (high or 10**6)
    assert (low, high) == second.stops_paying_bounds()
    assert "bounds" in first.verdict()
    [single] = scaling_fits(run(sweep(curve(Law(1000.0, 0.2)))))
    assert not single.repeated and "bounds" not in single.verdict()


def test_one_worker_count_is_no_curve() -> None:
    assert scaling_fits(run({("flask", "gunicorn-sync", "json", 1): [900.0]})) == []


def test_two_core_machine_says_why_and_what_draws_the_curve() -> None:
    data = run({("flask", "gunicorn-sync", "json", 1): [900.0]})
    text = why_not_measured(data)
    assert "gives the services 1" in text and "observatory run --workers 1,2,4" in text
    data.environment["pinning"] = {"service_cores": [0, 1, 2, 3], "k6_and_prometheus_cores": [4, 5, 6, 7]}
    assert "--workers auto" in why_not_measured(data)


def test_an_imported_cluster_sweep_is_fitted_against_replicas() -> None:
    data = run(sweep(curve(Law(1000.0, 0.5))))
    data.settings["scaling_unit"] = "replicas"  # as observatory import-k6 writes for a replica sweep
    [result] = scaling_fits(data)
    assert result.unit == "replicas" and result.verdict().startswith("adding replicas stops paying after 4")


def test_the_verdict_says_when_two_counts_cannot_test_the_law_and_when_capacities_are_lower_bounds() -> None:
    data = run(sweep([1000.0, 1900.0], [1, 2]))
    data.capacity[1].lower_bound = True
    [result] = scaling_fits(data)
    assert "two counts only" in result.verdict() and "lower bounds (≥)" in result.verdict()
    [three] = scaling_fits(run(sweep([1000.0, 1900.0, 3500.0], [1, 2, 4])))
    assert "two counts only" not in three.verdict() and "lower bounds" not in three.verdict()


def test_a_cluster_run_at_one_replica_count_points_to_the_replica_sweep() -> None:
    data = run({("flask", "gunicorn-sync", "json", 2): [900.0]})
    data.settings["scaling_unit"] = "replicas"
    assert "2 replica(s) only" in why_not_measured(data) and "replicaSweep.replicas" in why_not_measured(data)


def test_a_replica_sweep_says_that_all_nodes_share_the_hosts_cpu() -> None:
    data = run(sweep(curve(Law(1000.0, 0.5))))
    assert what_bounds_replicas(data) is None  # a local worker sweep: the cores are pinned, nothing shared
    data.settings["scaling_unit"] = "replicas"
    data.environment["host_cpus"] = 2  # what the publish steps' pods saw
    text = what_bounds_replicas(data)
    assert text is not None and "all nodes share the host's CPU" in text and "same 2 cores" in text
    assert "bounded by the host's CPU, not by the replica count" in text  # 4 replicas > 2 cores
    data.environment["host_cpus"] = 16
    assert "bounded by the host's CPU" not in (what_bounds_replicas(data) or "")
    del data.environment["host_cpus"]
    assert "all nodes share the host's CPU" in (what_bounds_replicas(data) or "")
