"""Sizing answers from synthetic sweeps: the count the law gives, its bounds, and every extrapolation said aloud."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from observatory.deployment_sizing import rates_to_show, size
from observatory.report.scaling import Law
from observatory.results import save
from tests.report.factories import run

ROOT = Path(__file__).resolve().parents[2]
COUNTS = [1, 2, 4]


def sweeps(noise: float = 0.0) -> dict:
    spread = [1 - noise, 1.0, 1 + noise] if noise else [1.0]
    data = {}
    for framework, profile, law in (
        ("fastapi", "uvicorn", Law(1000.0, 0.0)),
        ("flask", "gunicorn-sync", Law(500.0, 0.5)),
    ):
        for n in COUNTS:
            data[(framework, profile, "json", n)] = [float(law.predict(n)) * s for s in spread]
    data[("django", "gunicorn-sync", "json", 1)] = [400.0]
    return data


def answers(rate: float, noise: float = 0.0) -> dict:
    return {a.framework: a for a in size(run(sweeps(noise)), rate, "json")}


def test_inside_the_measured_range() -> None:
    found = answers(1800.0)
    fast = found["fastapi"]
    assert fast.needed == 2 and not fast.extrapolated
    assert "needs 2 workers: within the measured 1–4 workers" in fast.sentence({"p99_ms": 100.0})
    assert "to serve 1,800 req/s of json at p99 ≤ 100 ms, fastapi/uvicorn" in fast.sentence({"p99_ms": 100.0})


def test_beyond_the_measured_range_is_called_extrapolated() -> None:
    fast = answers(6500.0)["fastapi"]
    assert fast.needed == 7 and fast.extrapolated
    assert "extrapolated" in fast.sentence({"p99_ms": 100.0})


def test_a_rate_the_law_never_reaches() -> None:
    flask = answers(1200.0)["flask"]  # Amdahl s=0.5 levels off at 2 x 500 req/s
    assert flask.needed is None and round(flask.ceiling) == 1000
    assert "cannot" in flask.sentence({}) and "levels off at 1,000 req/s" in flask.sentence({})


def test_one_count_only_gives_a_lower_bound_not_a_guess() -> None:
    django = answers(1000.0)["django"]
    assert django.linear_only and django.needed == 3
    assert "≥ 3 workers" in django.sentence({}) and "perfectly linear" in django.sentence({})


def test_bounds_from_repeats() -> None:
    flask = answers(900.0, noise=0.05)["flask"]  # 900 is near the ceiling: small errors move the count a lot
    assert flask.low is not None and flask.low < (flask.high or 10**6)
    assert flask.needed is not None and flask.low <= flask.needed
    assert f"({flask.low}–" in flask.count()


def test_rates_for_the_report_table_are_round() -> None:
    assert rates_to_show(run(sweeps()), "json") == [1000.0, 2000.0, 4000.0]
    assert rates_to_show(run(sweeps()), "io") == []


def test_cli_prints_one_line_per_framework_and_fails_in_one_line(tmp_path: Path) -> None:
    save(run(sweeps()), tmp_path)
    command = [sys.executable, "-m", "observatory.cli.main", "size", str(tmp_path)]
    done = subprocess.run([*command, "--rate", "1800", "--workload", "json"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3 and lines[1].startswith(
        "to serve 1,800 req/s of json at p99 ≤ 100 ms, fastapi/uvicorn needs 2"
    )
    missing = subprocess.run([*command, "--rate", "10", "--workload", "io"], capture_output=True, text=True, cwd=ROOT)
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"observatory: error: no capacity for workload 'io' in {tmp_path}; measured: json"


def test_lower_bound_capacities_make_the_answer_an_upper_bound() -> None:
    data = run(sweeps())
    for cap in data.capacity:
        if cap.framework == "fastapi" and cap.workers == 4:
            cap.lower_bound = True  # the load generator ran out first: fastapi may scale better than measured
    fast = next(a for a in size(data, 1800.0, "json") if a.framework == "fastapi")
    assert fast.count().startswith("≤ 2 workers") and "lower bound (≥), so fewer may do" in fast.note()
