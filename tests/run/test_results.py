"""results.json round-trips and is written atomically."""

from __future__ import annotations

from pathlib import Path

from observatory.results import Capacity, Latency, Run, Trial, load, save


def a_run() -> Run:
    trial = Trial(
        trial_id="t1", framework="flask", profile="gunicorn-sync", workload="json", workers=1, repeat=1,
        scenario="constant", offered_rate=100.0, vus=None, duration_s=2.0, started_at="a", ended_at="b",
        client_latency=Latency(p50=0.001, p99=0.004), invalid_reasons=["x"], valid=False,
    )  # fmt: skip
    cap = Capacity("flask", "gunicorn-sync", "json", 1, [100.0], 100.0, 100.0, 100.0, None)
    return Run("r1", "now", None, "running", None, {"python": "3.11"}, {}, {"p99_ms": 100.0}, [trial], [cap])


def test_round_trip(tmp_path: Path) -> None:
    run = a_run()
    save(run, tmp_path)
    assert load(tmp_path) == run
    assert load(tmp_path / "results.json") == run


def test_no_temporary_file_is_left(tmp_path: Path) -> None:
    save(a_run(), tmp_path)
    save(a_run(), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
